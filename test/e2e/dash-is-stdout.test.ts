/**
 * `-o -` is stdout for every command that takes -o, as the README says: a run and --compact always
 * did; `merge` and `report` wrote a file literally named `-` (and `-.meta.json`) beside the user,
 * and a pipeline after them saw an empty, successful stream. Spawns the BUILT CLI against the mock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const ctx = useServerAndCaseDir('llm-batch-dash-stdout-');
const PROMPTS = Array.from({ length: 12 }, (_, i) => `p${i + 1}`);

/** Two shard outputs of in.txt, as `ext` files, in the case directory. */
async function shards(ext: 'jsonl' | 'csv'): Promise<{ input: string; outs: string[] }> {
  const input = writePrompts(ctx.dir, 'in.txt', PROMPTS);
  const outs = [1, 2].map((i) => path.join(ctx.dir, `out-${i}.${ext}`));
  for (const [i, out] of outs.entries()) {
    const r = await runCli([input, '-o', out, '--base-url', ctx.server.url, '--shard', `${i + 1}/2`, '-q']);
    expect(r.code, r.stderr).toBe(0);
  }
  return { input, outs };
}

const listing = () => fs.readdirSync(ctx.dir).sort();

describe('merge -o -', () => {
  it('JSONL shards: the merged rows on stdout, no file named "-", no .meta.json; --input still checked', async () => {
    const { input, outs } = await shards('jsonl');
    const before = listing();
    const r = await runCli(['merge', ...outs, '-o', '-', '--input', input], { cwd: ctx.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(
      parseJsonl<{ prompt: string }>(r.stdout)
        .map((row) => row.prompt)
        .sort(),
    ).toEqual([...PROMPTS].sort());
    expect(r.stderr).toMatch(/^llm-batch: merged 12 rows from 2 files into stdout \(0 superseded rows dropped; 0 failed\); every id of .*in\.txt has a row\n$/);
    expect(listing()).toEqual(before);
  });

  it('CSV shards: CSV on stdout, one header', async () => {
    const { outs } = await shards('csv');
    const before = listing();
    const r = await runCli(['merge', ...outs, '-o', '-'], { cwd: ctx.dir });
    expect(r.code, r.stderr).toBe(0);
    const rows = parse(r.stdout, { columns: true }) as Array<{ prompt: string }>;
    expect(rows.map((row) => row.prompt).sort()).toEqual([...PROMPTS].sort());
    expect(listing()).toEqual(before);
  });

  it('--help says "-" is stdout', async () => {
    const r = await runInWorker(['merge', '--help']);
    expect(r.stdout).toMatch(/-o, --output <file>\s+the merged results file \(\.jsonl or\s+\.csv\); "-" for stdout/);
  });
});

describe('report -o -', () => {
  it('the HTML on stdout, no file named "-", nothing beside the results', async () => {
    const { outs } = await shards('jsonl');
    const before = listing();
    const r = await runCli(['report', outs[0]!, '-o', '-'], { cwd: ctx.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^<!doctype html>/i);
    expect(r.stdout).toMatch(/<\/html>\s*$/);
    expect(r.stderr).toMatch(/^llm-batch: report of \d+ rows written to stdout \(0\.\d MB\)\n$/);
    expect(listing()).toEqual(before);
  });

  it('--help says "-" is stdout', async () => {
    const r = await runInWorker(['report', '--help']);
    expect(r.stdout).toMatch(/\.html\); "-" for stdout/);
  });
});
