import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatch } from '../../src/engine/run-batch.js';
import { createOpenAIComplete } from '../../src/provider/create-openai-complete.js';
import { collect, asyncFrom as from, promptRecord as rec } from '../helpers/collect.js';
import { startMockServer, type MockServer } from '../helpers/mock-server.js';
import type { ResultRow } from '../../src/types.js';

/**
 * The engine's attempts over the lean transport make no AbortSignal (issue 16: one per attempt, alive
 * while its request was, was a tenth of what survived a scavenge at 100,000 short prompts). Counted
 * by the AbortControllers made during a run outside the pacing: the run's own few, not one an attempt.
 */
const KEY = 'sk-attempt-signal-test-0123456789';
let mock: MockServer;

beforeAll(async () => {
  mock = await startMockServer({ apiKey: KEY });
});
afterAll(() => mock.close());

describe('an attempt over the lean transport', () => {
  it.each([true, false])('makes no AbortController of its own (stream %s)', async (stream) => {
    const complete = createOpenAIComplete({ apiKey: KEY, baseURL: mock.url });
    const Original = globalThis.AbortController;
    let made = 0;
    globalThis.AbortController = class extends Original {
      constructor() {
        super();
        // The rate governor's own (a wake-up per wait while it paces) are not the attempts'.
        if (!String(new Error().stack).includes('rate-governor')) made++;
      }
    };
    let rows: ResultRow[];
    try {
      rows = await collect(
        runBatch(from(Array.from({ length: 60 }, (_, i) => rec(i))), {
          complete,
          model: 'm',
          concurrency: 8,
          stream,
          timeoutMs: 30_000,
          idleTimeoutMs: 30_000,
        }),
      );
    } finally {
      globalThis.AbortController = Original;
      await complete.close?.();
    }
    expect(rows.map((r) => r.error)).toEqual(Array.from({ length: 60 }, () => null));
    expect(made).toBeLessThan(10);
  });
});
