/**
 * The resume state kept beside the output (OUT.meta.json; --batch-api's OUT.batch.json and
 * OUT.batch.d/) sits beside the file the output lands on, as the lock does: a run through a symlink
 * (`latest.jsonl -> out.jsonl`, made before the file exists) and one through the real path see the
 * same state. The state an older version left beside the link is still continued through the link.
 * The BUILT CLI against the mock server (its Batch API for --batch-api).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stderrLines, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-side-real-');

/** p.txt, the real output path and a link to it made before the output exists. */
function linkedOutput(prompts: readonly string[]) {
  const input = writePrompts(ctx.dir, 'p.txt', prompts);
  const out = path.join(ctx.dir, 'out.jsonl');
  const link = path.join(ctx.dir, 'latest.jsonl');
  fs.symlinkSync('out.jsonl', link);
  return { input, out, link };
}
const rows = (file: string) => parseJsonl(fs.readFileSync(file, 'utf8'));

describe('side files beside the real output, whichever path a run names', () => {
  it('live: the settings a run wrote through the link are the ones a --resume through the real path checks', async () => {
    const { input, out, link } = linkedOutput(['a', 'b']);
    const first = await runCli([input, '-o', link, '--base-url', ctx.server.url, '--no-cache']);
    expect(first.code, first.stderr).toBe(0);
    expect(fs.existsSync(`${out}.meta.json`)).toBe(true);
    expect(fs.existsSync(`${link}.meta.json`)).toBe(false);

    const changed = await runCli([input, '-o', out, '--resume', '--temperature', '0.9', '--base-url', ctx.server.url, '--no-cache']);
    expect(changed.code, changed.stderr).toBe(2);
    expect(stderrLines(changed)).toEqual([expect.stringMatching(/out\.jsonl was written by a different run \(.*temperature/)]);
    expect(rows(out)).toHaveLength(2);
  });

  it('--batch-api: batches submitted through the link are seen by status and collected by --resume through the real path', async () => {
    ctx.server.options.batches = { stepMs: 20, hold: () => true };
    const { input, out, link } = linkedOutput(['a', 'b', 'c']);
    const args = ['--base-url', ctx.server.url, '--no-cache', '--batch-api', '--poll', '0.05'];
    const submitted = await runCli([input, '-o', link, ...args, '--no-wait']);
    expect(submitted.code, submitted.stderr).toBe(75);
    expect(fs.existsSync(`${out}.batch.json`)).toBe(true);
    expect(fs.existsSync(`${link}.batch.json`)).toBe(false);
    expect(fs.existsSync(`${link}.batch.d`)).toBe(false);

    const status = await runCli(['status', out, '--base-url', ctx.server.url]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/in_progress/);

    ctx.server.options.batches = { stepMs: 20 };
    const collected = await runCli([input, '-o', out, ...args, '--resume']);
    expect(collected.code, collected.stderr).toBe(0);
    expect(rows(out)).toHaveLength(3);
    expect(ctx.server.batchState.counts.creates).toBe(1);
  });

  it('--batch-api: the state an older version kept beside the link is still collected through the link', async () => {
    ctx.server.options.batches = { stepMs: 20, hold: () => true };
    const { input, out, link } = linkedOutput(['a', 'b', 'c']);
    const args = ['--base-url', ctx.server.url, '--no-cache', '--batch-api', '--poll', '0.05'];
    const submitted = await runCli([input, '-o', link, ...args, '--no-wait']);
    expect(submitted.code, submitted.stderr).toBe(75);
    // Where an older llm-batch kept them: named after the path as typed.
    for (const side of ['.meta.json', '.batch.json', '.batch.d']) fs.renameSync(`${out}${side}`, `${link}${side}`);

    ctx.server.options.batches = { stepMs: 20 };
    const collected = await runCli([input, '-o', link, ...args, '--resume']);
    expect(collected.code, collected.stderr).toBe(0);
    expect(rows(out)).toHaveLength(3);
    expect(ctx.server.batchState.counts.creates).toBe(1);
    expect(fs.existsSync(`${out}.batch.json`)).toBe(false);
  });
});
