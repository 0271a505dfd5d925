/**
 * An input file cut short or rewritten in place while a run reads it (a job regenerating it, `cat new
 * > in.txt`): the run ended at exit 0 with the rows of its first part only, or with two files' rows
 * mixed, and nothing said. Now it stops (exit 2) with a line saying the file changed, and offers no
 * --resume, which would refuse the changed file. A file that only grew is read as before. The BUILT
 * CLI against the mock server, whose answers are held while the file changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdAnswers, stderrLines, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, spawnCli, waitForExit } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';

const ctx = useServerAndCaseDir('llm-batch-input-changed-');

/** 2,000 lines of ~150 bytes (~300 KB, beyond what the reader takes ahead while one answer is held). */
const lines = (word: string, n = 2000) => Array.from({ length: n }, (_, i) => `${word} ${i + 1} ${'x'.repeat(140)}`).join('\n') + '\n';

async function runWhile(change: (file: string) => void, shape: (text: string) => string | Buffer = (text) => text) {
  const input = path.join(ctx.dir, 'in.txt');
  fs.writeFileSync(input, shape(lines('old')));
  const out = path.join(ctx.dir, 'out.jsonl');
  const release = holdAnswers(ctx.server);
  const child = spawnCli([input, '-o', out, '--base-url', ctx.server.url, '--no-cache', '-c', '1']);
  const exited = waitForExit(child, 60_000);
  await until(() => ctx.server.requests.length === 1, 'the first request');
  change(input);
  release();
  const r = await exited;
  return { r, rows: parseJsonl<{ prompt: string }>(fs.readFileSync(out, 'utf8')) };
}

describe('an input file that changes while it is read', () => {
  it('cut short: exit 2, a line saying so, no --resume offered', async () => {
    const { r, rows } = await runWhile((file) => fs.writeFileSync(file, lines('old', 10)));
    expect(r.code, r.stderr).toBe(2);
    const last = stderrLines(r).at(-1)!;
    expect(last).toMatch(/^llm-batch: \S+in\.txt changed while it was being read \(\d+ bytes were read of the \d+ it had when opened\): /);
    expect(r.stderr).not.toMatch(/--resume/);
    expect(rows.length).toBeLessThan(2000);
  });

  it('rewritten in place with other lines of the same length: exit 2, not a green run of mixed rows', async () => {
    const { r, rows } = await runWhile((file) => fs.writeFileSync(file, lines('new')));
    expect(r.code, r.stderr).toBe(2);
    expect(stderrLines(r).at(-1)).toMatch(/changed while it was being read \(rewritten in place\)/);
    // What was written is there, old and new: the line says so.
    expect(rows.some((row) => row.prompt.startsWith('old'))).toBe(true);
  });

  it('appended to while its last line had no newline: exit 2, not a green run its own --resume refuses', async () => {
    const { r, rows } = await runWhile(
      (file) => fs.appendFileSync(file, 'gamma\nnew\n'),
      (text) => text.replace(/\n$/, ''),
    );
    expect(r.code, r.stderr).toBe(2);
    expect(stderrLines(r).at(-1)).toMatch(
      /changed while it was being read \(text was appended to it while its last line had no newline, and joined that line\)/,
    );
    expect(rows.length).toBeGreaterThan(0);
  });

  it('appended to from a new line while its last line had none: read as it grew, exit 0 (it stopped)', async () => {
    const { r, rows } = await runWhile(
      (file) => fs.appendFileSync(file, '\ngamma\n'),
      (text) => text.replace(/\n$/, ''),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(rows).toHaveLength(2001);
    expect(rows.map((row) => row.prompt)).toContain('gamma');
  });

  it('UTF-16BE: a last character whose low byte is a line feed (上, 4E 0A) is no line break: joined, exit 2', async () => {
    /** UTF-16BE bytes of `text`: node writes LE, each unit's bytes swapped. */
    const be = (text: string) => Buffer.from(text, 'utf16le').swap16();
    const { r } = await runWhile(
      (file) => fs.appendFileSync(file, be('gamma\n')),
      (text) => Buffer.concat([Buffer.from([0xfe, 0xff]), be(text.replace(/\n$/, '上'))]),
    );
    expect(r.code, r.stderr).toBe(2);
    expect(stderrLines(r).at(-1)).toMatch(/text was appended to it while its last line had no newline, and joined that line/);
  });

  it('appended to: read as it grew, exit 0', async () => {
    const { r, rows } = await runWhile((file) => fs.appendFileSync(file, lines('more', 5)));
    expect(r.code, r.stderr).toBe(0);
    expect(rows).toHaveLength(2005);
  });
});
