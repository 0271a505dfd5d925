import { describe, expect, it } from 'vitest';
import type { CliConfig } from '../../src/cli/config.js';
import { countNotRun } from '../../src/cli/stop-report.js';
import { createStats } from '../../src/engine/stats.js';

const config = { input: { kind: 'stdin' } } as unknown as CliConfig;

describe('countNotRun', () => {
  const stats = Object.assign(createStats(), { ok: 6, failed: 1, skipped: 1 });
  const signal = new AbortController().signal;

  it('the total less the rows written and skipped', async () => {
    expect(await countNotRun(config, stats, 20, signal)).toBe(12);
    expect(await countNotRun(config, stats, 8, signal)).toBe(0);
  });

  it('unknown (null), not 0, when the total is short of the rows counted: 0 would say the run finished', async () => {
    expect(await countNotRun(config, stats, 5, signal)).toBeNull();
  });

  it('unknown for stdin with no total', async () => {
    expect(await countNotRun(config, stats, undefined, signal)).toBeNull();
  });
});
