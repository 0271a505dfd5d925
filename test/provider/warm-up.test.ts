import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentPool } from '../../src/provider/agent-pool.js';

const pools: AgentPool[] = [];
vi.mock('../../src/provider/agent-pool.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/provider/agent-pool.js')>();
  return {
    ...real,
    createAgentPool: (...args: Parameters<typeof real.createAgentPool>) => {
      const pool = real.createAgentPool(...args);
      pools.push(pool);
      return pool;
    },
  };
});

const { createSdkComplete } = await import('../../src/provider/sdk-complete.js');
const url = new URL('http://127.0.0.1:9/v1/chat/completions');

afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools.length = 0;
});

describe('warmUp of the lean transport', () => {
  it('has the direct connection pool ready before the first request: nothing left to load when it leaves', async () => {
    const complete = createSdkComplete({ apiKey: 'sk-x', baseURL: 'http://127.0.0.1:9/v1', connections: 4 });
    await complete.warmUp();
    const direct = pools[0]!.dispatcherFor(url);
    expect(direct).toBeDefined();
    expect(direct).not.toBeInstanceOf(Promise);
  });

  it('without it, the first request would wait for undici to load', () => {
    createSdkComplete({ apiKey: 'sk-x', baseURL: 'http://127.0.0.1:9/v1', connections: 4 });
    expect(pools[0]!.dispatcherFor(url)).toBeInstanceOf(Promise);
  });
});
