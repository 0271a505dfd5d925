/**
 * A signal once every row is written, while the run does its closing work: a resume's compaction
 * (seconds for a large output) and --report (8 s for 100,000 rows). It said "stopping: no new
 * prompts (Ctrl-C again to quit at once)" and a second one did nothing: the work went on to its end,
 * exit 0. Now any signal then ends that work at once, as `merge` and `report` end theirs: the output
 * keeps every row (the compaction's rename never happens), no report is written, no temp file is
 * left, exit 130. The signal is sent by the CLI itself at a known step (signalOnWrite), not on a timer.
 * A resume stopped before its last row does not start its compaction at all (27 s for 500 MB): the
 * next resume does it.
 * Spawns the BUILT CLI (`npm run build` first) against the in-repo mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdAnswers, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { runCli, spawnCli, waitForExit, writePrompts, type CliResult } from '../helpers/run-cli.js';
import { signalOnWrite } from '../helpers/signal-on-write.js';
import { until } from '../helpers/until.js';

const ctx = useServerAndCaseDir('llm-batch-signal-close-');

/** The files in the case's folder, but for the signal hooks: a temp file left behind shows here. */
const filesLeft = () => fs.readdirSync(ctx.dir).filter((f) => !f.startsWith('signal-on-write-'));

describe('a signal during the closing compaction of a --resume', () => {
  it.each([
    ['SIGTERM' as const, []],
    ['SIGINT' as const, []],
    ['SIGTERM' as const, ['--batch-api', '--poll', '0.05']],
  ])('%s %j: ends it at once, exit 130; every row kept, no temp file; the next --resume compacts', async (signal, runFlags) => {
    const input = writePrompts(ctx.dir, 'in.txt', ['one', 'two', 'three']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const report = path.join(ctx.dir, 'report.html');
    const summaryJson = path.join(ctx.dir, 'summary.json');
    const run = [input, '-o', out, '--base-url', ctx.server.url, '-m', 'm', ...runFlags];
    const args = [...run, '--resume', '--report', report, '--summary-json', summaryJson];
    expect((await runCli(run)).code).toBe(0);
    // A --batch-api run keeps its batches' state beside the output.
    const state = runFlags.length > 0 ? ['out.jsonl.batch.json'] : [];
    // A superseded row (a resume killed before its compaction leaves such): this resume compacts it away.
    fs.appendFileSync(out, fs.readFileSync(out, 'utf8').split('\n')[0] + '\n');
    const before = fs.readFileSync(out, 'utf8');

    const r = await runCli(args, { env: { NODE_OPTIONS: signalOnWrite(ctx.dir, 'openSync', 'out.jsonl.compact.tmp', signal) } });
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain(`llm-batch: ${out} was not compacted (interrupted): every row is kept, the superseded ones too`);
    expect(r.stderr).toMatch(/^llm-batch: interrupted: .*3 already done/m);
    expect(r.stderr).toContain(`llm-batch: interrupted: no report written (${report} is left as it was)`);
    expect(r.stderr).not.toMatch(/stopping:/);
    expect(fs.readFileSync(out, 'utf8')).toBe(before);
    expect(filesLeft().sort()).toEqual(['in.txt', 'out.jsonl', ...state, 'out.jsonl.meta.json', 'summary.json']);
    expect(JSON.parse(fs.readFileSync(summaryJson, 'utf8'))).toMatchObject({ stopped: 'interrupted', exitCode: 130 });

    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/1 superseded row left by an earlier run dropped \(compacted\)/);
    expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(3);
    expect(fs.existsSync(report)).toBe(true);
  });
});

describe('a --resume stopped by a signal before its last row', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s: no closing compaction, exit 130; every row kept, and the next --resume compacts them', async (signal) => {
    const input = writePrompts(ctx.dir, 'in.txt', ['one', 'two', 'three']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const run = [input, '-o', out, '--base-url', ctx.server.url, '-m', 'm'];
    expect((await runCli([...run, '--limit', '2'])).code).toBe(0);
    // A superseded row, as a resume killed before its compaction leaves: due to be compacted away.
    const [first] = fs.readFileSync(out, 'utf8').split('\n');
    fs.appendFileSync(out, `${first}\n`);
    const before = fs.readFileSync(out, 'utf8');

    const release = holdAnswers(ctx.server);
    const child = spawnCli([...run, '--resume']);
    const exit = waitForExit(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await until(() => ctx.server.requests.length === 3, 'the third prompt to be in flight');
    child.kill(signal);
    await until(() => /stopping: no new prompts/.test(stderr), 'the stop to be said');
    release();
    const r = await exit;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain(`llm-batch: ${out} was not compacted (interrupted): every row is kept, the superseded ones too`);
    expect(r.stderr).not.toMatch(/\(compacted\)/);
    // The row in flight was written after the rows there, the superseded one too.
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(`${lines.slice(0, -1).join('\n')}\n`).toBe(before);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ prompt: 'three', error: null });
    expect(filesLeft().sort()).toEqual(['in.txt', 'out.jsonl', 'out.jsonl.meta.json']);

    const again = await runCli([...run, '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/1 superseded row left by an earlier run dropped \(compacted\)/);
    expect(again.stderr).toMatch(/0 ok, 0 failed, 3 already done/);
    const rows = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((row) => row.prompt).sort()).toEqual(['one', 'three', 'two']);
    expect(ctx.server.requests).toHaveLength(3);
  });
});

describe('a signal while --report is written', () => {
  it.each([
    ['the first signal of the run', false],
    ['a second signal, the first one during the run', true],
  ])('%s: ends it at once, exit 130, no report and no temp file; the output is whole', async (_, stoppedBefore) => {
    const prompts = ['one', 'two', 'three'];
    const input = writePrompts(ctx.dir, 'in.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');
    const report = path.join(ctx.dir, 'report.html');
    fs.writeFileSync(report, 'an earlier report');
    const summaryJson = path.join(ctx.dir, 'summary.json');
    // The summary JSON is written just before the report: the signal comes as the report starts (its
    // second write: the first, as the run starts sending, says it is running).
    const env = { NODE_OPTIONS: signalOnWrite(ctx.dir, 'writeFileSync', 'summary.json', 'SIGTERM', 2) };
    const args = [input, '-o', out, '--base-url', ctx.server.url, '-m', 'm', '-c', '3', '--report', report, '--overwrite', '--summary-json', summaryJson];
    let r: CliResult;
    if (stoppedBefore) {
      // Every prompt in flight when the first SIGTERM comes: their rows are written, then the closing work starts.
      const release = holdAnswers(ctx.server);
      const child = spawnCli(args, { env });
      const exit = waitForExit(child);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      await until(() => ctx.server.requests.length === prompts.length, 'every prompt to be in flight');
      child.kill('SIGTERM');
      await until(() => /stopping: no new prompts; up to 5s for 3 in flight/.test(stderr), 'the stop to be said');
      release();
      r = await exit;
      expect(r.stderr).toMatch(/^llm-batch: interrupted: 3 ok/m);
      // No terminal here (cron, a supervisor): no Ctrl-C to press, the second signal named instead.
      expect(r.stderr).toMatch(/^llm-batch: stopping: no new prompts; up to 5s for 3 in flight \(a second SIGTERM or SIGINT aborts them\)$/m);
    } else {
      r = await runCli(args, { env });
      expect(r.stderr).toMatch(/^llm-batch: 3 ok/m);
      expect(JSON.parse(fs.readFileSync(summaryJson, 'utf8'))).toMatchObject({
        exitCode: 130,
        error: expect.stringMatching(/^interrupted: no report written/),
      });
    }
    expect(r.code, r.stderr).toBe(130);
    // The closing work's signal says nothing of prompts: only the first one of a run still sending does.
    expect(r.stderr.match(/stopping:/g) ?? []).toHaveLength(stoppedBefore ? 1 : 0);
    // The resume command a stopped run prints writes it; else `report` makes it.
    const remake = stoppedBefore ? '' : `; \`llm-batch report ${out} -o ${report}\` makes it from the rows`;
    expect(r.stderr).toContain(`llm-batch: interrupted: no report written (${report} is left as it was)${remake}\n`);
    expect(fs.readFileSync(report, 'utf8')).toBe('an earlier report');
    expect(filesLeft().sort()).toEqual(['in.txt', 'out.jsonl', 'out.jsonl.meta.json', 'report.html', 'summary.json']);
    expect(
      fs
        .readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).prompt)
        .sort(),
    ).toEqual([...prompts].sort());
  });
});
