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
});
