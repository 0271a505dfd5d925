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
import { parseJsonl, runCli, tempDir, writePrompts } from '../helpers/run-cli.js';
import { interruptedAfterSubmit } from '../helpers/stop-after-submit.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { reportDataOf } from '../helpers/report-data.js';
import { startMockServer } from '../helpers/mock-server.js';

const tmp = tempDir('llm-batch-mock-stop-');
afterAll(() => tmp.cleanup());

const GONE = /--mock batches live only in the process that made them/;

/** A `--mock --batch-api` run of a, b, c into `dir`/out.jsonl, stopped by Ctrl-C with its batch submitted: gone with it. */
async function stoppedMockRun(dir: string): Promise<{ input: string; out: string }> {
  const input = writePrompts(dir, 'p.txt', ['a', 'b', 'c']);
  const out = path.join(dir, 'out.jsonl');
  expect((await interruptedAfterSubmit(['--mock', '--batch-api', input, '-o', out, '--poll', '30'])).code).toBe(130);
  return { input, out };
}

describe('--mock --batch-api stopped with a batch not collected', () => {
  it('Ctrl-C: no command to continue, one line why; --resume/status/cancel say so; --overwrite starts again', async () => {
    const dir = fs.mkdtempSync(path.join(tmp.dir, 'case-'));
    const input = writePrompts(dir, 'p.txt', ['a', 'b', 'c']);
    const out = path.join(dir, 'out.jsonl');
    const summary = path.join(dir, 'sum.json');
    const run = ['--mock', '--batch-api', input, '-o', out];
    // A long --poll: the batch is still in progress when the signal comes.
    const r = await interruptedAfterSubmit([...run, '--poll', '30', '--summary-json', summary, '--report', path.join(dir, 'run.html')]);
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
    expect(again.stderr).toMatch(/dropping 1 uncollected batch of the earlier --mock run/);
    expect(parseJsonl<{ response: string | null }>(fs.readFileSync(out, 'utf8')).filter((row) => row.response)).toHaveLength(3);
  });

  it('a live run after it drops the gone batch, which --resume and merge then took for one on its real server', async () => {
    const dir = fs.mkdtempSync(path.join(tmp.dir, 'case-'));
    const { input, out } = await stoppedMockRun(dir);
    const server = await startMockServer();
    try {
      const live = [input, '-o', out, '--base-url', server.url, '--no-cache'];
      const plain = await runCli(live);
      expect(plain.code, plain.stderr).toBe(0);
      expect(stderrLines(plain)[0]).toBe('llm-batch: abandoning 1 batch (3 requests) of an earlier --mock --batch-api run, which ended with its process');
      expect(fs.existsSync(`${out}.batch.json`)).toBe(false);
      expect(fs.existsSync(`${out}.batch.d`)).toBe(false);
      // Before, each of these stopped on the batch as one on the server now named in the meta.
      const resumed = await runCli([...live, '--resume']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(/0 ok, 0 failed, 3 already done/);
      const merged = await runInWorker(['merge', out, '-o', path.join(dir, 'all.jsonl')]);
      expect(merged.code, merged.stderr).toBe(0);
      expect(stderrLines(merged)).toEqual([expect.stringMatching(/^llm-batch: merged 3 rows from 1 file into /)]);
      expect(server.requests).toHaveLength(3);
    } finally {
      await server.close();
    }
  });

  it('a live --mock --resume after it closes the gone batch in the state, which then lists nothing to collect', async () => {
    const dir = fs.mkdtempSync(path.join(tmp.dir, 'case-'));
    const { input, out } = await stoppedMockRun(dir);
    const resumed = await runCli(['--mock', input, '-o', out, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(stderrLines(resumed)[0]).toBe(
      'llm-batch: dropping 1 batch (3 requests) of an earlier --mock --batch-api run, which ended with its process: this run sends the prompts without a row',
    );
    expect(parseJsonl<{ response: string | null }>(fs.readFileSync(out, 'utf8')).filter((row) => row.response)).toHaveLength(3);
    const merged = await runInWorker(['merge', out, '-o', path.join(dir, 'all.jsonl')]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(stderrLines(merged)).toEqual([expect.stringMatching(/^llm-batch: merged 3 rows from 1 file into /)]);
  });

  it('--mock --batch-api --overwrite stopped once it submitted leaves the old results as they were: no later command collects its batch', async () => {
    const dir = fs.mkdtempSync(path.join(tmp.dir, 'case-'));
    const earlier = writePrompts(dir, 'earlier.txt', ['x', 'y']);
    const input = writePrompts(dir, 'p.txt', ['a', 'b', 'c']);
    const out = path.join(dir, 'out.jsonl');
    expect((await runCli(['--mock', earlier, '-o', out, '-q'])).code).toBe(0);
    const rows = fs.readFileSync(out, 'utf8');
    const meta = fs.readFileSync(`${out}.meta.json`, 'utf8');
    const r = await interruptedAfterSubmit(['--mock', '--batch-api', '--overwrite', input, '-o', out, '--poll', '30']);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/out\.jsonl is left as it was: the run stopped before its first row/);
    expect(fs.readFileSync(out, 'utf8')).toBe(rows);
    expect(fs.readFileSync(`${out}.meta.json`, 'utf8')).toBe(meta);
    // Nor any batch state of its own, beside results of a run that had none.
    expect(fs.existsSync(`${out}.batch.json`)).toBe(false);
  });

  it('a real --batch-api --overwrite of a --mock output, stopped once it submitted: its batch is taken for a real one, also beside the --mock meta', async () => {
    const dir = fs.mkdtempSync(path.join(tmp.dir, 'case-'));
    const input = writePrompts(dir, 'p.txt', ['a', 'b', 'c']);
    const out = path.join(dir, 'out.jsonl');
    const meta = `${out}.meta.json`;
    expect((await runCli(['--mock', input, '-o', out, '-q'])).code).toBe(0);
    const mockMeta = fs.readFileSync(meta, 'utf8');
    // The batch stays in progress on the server.
    const server = await startMockServer({ batches: { stepMs: 20, hold: () => true } });
    try {
      expect((await interruptedAfterSubmit(['--batch-api', '--overwrite', '--base-url', server.url, input, '-o', out, '--poll', '30'])).code).toBe(130);
      // Its batch submitted, the run replaced the --mock run's rows and record.
      expect(JSON.parse(fs.readFileSync(meta, 'utf8'))).toMatchObject({ baseURL: server.url });
      expect(fs.readFileSync(out, 'utf8')).toBe('');
      // As an llm-batch that kept them until its first row left it: the --mock run's record beside a real batch.
      fs.writeFileSync(meta, mockMeta);
      const live = await runCli(['--overwrite', '--base-url', server.url, input, '-o', out, '--no-cache']);
      expect(stderrLines(live)).toEqual([
        expect.stringMatching(/ lists 1 batch of an earlier --batch-api run not collected yet \(batch_\w+\): a live --overwrite would send/),
      ]);
      expect(live.code).toBe(2);
      expect(server.requests).toHaveLength(0);
      expect(fs.existsSync(`${out}.batch.json`)).toBe(true);
      // Asked of the server, not said to be gone with a --mock process.
      const told = await runCli(['status', out, '--base-url', server.url]);
      expect(told.code, told.stderr).toBe(0);
      expect(told.stdout).toMatch(/in_progress .* next: wait, then collect/);
    } finally {
      await server.close();
    }
  });

  it('a --batch-api --resume of batches built and never submitted records the kind of server it submits them to', async () => {
    const dir = fs.mkdtempSync(path.join(tmp.dir, 'case-'));
    const input = writePrompts(dir, 'p.txt', ['a', 'b', 'c']);
    const out = path.join(dir, 'out.jsonl');
    const manifest = () => JSON.parse(fs.readFileSync(`${out}.batch.json`, 'utf8')) as { mock?: boolean };
    // The first upload is refused: the real run's batch stays built.
    const server = await startMockServer({ batches: { stepMs: 20, hold: () => true, uploadStatus: (n) => (n === 1 ? 404 : undefined) } });
    try {
      const real = ['--batch-api', '--base-url', server.url, input, '-o', out, '-m', 'gpt-4o-mini'];
      expect((await runCli(real)).code).toBe(2);
      expect(manifest().mock).toBe(false);
      // Submitted by --mock, then stopped: gone with its process, as the state now says.
      expect((await interruptedAfterSubmit(['--batch-api', '--mock', input, '-o', out, '-m', 'gpt-4o-mini', '--resume', '--poll', '30'])).code).toBe(130);
      expect(manifest().mock).toBe(true);
      const again = await runCli(['--batch-api', '--mock', input, '-o', out, '-m', 'gpt-4o-mini', '--overwrite', '--poll', '0.05']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toMatch(/dropping 1 uncollected batch of the earlier --mock run/);

      // The other way: a --mock run's batch built, never submitted (said by hand here), then submitted by a real run.
      server.options.batches = { stepMs: 20, hold: () => true, uploadStatus: () => 404 };
      const out2 = path.join(dir, 'out2.jsonl');
      const real2 = ['--batch-api', '--base-url', server.url, input, '-o', out2, '-m', 'gpt-4o-mini'];
      expect((await runCli(real2)).code).toBe(2);
      server.options.batches = { stepMs: 20, hold: () => true };
      const state2 = () => JSON.parse(fs.readFileSync(`${out2}.batch.json`, 'utf8')) as { mock?: boolean };
      fs.writeFileSync(`${out2}.batch.json`, JSON.stringify({ ...state2(), mock: true }));
      const resumed = await runCli([...real2, '--resume', '--no-wait']);
      expect(resumed.stderr).toMatch(/submitted 3 requests/);
      expect(state2().mock).toBe(false);
      // Its batch is on the server: a live run is refused, not told it is gone.
      const live = await runCli([input, '-o', out2, '--base-url', server.url, '-m', 'gpt-4o-mini', '--resume', '--no-cache']);
      expect(live.stderr).toMatch(/not collected yet \(batch_\w+\): a live --resume would send its prompts again and pay twice/);
      expect(live.code).toBe(2);
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('a --mock --batch-api --resume over batches on a server is refused before it submits one of its own', async () => {
    const dir = fs.mkdtempSync(path.join(tmp.dir, 'case-'));
    const input = writePrompts(dir, 'p.txt', ['a', 'b', 'c', 'd']);
    const out = path.join(dir, 'out.jsonl');
    // The second upload is refused: batch 1 is on the server, batch 2 built.
    const server = await startMockServer({ batches: { stepMs: 20, hold: () => true, uploadStatus: (n) => (n === 2 ? 404 : undefined) } });
    try {
      const run = [input, '-o', out, '-m', 'gpt-4o-mini', '--batch-api', '--batch-size', '2'];
      expect((await runCli([...run, '--base-url', server.url, '--no-wait'])).code).toBe(2);
      const before = fs.readFileSync(`${out}.batch.json`, 'utf8');
      const meta = fs.readFileSync(`${out}.meta.json`, 'utf8');
      const mock = await runCli([...run, '--mock', '--resume', '--force-resume', '--poll', '0.05']);
      expect(stderrLines(mock)).toEqual([
        expect.stringMatching(
          /\.batch\.json lists 1 batch of an earlier run on a server, not collected yet \(batch_\w+\): a --mock run cannot collect it; --resume with that run's --base-url$/,
        ),
      ]);
      expect(mock.code).toBe(2);
      expect(fs.readFileSync(`${out}.batch.json`, 'utf8')).toBe(before);
      // Nor is the meta the --mock run's now: the real run's own --resume goes on.
      expect(fs.readFileSync(`${out}.meta.json`, 'utf8')).toBe(meta);
      // As from a manifest an older llm-batch wrote, without the kind: the meta says it.
      const { mock: _, ...old } = JSON.parse(before) as { mock?: boolean };
      fs.writeFileSync(`${out}.batch.json`, JSON.stringify(old));
      const again = await runCli([...run, '--mock', '--resume', '--force-resume', '--poll', '0.05']);
      expect(again.stderr).toMatch(/a --mock run cannot collect it/);
      expect(again.code).toBe(2);
      expect(fs.readFileSync(`${out}.meta.json`, 'utf8')).toBe(meta);
    } finally {
      await server.close();
    }
  });
});
