/**
 * `--limit N` with several models and --repeat, through the BUILT CLI and the mock server: N counts
 * input records, so every one of the first N records gets every model and sample (live, --batch-api,
 * the progress total), and --dry-run's estimate is what the run then sends.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const ctx = useServerAndCaseDir('llm-batch-limit-matrix-');

interface Row {
  prompt: string;
  error: unknown;
  requested_model?: string;
  sample?: number;
}

const prompts = (n: number) => Array.from({ length: n }, (_, i) => `prompt number ${i + 1}`);
const keysOf = (file: string) =>
  parseJsonl<Row>(fs.readFileSync(file, 'utf8'))
    .map((r) => `${r.prompt}|${r.requested_model}|${r.sample}`)
    .sort();
/** Every (record, model, sample) of the first `n` records. */
const expected = (n: number) =>
  prompts(n)
    .flatMap((p) => ['a1', 'b1'].flatMap((m) => [0, 1].map((s) => `${p}|${m}|${s}`)))
    .sort();
const matrix = ['-m', 'a1,b1', '--repeat', '2', '--limit', '3', '--no-cache'];

describe('--limit with several models and --repeat', () => {
  it('live: the first 3 records, each on both models twice (12 answers), as the dry run estimates', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', prompts(20));
    const dry = await runInWorker([input, '--base-url', ctx.server.url, ...matrix, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(`${dry.stdout}${dry.stderr}`).toMatch(/Estimate for 12 requests/);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '--base-url', ctx.server.url, ...matrix, '--progress', '1', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(keysOf(out)).toEqual(expected(3));
    expect(ctx.server.requests).toHaveLength(12);
  });

  it('--batch-api: the same 12 lines are uploaded and collected', async () => {
    ctx.server.options.batches = { stepMs: 30 };
    const input = writePrompts(ctx.dir, 'p.txt', prompts(20));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '--base-url', ctx.server.url, ...matrix, '--batch-api', '--poll', '0.05', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(keysOf(out)).toEqual(expected(3));
  });

  it('the progress total is the 12 rows the run writes', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', prompts(20));
    const out = path.join(ctx.dir, 'out.jsonl');
    // Slow enough for a progress line or two at one a second.
    ctx.server.options.latencyMs = 200;
    const r = await runCli([input, '--base-url', ctx.server.url, ...matrix, '--progress', '1', '-c', '1', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const totals = [...r.stderr.matchAll(/Z \d+\/(\d+) done/g)].map((m) => Number(m[1]));
    expect(totals.length, r.stderr).toBeGreaterThan(0);
    expect(new Set(totals)).toEqual(new Set([12]));
  });
});
