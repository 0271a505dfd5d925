/**
 * --max-tokens is no part of a run's identity: a resume under another one (higher for answers cut at
 * the limit, lower for a --max-cost worst case, as the CLI's messages advise) continues the output,
 * and merge joins shards asked under different ones. The built CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import type { ResultRow } from '../../src/types.js';

const { dir, fresh, writeFile } = useServers('llm-batch-resume-max-tokens-');
const rowsIn = (file: string) => parseJsonl<ResultRow>(fs.readFileSync(file, 'utf8'));
const metaOf = (file: string) => JSON.parse(fs.readFileSync(`${file}.meta.json`, 'utf8')) as Record<string, unknown>;

describe('--resume under another --max-tokens', () => {
  it('--fail-truncated, then --resume --retry-failed with a higher --max-tokens asks the cut row again: exit 0', async () => {
    const { run, server } = await fresh();
    const cut = 'cut answer [[fault:length*1]]';
    const input = writeFile('trunc.txt', `whole answer\n${cut}\n`);
    const out = path.join(dir, 'trunc.jsonl');
    const first = await run([input, '-o', out, '--fail-truncated', '--max-tokens', '5', '-q']);
    expect(first.code, first.stderr).toBe(1);
    expect(rowsIn(out).find((row) => row.prompt === cut)).toMatchObject({ finish_reason: 'length', error: { type: 'truncated' } });

    const resumed = await run([input, '-o', out, '--fail-truncated', '--max-tokens', '100', '--resume', '--retry-failed', '-q']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toBe('');
    expect(server.requests.filter((r) => r.prompt === cut).map((r) => r.body.max_tokens)).toEqual([5, 100]);
    // The whole answer is not asked again; the cut one's row is replaced (compacted: one row per prompt).
    expect(server.countFor('whole answer')).toBe(1);
    const rows = rowsIn(out);
    expect(rows).toHaveLength(2);
    expect(rows.find((row) => row.prompt === cut)).toMatchObject({ finish_reason: 'stop', error: null });
    // The metadata records the last invocation's limit.
    expect(metaOf(out)).toMatchObject({ maxTokens: 100 });
  });

  it("a budget stop on the 4,096-token worst case, then --max-tokens 100 --resume sends the rest (a row's own max_tokens kept)", async () => {
    const { run, server } = await fresh();
    const input = writeFile(
      'budget.jsonl',
      ['{"id":"own","prompt":"its own limit","max_tokens":10}', '{"id":"b","prompt":"no limit b"}', '{"id":"c","prompt":"no limit c"}', ''].join('\n'),
    );
    const out = path.join(dir, 'budget.jsonl.out');
    const budget = ['--price', '1/10', '-c', '1', '-f', 'jsonl'];
    const stopped = await run([input, '-o', out, ...budget, '--max-cost', '0.01', '-q']);
    expect(stopped.code, stopped.stderr).toBe(3);
    expect(stopped.stderr).toMatch(
      /4,096 answer tokens, the limit --max-cost sets when --max-tokens is not given\), more than the whole cap: give a lower --max-tokens/,
    );
    expect(rowsIn(out).map((row) => row.id)).toEqual(['own']);

    const resumed = await run([input, '-o', out, ...budget, '--max-cost', '0.01', '--max-tokens', '100', '--resume', '-q']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(
      rowsIn(out)
        .map((row) => row.id)
        .sort(),
    ).toEqual(['b', 'c', 'own']);
    expect(server.requests.map((r) => [r.prompt, r.body.max_tokens])).toEqual([
      ['its own limit', 10],
      ['no limit b', 100],
      ['no limit c', 100],
    ]);
  });

  it('merge joins shards asked under different --max-tokens', async () => {
    writePrompts(dir, 'shards.txt', ['s1', 's2', 's3', 's4', 's5', 's6']);
    const shard = async (out: string, ...flags: string[]) => {
      const r = await runCli(['shards.txt', '--mock', '-q', '-o', out, ...flags], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
    };
    await shard('mt-1.jsonl', '--shard', '1/2', '--max-tokens', '50');
    await shard('mt-2.jsonl', '--shard', '2/2', '--max-tokens', '500');
    const merged = await runCli(['merge', 'mt-1.jsonl', 'mt-2.jsonl', '-o', 'mt-all.jsonl', '--input', 'shards.txt'], { cwd: dir });
    expect(merged.code, merged.stderr).toBe(0);
    expect(rowsIn(path.join(dir, 'mt-all.jsonl'))).toHaveLength(6);
    expect(metaOf(path.join(dir, 'mt-all.jsonl'))).toMatchObject({ maxTokens: 50 });
  });
});
