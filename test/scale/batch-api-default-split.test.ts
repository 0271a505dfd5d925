/**
 * The Batch API at its own limit: 50,001 prompts split at the default --batch-size of 50,000, end to
 * end. A scale test (`npm run test:scale`, run by `npm run bench`): ~18 s of a CPU-bound CI's time;
 * the split by count and by size is the end-to-end suite's (test/e2e/batch-api.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { runCli, writePrompts } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-scale-batch-');

beforeEach(() => {
  ctx.server.options.batches = { stepMs: 30 };
});

interface Row {
  id: string;
  prompt: string;
  response: string | null;
}

const prompts = (n: number) => Array.from({ length: n }, (_, i) => `q${i + 1}`);
const batchArgs = () => ['--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '--batch-api', '--poll', '0.05'];

// One past the default --batch-size: the split lands exactly at 50,000 (an off-by-one either way
// or another default uploads other counts). More batches, by --batch-max-mb: test/e2e/batch-api.test.ts.
it('splits 50,001 prompts into a batch of 50,000 (the default --batch-size) and one of 1', async () => {
  const input = writePrompts(ctx.dir, 'in.txt', prompts(50_001));
  const out = path.join(ctx.dir, 'out.jsonl');
  const r = await runCli([input, '-o', out, ...batchArgs()], { timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  const uploads = ctx.server.batchState.uploaded;
  expect(uploads.map((f) => f.bytes.toString('utf8').trim().split('\n').length)).toEqual([50_000, 1]);
  const text = fs.readFileSync(out, 'utf8');
  const ids = new Set<string>();
  let lines = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    lines++;
    const row = JSON.parse(line) as Row;
    ids.add(row.id);
    if (row.response !== `ECHO ${row.prompt}`) throw new Error(`wrong row ${line}`);
  }
  expect(lines).toBe(50_001);
  expect(ids.size).toBe(50_001);
}, 120_000);
