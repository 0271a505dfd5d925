/**
 * The progress total is the rows this run will write, through the BUILT CLI and the mock server:
 * --limit, --shard and several models change it, and the ETA and a stop's "N not run" follow.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-progress-total-');

const prompts = (n: number) => Array.from({ length: n }, (_, i) => `prompt ${i + 1}`);

/** The totals the plain progress lines showed (`12/30 done …`). */
function totals(stderr: string): number[] {
  return [...stderr.matchAll(/Z \d+\/(\d+) done/g)].map((m) => Number(m[1]));
}

describe('the progress total', () => {
  it.each([
    { name: '--limit 12 of 40', flags: ['--limit', '12'] },
    { name: '--shard 1/3 of 40', flags: ['--shard', '1/3'] },
    { name: '-m a,b --limit 15 of 40 (30 rows: 15 records on 2 models)', flags: ['-m', 'a,b', '--limit', '15'] },
  ])("$name: the rows this run writes, not the input's lines", async ({ flags }) => {
    const input = writePrompts(ctx.dir, 'p.txt', prompts(40));
    const out = path.join(ctx.dir, 'out.jsonl');
    // Slow enough for a progress line or two at one a second.
    ctx.server.options.latencyMs = 120;
    const r = await runCli([input, ...flags, '--base-url', ctx.server.url, '--no-cache', '--progress', '1', '-c', '1', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const written = parseJsonl(fs.readFileSync(out, 'utf8')).length;
    expect(written).toBeLessThan(40);
    const shown = totals(r.stderr);
    expect(shown.length, r.stderr).toBeGreaterThan(0);
    expect(new Set(shown)).toEqual(new Set([written]));
  });

  it('a stop with --limit 5 of 40 says how many of those 5 were not run, not of the 40', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', prompts(40));
    const out = path.join(ctx.dir, 'out.jsonl');
    // Nothing listens there: the breaker stops the run after its first refusals (exit 4).
    const r = await runCli([input, '--limit', '5', '--base-url', 'http://127.0.0.1:9/v1', '--no-cache', '--retries', '0', '-c', '1', '-o', out]);
    expect(r.code, r.stderr).toBe(4);
    const written = parseJsonl(fs.readFileSync(out, 'utf8')).length;
    expect(r.stderr).toContain(`, ${5 - written} not run`);
  });

  const array = (n: number) => Array.from({ length: n }, (_, i) => `prompt ${i + 1}`);
  it.each([
    { name: 'a one-line .json array', file: 'p.json', content: `${JSON.stringify(array(50))}\n`, records: 50 },
    { name: 'a pretty-printed .json array', file: 'p.json', content: `${JSON.stringify(array(40), null, 2)}\n`, records: 40 },
    { name: 'a JSON array in a file of no known extension', file: 'prompts', content: `${JSON.stringify(array(30), null, 2)}\n`, records: 30 },
    {
      name: 'UTF-16LE text with a BOM',
      file: 'p.txt',
      content: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${array(30).join('\r\n')}\r\n`, 'utf16le')]),
      records: 30,
    },
    {
      name: 'CSV with rows of blank cells',
      file: 'p.csv',
      content: `id,prompt\n${array(20)
        .map((p, i) => `${i + 1},${p}\n,\n`)
        .join('')}`,
      records: 20,
    },
    { name: 'text with lines of no-break spaces', file: 'p.txt', content: `${array(20).join('\n\u00a0\u00a0\n')}\n`, records: 20 },
  ])('a stop says how many records of $name were not run, as the reader reads them', async ({ file, content, records }) => {
    const input = path.join(ctx.dir, file);
    fs.writeFileSync(input, content);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(ctx.dir, 's.json');
    // Nothing listens there: the breaker stops the run after its first refusals (exit 4).
    const r = await runCli([input, '--base-url', 'http://127.0.0.1:9/v1', '--no-cache', '--retries', '0', '-c', '1', '-o', out, '--summary-json', summary]);
    expect(r.code, r.stderr).toBe(4);
    const written = parseJsonl(fs.readFileSync(out, 'utf8')).length;
    expect(written).toBeLessThan(records);
    expect(r.stderr).toContain(`, ${records - written} not run`);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8')).notRun).toBe(records - written);
  });
});
