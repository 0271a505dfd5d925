/**
 * A stopped run's report says how many prompts it did not run and the command that finishes them,
 * as its summary and stderr do: `--report` on the run, and `report` of its file with --summary-json.
 * Without them the page read "ok 5 · 100 % of 5 rows" for a run that left 7 prompts unrun.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { runCli, SECRET_KEY } from '../helpers/run-cli.js';
import { reportDataOf } from '../helpers/report-data.js';

const { dir, fresh, writeFile } = useServers('llm-batch-report-stop-');

describe('the report of a stopped run', () => {
  it('carries notRun and the resume command, from the run and from its --summary-json', async () => {
    const { run } = await fresh({ latencyMs: 0, fault: ({ index }) => (index >= 5 ? 'quota' : undefined) });
    const input = writeFile('p.txt', Array.from({ length: 12 }, (_, i) => `question ${i}`).join('\n'));
    const out = path.join(dir, 'out.jsonl');
    const summaryFile = path.join(dir, 'sum.json');
    const runReport = path.join(dir, 'run.html');
    const r = await run([input, '-c', '1', '-o', out, '--summary-json', summaryFile, '--report', runReport, '-q']);
    expect(r.code, r.stderr).toBe(3);
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    expect(summary).toMatchObject({ stopped: 'quota', notRun: 7 });
    expect(summary.resumeHint).toMatch(/--resume/);
    const expected = { stopped: 'quota', notRun: 7, resumeHint: summary.resumeHint };
    expect(reportDataOf(runReport).run).toMatchObject(expected);

    const fileReport = path.join(dir, 'file.html');
    const rep = await runCli(['report', out, '--summary-json', summaryFile, '-o', fileReport, '-q']);
    expect(rep.code, rep.stderr).toBe(0);
    expect(reportDataOf(fileReport).run).toMatchObject(expected);
    for (const file of [runReport, fileReport]) expect(fs.readFileSync(file, 'utf8')).not.toContain(SECRET_KEY);
  });
});
