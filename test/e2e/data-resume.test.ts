/**
 * Issue 11, the cron line that must recover from a bad night: a resume re-runs transient failures
 * by default and leaves one row per id; an input with prompts appended resumes; other input
 * changes are said in words. The built CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonl } from '../helpers/run-cli.js';
import { useServers } from '../helpers/mock-server-hooks.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import type { ResultRow } from '../../src/types.js';

const { dir, fresh, writeFile } = useServers('llm-batch-data-resume-');
const rowsIn = (file: string): ResultRow[] => parseJsonl<ResultRow>(fs.readFileSync(file, 'utf8'));

describe('a plain --resume re-runs transient failures (item 9)', () => {
  it('timeouts, resets, 429s and 5xx are re-run by --resume alone; a 400 waits for --retry-failed; one row per id after each run', async () => {
    const { run, server } = await fresh();
    const prompts = ['fine one', 'down [[fault:503*1]]', 'reset [[fault:reset*1]]', 'limited [[fault:429*1]]', 'refused [[fault:400*1]]', 'fine two'];
    const input = writeFile('bad-night.txt', prompts.join('\n') + '\n');
    const out = path.join(dir, 'bad-night.jsonl');

    // The bad night: no retries, so every fault is a failed row.
    const r1 = await run([input, '-o', out, '--retries', '0', '-q']);
    expect(r1.code).toBe(1);
    expect(rowsIn(out).filter((r) => r.error !== null)).toHaveLength(4);

    // The next night's cron line, unchanged: the three transient failures are re-run; the 400 is not.
    const r2 = await run([input, '-o', out, '--retries', '0', '--resume', '-q']);
    expect(r2.code).toBe(1); // the 400 is still unanswered
    expect(server.countFor(prompts[1]!)).toBe(2);
    expect(server.countFor(prompts[2]!)).toBe(2);
    expect(server.countFor(prompts[3]!)).toBe(2);
    expect(server.countFor(prompts[4]!)).toBe(1);
    expect(server.countFor(prompts[0]!)).toBe(1);
    const rows = rowsIn(out);
    expect(rows).toHaveLength(6); // compacted: one row per id, no double counting in jq / pandas
    expect(new Set(rows.map((r) => r.id)).size).toBe(6);
    expect(rows.filter((r) => r.error !== null).map((r) => r.error!.status)).toEqual([400]);
    expect(r2.stderr).toMatch(/1 already done \(1 of them failed|already done.*--retry-failed/);

    // --retry-failed re-runs the permanent one too.
    const r3 = await run([input, '-o', out, '--resume', '--retry-failed', '-q']);
    expect(r3.code).toBe(0);
    expect(server.countFor(prompts[4]!)).toBe(2);
    expect(rowsIn(out)).toHaveLength(6);
    expect(rowsIn(out).every((r) => r.error === null)).toBe(true);
  });

  it('a resume that supersedes no row leaves the file append-only (no rewrite)', async () => {
    const { before, resumed, after } = await appended();
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(after.text.startsWith(before.text)).toBe(true);
    expect(after.inode).toBe(before.inode);
  });
});

/**
 * A run of two prompts, then two more appended to its input and a plain --resume: the file it
 * leaves (append-only) and what it sends (only the new prompts) are two tests' checks of one such
 * resume. Made once, by whichever of them runs first.
 */
let appendedRun: ReturnType<typeof appendAndResume> | undefined;
const appended = () => (appendedRun ??= appendAndResume());
async function appendAndResume() {
  const { run, server } = await fresh();
  const input = writeFile('append.txt', 'a1\na2\n');
  const out = path.join(dir, 'append.jsonl');
  expect((await run([input, '-o', out, '-q'])).code).toBe(0);
  const before = { text: fs.readFileSync(out, 'utf8'), inode: fs.statSync(out).ino };
  fs.appendFileSync(input, 'a3\na4\n');
  server.reset();
  const resumed = await run([input, '-o', out, '--resume', '-q']);
  const sent = server.requests.map((q) => q.prompt);
  const after = { text: fs.readFileSync(out, 'utf8'), inode: fs.statSync(out).ino };
  return { run, server, input, out, before, resumed, sent, after };
}

/**
 * The output whose input the cases below change: one run, made by whichever case runs first. A
 * refused resume changes neither the output nor its metadata, so each case is refused against it.
 */
let editedRun: ReturnType<typeof runToEdit> | undefined;
async function runToEdit() {
  const { run, server } = await fresh();
  const input = writeFile('edited.txt', 'b1\nb2\n');
  const out = path.join(dir, 'edited.jsonl');
  expect((await run([input, '-o', out, '-q'])).code).toBe(0);
  return { server, input, out };
}

describe('--resume with a changed input (item 11)', () => {
  it('prompts appended to the input: accepted, only the new ones are sent', async () => {
    const { run, server, input, out, resumed, sent, after } = await appended();
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect([...sent].sort()).toEqual(['a3', 'a4']);
    expect(parseJsonl<ResultRow>(after.text)).toHaveLength(4);
    // The metadata now describes the grown input: a later resume still matches.
    server.reset();
    expect((await run([input, '-o', out, '--resume', '-q'])).code).toBe(0);
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    [
      'a prompt edited',
      (input: string) => fs.writeFileSync(input, 'b1 edited\nb2\n'),
      /the input .*edited\.txt was edited since the output was started \(not just added to: its first 6 bytes differ\)/,
    ],
    [
      'a prompt removed',
      (input: string) => fs.writeFileSync(input, 'b1\n'),
      /the input .*edited\.txt is shorter than when the output was started \(6 bytes then, 3 bytes now\)/,
    ],
  ])('%s: refused, said in words (not two hashes), exit 2, nothing sent', async (_name, change, words) => {
    const { server, input, out } = await (editedRun ??= runToEdit());
    change(input);
    server.reset();
    const r = await runInWorker([input, '-o', out, '--resume', '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(words);
    expect(r.stderr).not.toMatch(/sha256/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('a broken input line fixed, then --resume --force-resume', () => {
  it('the fixed line is asked and its old input error row goes: one row per prompt', async () => {
    const { run, server } = await fresh();
    const input = writeFile('fix.jsonl', '{"prompt":"first fine"}\n{"prompt":"broken\n{"prompt":"third fine"}\n');
    const out = path.join(dir, 'fix.out.jsonl');
    expect((await run([input, '-o', out, '-q'])).code).toBe(1);
    expect(rowsIn(out).map((r) => [r.line, r.error?.type ?? 'ok'])).toEqual(expect.arrayContaining([[2, 'input']]));
    expect(rowsIn(out)).toHaveLength(3);
    fs.writeFileSync(input, '{"prompt":"first fine"}\n{"prompt":"broken fixed"}\n{"prompt":"third fine"}\n');
    server.reset();
    const r = await run([input, '-o', out, '--resume', '--force-resume']);
    expect(r.code).toBe(0);
    expect(server.requests.map((q) => q.prompt)).toEqual(['broken fixed']);
    expect(r.stderr).toMatch(/1 superseded row replaced by this run's \(compacted\)/);
    const rows = rowsIn(out);
    expect(rows.map((row) => [row.line, row.error?.type ?? 'ok']).sort()).toEqual([
      [1, 'ok'],
      [2, 'ok'],
      [3, 'ok'],
    ]);
    // Nothing left to do: a plain resume sends nothing and rewrites nothing.
    server.reset();
    expect((await run([input, '-o', out, '--resume', '--force-resume', '-q'])).code).toBe(0);
    expect(server.requests).toHaveLength(0);
    expect(rowsIn(out)).toHaveLength(3);
  });
});

describe('--limit N (item 19)', () => {
  it('runs the first N records only; a resume with a larger limit continues where it stopped', async () => {
    const { run, server } = await fresh();
    const input = writeFile('limit.txt', Array.from({ length: 10 }, (_, i) => `l${i}`).join('\n') + '\n');
    const out = path.join(dir, 'limit.jsonl');
    const r1 = await run([input, '-o', out, '--limit', '3', '-q']);
    expect(r1.code, r1.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt).sort()).toEqual(['l0', 'l1', 'l2']);
    server.reset();
    const r2 = await run([input, '-o', out, '--limit', '5', '--resume', '-q']);
    expect(r2.code, r2.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt).sort()).toEqual(['l3', 'l4']);
    expect(rowsIn(out)).toHaveLength(5);
  });

  it('--limit 0 is refused', async () => {
    const { run } = await fresh();
    const input = writeFile('limit0.txt', 'x\n');
    const r = await run([input, '--limit', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--limit.*Expected a whole number greater than 0/);
  });
});

describe('--resume after the input’s line ends were converted (dos2unix, git autocrlf)', () => {
  it.each([
    ['CSV, CRLF to LF', 'ends.csv', 'id,prompt\r\n1,c1\r\n2,c2\r\n', 'id,prompt\n1,c1\n2,c2\n'],
    ['text, LF to CRLF', 'ends.txt', 'e1\ne2\n', 'e1\r\ne2\r\n'],
  ])('%s: the same records, accepted and nothing asked again; an edit beside it still refused', async (_name, name, before, after) => {
    const { run, server } = await fresh();
    const input = writeFile(name, before);
    const out = path.join(dir, `${name}.jsonl`);
    expect((await run([input, '-o', out, '-q'])).code).toBe(0);
    server.reset();
    fs.writeFileSync(input, after);
    const resumed = await run([input, '-o', out, '--resume', '-q']);
    expect([resumed.code, resumed.stderr]).toEqual([0, '']);
    expect(server.requests).toHaveLength(0);
    expect(rowsIn(out)).toHaveLength(2);
    fs.writeFileSync(input, after.replace('2', '3'));
    const edited = await runInWorker([input, '-o', out, '--resume', '--base-url', server.url]);
    expect(edited.code).toBe(2);
    expect(edited.stderr).toMatch(/was edited since the output was started/);
  });
});
