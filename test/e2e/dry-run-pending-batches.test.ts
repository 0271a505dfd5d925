/**
 * `--batch-api --resume --dry-run` after a `--no-wait` run: the requests in batches submitted and not
 * collected yet are the resume's to collect, not to send, so the dry run leaves them out (as it leaves
 * out the output's rows), says how many wait, and estimates only the rest.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const ctx = useServerAndCaseDir('llm-batch-dry-pending-');

describe('--batch-api --resume --dry-run', () => {
  it('leaves out the requests of pending batches and says how many wait', async () => {
    const input = writePrompts(
      ctx.dir,
      'p.txt',
      Array.from({ length: 6 }, (_, i) => `pending prompt ${i}`),
    );
    const out = path.join(ctx.dir, 'out.jsonl');
    const args = [input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--no-cache', '-q', '--poll', '0.05', '-m', 'gpt-4o-mini'];
    // Records 1-2 answered; 3-4 in a batch the server holds in_progress; 5-6 never sent.
    ctx.server.options.batches = { stepMs: 20, hold: (index) => index > 0 };
    const answered = await runCli([...args, '--limit', '2']);
    expect(answered.code, answered.stderr).toBe(0);
    const submitted = await runCli([...args, '--limit', '4', '--resume', '--no-wait']);
    expect(submitted.code, submitted.stderr).toBe(75);
    expect(parseJsonl(fs.readFileSync(out, 'utf8'))).toHaveLength(2);
    const uploads = ctx.server.batchState.counts.uploads;

    const dry = await runInWorker([...args, '--resume', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    // The headline counts only what the resume sends: records 5-6.
    expect(dry.stdout).toMatch(/^ {2}6 records: 2 to send, 2 already answered, 2 waiting in a submitted batch, 0 bad$/m);
    expect(dry.stdout).toMatch(new RegExp(`^ {2}2 of 6 requests are answered in ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} already`, 'm'));
    expect(dry.stdout).toMatch(
      /^ {2}2 of 6 requests wait in 1 submitted batch not collected yet \(--resume collects them, sends them no more; left out below\)$/m,
    );
    expect(dry.stdout).toMatch(/Estimate for 2 requests/);
    expect(dry.stdout).toMatch(/"pending prompt 4"/);
    expect(dry.stdout).not.toMatch(/"pending prompt [0-3]"/);
    expect(ctx.server.batchState.counts.uploads).toBe(uploads);

    // With the rest in the batch too, nothing is left to send.
    const all = await runCli([...args, '--resume', '--dry-run', '--limit', '4']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^ {2}4 records: 0 to send, 2 already answered, 2 waiting in a submitted batch, 0 bad$/m);
    expect(all.stdout).toMatch(/^ {2}2 of 4 requests wait in 1 submitted batch/m);
    expect(all.stdout).toMatch(/Estimated cost: \$0: --resume has nothing left to send/);
    expect(all.stdout).not.toMatch(/Estimate for/);
    expect(all.stdout).toMatch(/^Batch API: nothing to upload \(every request is answered in the output, waiting in a submitted batch\)$/m);

    // Another run's settings: refused as the resume refuses them (the batch not collected named), nothing uploaded.
    const other = [...args, '--resume', '--temperature', '1'];
    const refused = await runInWorker([...other, '--dry-run']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /written by a different run \(temperature: was null, now 1\); refusing to mix results; nothing was sent\. That run's 1 batch not collected yet holds/,
    );
    expect(refused.stdout).toBe('');
    const run = await runCli(other);
    expect(run.code).toBe(2);
    expect(refused.stderr).toBe(run.stderr);
    expect(ctx.server.batchState.counts.uploads).toBe(uploads);
  });
});
