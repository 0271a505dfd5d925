/**
 * `--mock --batch-api` keeps its batches in the process that made them. Stopped with batches not
 * collected, no command can continue them: none is printed (a `--resume` would fail with a 404),
 * one line says why, and the way it names (--overwrite) works; `--resume`, `status` and `cancel`
 * on what is left say the same instead of a 404 or "Invalid URL", and so do the run's --report and a
 * later `report` (the batch is gone, not pending).
 * The BUILT CLI with its in-process --mock provider.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stderrLines } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, spawnCli, tempDir, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { until } from '../helpers/until.js';
import { reportDataOf } from '../helpers/report-data.js';

const tmp = tempDir('llm-batch-mock-stop-');
afterAll(() => tmp.cleanup());

const GONE = /--mock batches live only in the process that made them/;

describe('--mock --batch-api stopped with a batch not collected', () => {
  it('Ctrl-C: no command to continue, one line why; --resume/status/cancel say so; --overwrite starts again', async () => {
    const dir = fs.mkdtempSync(path.join(tmp.dir, 'case-'));
    const input = writePrompts(dir, 'p.txt', ['a', 'b', 'c']);
    const out = path.join(dir, 'out.jsonl');
    const summary = path.join(dir, 'sum.json');
    const run = ['--mock', '--batch-api', input, '-o', out];
    // A long --poll: the batch is still in progress when the signal comes.
    const child = spawnCli([...run, '--poll', '30', '--summary-json', summary, '--report', path.join(dir, 'run.html')]);
    const exited = waitForExit(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await until(() => /submitted 3 requests/.test(stderr), 'the batch to be submitted');
    child.kill('SIGINT');
    const r = await exited;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).not.toMatch(/--resume|to continue, run|keep running on the server/);
    expect(r.stderr).toMatch(
      new RegExp(`^llm-batch: 1 batch was not collected and cannot be: ${GONE.source}; the same command with --overwrite starts again$`, 'm'),
    );
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ stopped: 'interrupted', resumeHint: null, pendingBatches: 0, goneBatches: 1 });
    // Its --report says the same: the batch is gone, not pending for a --resume (see batch-notices.test.ts).
    expect(r.stderr).toMatch(/report of 0 rows written to \S+run\.html \(1 batch was not collected and cannot be \(--mock\)/);
    expect(reportDataOf(path.join(dir, 'run.html'))).toMatchObject({ pendingBatches: 0, unsubmittedBatches: 0, goneBatches: 1 });

    const resumed = await runInWorker([...run, '--resume']);
    expect(stderrLines(resumed)).toEqual([
      expect.stringMatching(
        /^llm-batch: \S+out\.jsonl\.batch\.json lists 1 batch of an earlier --mock run \(batch_mock_\d+\) that no one can collect: .*; pass --overwrite to start again$/,
      ),
    ]);
    expect(resumed.code).toBe(2);
    for (const sub of ['status', 'cancel']) {
      // `cancel` runs in the worker; `status` stays a child process, through bin/.
      const told = await (sub === 'cancel' ? runInWorker : runCli)([sub, out]);
      expect(stderrLines(told)).toEqual([
        expect.stringMatching(
          new RegExp(`^llm-batch: \\S+out\\.jsonl was written by a --mock run, and ${GONE.source}: there is no server to ask; run it again with --overwrite$`),
        ),
      ]);
      expect(told.code).toBe(2);
    }

    // `report` says the batch is gone, not a --resume that would fail; the report is still written.
    const report = await runCli(['report', out]);
    expect(report.code, report.stderr).toBe(0);
    expect(stderrLines(report)[0]).toMatch(
      /^llm-batch: \S+out\.jsonl\.batch\.json lists 1 batch of an earlier --mock run \(batch_mock_\d+\) that no one can collect: .*; pass --overwrite to start again$/,
    );
    expect(report.stderr).not.toMatch(/--resume/);
    // The page too, from the manifest (without --summary-json).
    expect(reportDataOf(path.join(dir, 'out.html'))).toMatchObject({ pendingBatches: 0, goneBatches: 1 });

    // `merge` says the batch is gone too, not a --resume that would be refused; exit 1, the rows are not all there.
    const merged = await runInWorker(['merge', out, '-o', path.join(dir, 'all.jsonl')]);
    expect(merged.code).toBe(1);
    expect(merged.stderr).toContain(
      `llm-batch: ${out}.batch.json lists 1 batch of ${out} that its --mock run never collected, and no one can: the merge covers the rows the file has\n`,
    );
    expect(merged.stderr).not.toMatch(/--resume/);

    const again = await runCli([...run, '--overwrite', '--poll', '0.05']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/dropping 1 uncollected batches of the earlier --mock run/);
    expect(parseJsonl<{ response: string | null }>(fs.readFileSync(out, 'utf8')).filter((row) => row.response)).toHaveLength(3);
  });
});
