import { expect } from 'vitest';
import { runCli, writePrompts } from './run-cli.js';

/**
 * `dir/p.txt` with `prompts`, answered by --mock in two shards: `dir/out-1.jsonl` and
 * `dir/out-2.jsonl`, the outputs a `merge` or `report` suite starts from.
 */
export async function mockShardOutputs(dir: string, prompts: readonly string[]): Promise<void> {
  writePrompts(dir, 'p.txt', prompts);
  for (const shard of ['1/2', '2/2']) {
    const r = await runCli(['p.txt', '--mock', '-q', '--shard', shard, '-o', `out-${shard[0]}.jsonl`], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
  }
}
