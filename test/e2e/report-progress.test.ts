/**
 * `report` of a large file on a terminal says how far its reads are on one stderr line, redrawn in
 * place and erased when done: it showed nothing for minutes on a file of gigabytes. Nothing of it
 * off a terminal (cron, a pipe) or under -q.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultRow, jsonlOf } from '../helpers/report-rows.js';
import { runCli, tempDir } from '../helpers/run-cli.js';
import { runPty, startPty } from '../helpers/run-pty.js';

let tmp: { dir: string; cleanup: () => void };
let results: string;
beforeAll(() => {
  tmp = tempDir('llm-batch-report-progress-');
  results = path.join(tmp.dir, 'big.jsonl');
  // About 11 MB: past the 8 MiB below which no line is drawn (a report done in about a second).
  const answer = 'lorem ipsum dolor sit amet '.repeat(16);
  fs.writeFileSync(results, jsonlOf(Array.from({ length: 20_000 }, (_, i) => resultRow(i, { response: answer }))));
});
afterAll(() => tmp?.cleanup());

const READING = /reading \S*big\.jsonl: \d+%/;

describe('llm-batch report of a large file', () => {
  it('on a terminal: a line says how far the reads are, and is gone once the report is written', async () => {
    const html = path.join(tmp.dir, 'tty.html');
    const r = await runPty(['report', results, '-o', html], { env: { NO_COLOR: '1' } });
    expect(r.code, r.raw).toBe(0);
    expect(r.raw).toMatch(READING);
    expect(r.raw).toMatch(/reading \S*big\.jsonl again for the table's texts: /);
    expect(r.raw).not.toMatch(/\x1b\[[0-9;]*m/);
    const screen = r.screen.filter((line) => line.trim() !== '');
    expect(screen).toEqual([expect.stringMatching(/^llm-batch: report of [\d,]+ rows written to \S+tty\.html \(\d+\.\d MB\)$/)]);
  });

  it('nothing of it under -q, or off a terminal', async () => {
    const quiet = await runPty(['report', results, '-o', path.join(tmp.dir, 'quiet.html'), '-q']);
    expect(quiet.code, quiet.raw).toBe(0);
    expect(quiet.raw.trim()).toBe('');
    const piped = await runCli(['report', results, '-o', path.join(tmp.dir, 'piped.html')]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toMatch(/^llm-batch: report of [\d,]+ rows written to \S+piped\.html \(\d+\.\d MB\)\n$/);
  });

  it('Ctrl-C while it reads: the interrupt says so on a line of its own, and the line is gone', async () => {
    const html = path.join(tmp.dir, 'int.html');
    const session = startPty(['report', results, '-o', html], { cols: 200 });
    await session.waitFor(READING);
    session.type('\x03');
    const r = await session.done;
    expect(r.code, r.raw).toBe(130);
    const screen = r.screen.filter((line) => line.trim() !== '');
    expect(screen).toEqual([expect.stringMatching(/^llm-batch: interrupted: nothing was written to \S+int\.html \(it is as it was\)$/)]);
    expect(fs.existsSync(html)).toBe(false);
  });
});
