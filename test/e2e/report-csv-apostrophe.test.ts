/**
 * A CSV's cells are read into the report as they are written: an answer's own leading `'` stays
 * (`'-' is the minus sign`), and only a file written with --csv-escape-formulas (its metadata says
 * so) has the `'` that escaped a formula read back off. Spawns the BUILT CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { reportDataOf } from '../helpers/report-data.js';
import { runCli } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const { dir, fresh, writeFile } = useServers('llm-batch-report-apostrophe-');

/** The table's answers, by prompt. */
function answersOf(html: string): Record<string, string> {
  const data = reportDataOf(html);
  const at = (name: string) => data.table.columns.indexOf(name);
  return Object.fromEntries(data.table.rows.map((r: unknown[]) => [r[at('prompt')], r[at('response')]]));
}

describe.concurrent("a CSV's leading apostrophes in the report", () => {
  it.each([
    ['written as they are', [], { quote: "'-' is the minus sign", formula: '=1+1 sums' }],
    ['written with --csv-escape-formulas', ['--csv-escape-formulas'], { formula: '=1+1 sums' }],
  ])('%s: the report of the CSV shows the answers as the run got them', async (name, flags, expected) => {
    const { run } = await fresh({ reply: (prompt) => (prompt.startsWith('quote') ? "'-' is the minus sign" : '=1+1 sums') });
    const tag = name.replace(/\W+/g, '');
    const input = writeFile(`${tag}.txt`, Object.keys(expected).join('\n') + '\n');
    const out = path.join(dir, `${tag}.csv`);
    const html = path.join(dir, `${tag}.html`);
    const r = await run([input, '-o', out, '--report', html, '-q', ...flags]);
    expect(r.code, r.stderr).toBe(0);
    if (flags.length > 0) expect(fs.readFileSync(out, 'utf8')).toContain("'=1+1 sums");
    expect(answersOf(html)).toEqual(expected);
    const again = path.join(dir, `${tag}.again.html`);
    // One case's report runs in the worker; the other stays a child process, through bin/.
    const rep = await (flags.length > 0 ? runInWorker : runCli)(['report', out, '-o', again, '-q']);
    expect(rep.code, rep.stderr).toBe(0);
    expect(answersOf(again)).toEqual(expected);
  });
});
