/**
 * A resumed file's wall time and throughput do not depend on how its report was made: `--report` on
 * the resume splits the runs at its own start, and `llm-batch report` given the resume's
 * --summary-json splits them at the start that summary implies, however short the gap between them.
 * Before, the second said "5.22 s, first request to last answer" where the first said "3.01 s: the
 * sum of 2 runs' spans".
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { runCli } from '../helpers/run-cli.js';
import { reportDataOf } from '../helpers/report-data.js';

const { dir, fresh, writeFile } = useServers('llm-batch-report-resume-time-');

describe('the report of a resumed file', () => {
  it('sums the same runs’ spans from the resume’s --summary-json as --report on the resume', async () => {
    const { run } = await fresh({ latencyMs: 50 });
    const input = writeFile('p.txt', Array.from({ length: 6 }, (_, i) => `question ${i}`).join('\n'));
    const out = path.join(dir, 'out.jsonl');
    expect((await run([input, '-c', '1', '-o', out, '--limit', '3', '-q'])).code).toBe(0);
    // A gap of a second between the runs: far less than the 5 minutes that alone would split them.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const summaryFile = path.join(dir, 'sum.json');
    const runReport = path.join(dir, 'run.html');
    const r = await run([input, '-c', '1', '-o', out, '--resume', '--summary-json', summaryFile, '--report', runReport, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const fromRun = reportDataOf(runReport).figures;
    expect(fromRun.runs).toBe(2);
    expect(fromRun.activeSeconds).toBeLessThan(fromRun.wallSeconds - 0.9);

    const fileReport = path.join(dir, 'file.html');
    const rep = await runCli(['report', out, '--summary-json', summaryFile, '-o', fileReport, '-q']);
    expect(rep.code, rep.stderr).toBe(0);
    const fromFile = reportDataOf(fileReport).figures;
    expect([fromFile.runs, fromFile.activeSeconds, fromFile.rowsPerSecond]).toEqual([2, fromRun.activeSeconds, fromRun.rowsPerSecond]);
  });

  it('a resume with nothing left to ask is no run of the file: one run, timed as before it', async () => {
    const { run } = await fresh({ latencyMs: 10 });
    const input = writeFile('done.txt', Array.from({ length: 8 }, (_, i) => `done ${i}`).join('\n'));
    const out = path.join(dir, 'done.jsonl');
    const first = path.join(dir, 'done1.html');
    expect((await run([input, '-c', '1', '-o', out, '--report', first, '-q'])).code).toBe(0);
    const again = path.join(dir, 'done2.html');
    expect((await run([input, '-c', '1', '-o', out, '--resume', '--report', again, '-q'])).code).toBe(0);
    const [before, after] = [reportDataOf(first).figures, reportDataOf(again).figures];
    expect([after.runs, after.activeSeconds]).toEqual([1, before.activeSeconds]);
  });

  it("times the resume from its start: its first row's retries are in its span (a review read 12.9 s for a run of 13.3)", async () => {
    const { run } = await fresh({ latencyMs: 20 });
    const input = writeFile('r.txt', ['first', 'second', '[[fault:500*3]] retried', 'last'].join('\n'));
    const out = path.join(dir, 'r.jsonl');
    expect((await run([input, '-c', '1', '-o', out, '--limit', '2', '-q'])).code).toBe(0);
    const summaryFile = path.join(dir, 'r-sum.json');
    const report = path.join(dir, 'r.html');
    const r = await run([input, '-c', '1', '-o', out, '--resume', '--summary-json', summaryFile, '--report', report, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as { wallSeconds: number; retries: number };
    expect(summary.retries).toBe(3);
    const figures = reportDataOf(report).figures;
    expect(figures.runs).toBe(2);
    // The first run's span and all of this one's.
    expect(figures.activeSeconds).toBeGreaterThanOrEqual(summary.wallSeconds);
  });
});
