/**
 * `llm-batch status OUT` of a --batch-api output whose batches are all collected: the manifest has
 * dropped them, and status printed nothing at all (exit 0), so a script checking on last night's
 * job got an empty stdout. It now says nothing is pending, with the batch ids the rows carry.
 * Spawns the BUILT CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-status-finished-');

describe('status of a finished --batch-api output', () => {
  it.each(['jsonl', 'csv'])('.%s: one line, nothing pending, the batch ids from the rows; --json lists them', async (ext) => {
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b', 'c', 'd', 'e', 'f']);
    const out = path.join(ctx.dir, `out.${ext}`);
    const run = await runCli([input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--poll', '0.05', '--batch-size', '3', '-q']);
    expect(run.code, run.stderr).toBe(0);

    const r = await runCli(['status', out, '--base-url', ctx.server.url]);
    expect(r.code, r.stderr).toBe(0);
    const last = r.stdout.trimEnd().split('\n').at(-1);
    expect(last).toMatch(
      new RegExp(`^${out.replace(/[.]/g, '\\.')}: nothing pending, every batch is collected; its rows came from 2 batches: batch_mock\\w+, batch_mock\\w+$`),
    );

    const json = JSON.parse((await runCli(['status', out, '--json', '--base-url', ctx.server.url])).stdout);
    expect(json.pending).toBe(0);
    expect(json.collected).toHaveLength(2);
    if (ext === 'jsonl') {
      const ids = new Set(parseJsonl<{ batch_id: string }>(fs.readFileSync(out, 'utf8')).map((row) => row.batch_id));
      expect(new Set(json.collected)).toEqual(ids);
    }
  });
});
