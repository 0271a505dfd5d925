/**
 * `llm-batch report` of a file that is not a run's results, or holds none: refused with one line and
 * a documented exit code, and no report written (an earlier one at the target is left as it was).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { useServer } from '../helpers/mock-server-hooks.js';

const ctx = useServer('llm-batch-report-refusals-');

/**
 * One earlier report, made once for the file (each case's copy is the same command's same bytes):
 * each case gets a directory holding it at `earlier.html`, to see that a refusal leaves it alone.
 */
let earlierBytes: Buffer;
beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(ctx.dir, 'earlier-'));
  const results = path.join(dir, 'good.jsonl');
  fs.writeFileSync(results, `${JSON.stringify({ id: 'a', prompt: 'hi', response: 'hello', error: null })}\n`);
  const earlier = path.join(dir, 'earlier.html');
  const made = await runCli(['report', results, '-o', earlier, '-q']);
  expect(made.code, made.stderr).toBe(0);
  earlierBytes = fs.readFileSync(earlier);
  expect(earlierBytes.length).toBeGreaterThan(0);
});

function withEarlierReport(): { dir: string; earlier: string; bytes: Buffer } {
  const dir = fs.mkdtempSync(path.join(ctx.dir, 'r-'));
  const earlier = path.join(dir, 'earlier.html');
  fs.writeFileSync(earlier, earlierBytes);
  return { dir, earlier, bytes: earlierBytes };
}

async function expectRefused(
  file: string,
  earlier: { earlier: string; bytes: Buffer },
  code: number,
  message: RegExp,
  cli: typeof runInWorker = runInWorker,
): Promise<void> {
  // In the worker, unless the caller passes runCli: its family's one child process (exit 2's is `wrong` below).
  const r = await cli(['report', file]);
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
  expect(fs.existsSync(file.replace(/\.[^.]+$/, '.html'))).toBe(false);
  // Nor over an earlier report, which a report may otherwise replace.
  const over = await cli(['report', file, '-o', earlier.earlier]);
  expect(over.code).toBe(code);
  expect(fs.readFileSync(earlier.earlier).equals(earlier.bytes)).toBe(true);
}

describe('llm-batch report of a file that is not a results file', () => {
  it.each([
    [
      'a CSV with a foreign header and no rows',
      'junk.csv',
      'a,b\n',
      /junk\.csv:1: not a results header: no "id", "prompt" and "response" columns \(columns: "a", "b"\)/,
    ],
    ['a CSV with a foreign header and rows', 'junk.csv', 'a,b\n1,2\n', /junk\.csv:1: not a results header: no "id", "prompt" and "response" columns/],
    ['a CSV whose only line has no newline', 'junk.csv', 'a,b\n1,2', /junk\.csv:1: not a results header/],
    ['a prompts CSV', 'prompts.csv', 'id,prompt\n1,hi\n', /prompts\.csv:1: not a results header: no "response" column \(columns: "id", "prompt"\)/],
    ['a JSONL of objects that are not rows', 'other.jsonl', '{"a":1}\n{"b":2}\n', /other\.jsonl:1: not a result row \(missing "id"\)/],
    ['a JSONL of arrays', 'other.jsonl', '[1,2]\n', /other\.jsonl:1: not a result row \(not a JSON object\)/],
    // As --compact, merge and --resume refuse them: read as 1 attempt, and as a failed row of type "error_type".
    [
      'a JSONL row whose "attempts" is no number',
      'rows.jsonl',
      '{"id":"a","response":"x","error":null}\n{"id":"b","response":"y","error":null,"attempts":"x"}\n',
      /rows\.jsonl:2: not a result row \("attempts" must be a number\)/,
    ],
    [
      'a JSONL row whose usage has a token count that is no number',
      'rows.jsonl',
      '{"id":"a","response":"x","error":null,"usage":{"prompt_tokens":"9","completion_tokens":1}}\n',
      /rows\.jsonl:1: not a result row \("usage\.prompt_tokens" must be a number\)/,
    ],
    [
      'a JSONL row whose "error" is a string',
      'rows.jsonl',
      '{"id":"a","response":null,"error":"boom"}\n',
      /rows\.jsonl:1: not a result row \("error" must be an object or null\)/,
    ],
    [
      'a JSONL row whose "usage" is a string',
      'rows.jsonl',
      '{"id":"a","response":"x","error":null,"usage":"x"}\n',
      /rows\.jsonl:1: not a result row \("usage" must be an object or null\)/,
    ],
    [
      'a results CSV with its header repeated (two runs appended with >>)',
      'app.csv',
      'id,line,prompt,response,error_type,error_message,error_status,attempts\n1,1,a,x,,,,1\nid,line,prompt,response,error_type,error_message,error_status,attempts\n2,2,b,y,,,,1\n',
      /app\.csv:3: not a result row \(column "line" must be a number, got "line"\)/,
    ],
  ])('%s: one line naming file and line, exit 2, no report written', async (_what, name, text, message) => {
    const earlier = withEarlierReport();
    const file = path.join(earlier.dir, name);
    fs.writeFileSync(file, text);
    await expectRefused(file, earlier, 2, new RegExp(`^llm-batch: .*${message.source}.*; llm-batch report reads the JSONL or CSV results of a run$`));
  });
});

describe('llm-batch report of a file with no result rows', () => {
  it.each([
    ['an empty JSONL', 'none.jsonl', '', /none\.jsonl is empty: no report written/],
    ['an empty CSV', 'none.csv', '', /none\.csv is empty: no report written/],
    ['blank lines', 'none.jsonl', '\n\n', /none\.jsonl holds no result rows: no report written/],
    ['a results header only', 'none.csv', 'id,line,prompt,response,error_type\n', /none\.csv holds no result rows: no report written/],
    [
      'one row torn mid-write',
      'none.jsonl',
      '{"id":"a","response":"x"',
      /none\.jsonl holds no result rows \(its 24 bytes end in no newline, skipped as a torn write\): no report written/,
    ],
  ])('%s that no run wrote: exit 5 (no prompts), no report written', async (what, name, text, message) => {
    const earlier = withEarlierReport();
    const file = path.join(earlier.dir, name);
    fs.writeFileSync(file, text);
    // The first case is the family's child process: exit 5 through bin/.
    await expectRefused(file, earlier, 5, new RegExp(`^llm-batch: .*${message.source}$`), what === 'an empty JSONL' ? runCli : runInWorker);
  });

  it.each(['jsonl', 'csv'])('a run that answered nothing (a --shard that got no records, exit 0) gets its empty .%s report', async (ext) => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 's-'));
    const input = writePrompts(dir, 'p.txt', ['the only prompt']);
    const reports: number[] = [];
    for (const shard of ['1/2', '2/2']) {
      const out = path.join(dir, `shard-${shard[0]}.${ext}`);
      const run = await runCli([input, '--base-url', ctx.server.url, '--shard', shard, '-o', out, '-q']);
      expect(run.code, run.stderr).toBe(0);
      const r = await runInWorker(['report', out]);
      expect(r.code, r.stderr).toBe(0);
      reports.push(Number(/report of (\d+) rows?/.exec(r.stderr)?.[1]));
      expect(fs.existsSync(path.join(dir, `shard-${shard[0]}.html`))).toBe(true);
    }
    expect(reports.sort()).toEqual([0, 1]);
  });
});

describe('llm-batch report --summary-json of another run', () => {
  it("is refused (exit 2, no report) when the summary's input is not the one the results were written from", async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'sum-'));
    const runOf = async (name: string) => {
      const input = writePrompts(dir, `${name}.txt`, [`${name} question`]);
      const out = path.join(dir, `${name}.jsonl`);
      const summary = path.join(dir, `${name}.json`);
      const r = await runCli([input, '--base-url', ctx.server.url, '-o', out, '--summary-json', summary, '-q']);
      expect(r.code, r.stderr).toBe(0);
      return { input, out, summary };
    };
    const nightly = await runOf('nightly');
    const weekly = await runOf('weekly');
    const report = path.join(dir, 'r.html');
    const wrong = await runCli(['report', nightly.out, '--summary-json', weekly.summary, '-o', report]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toBe(
      `llm-batch: --summary-json ${weekly.summary} is the summary of a run of ${weekly.input}, but ${nightly.out} was written from ${nightly.input} (${nightly.out}.meta.json): give the summary of the run that wrote it\n`,
    );
    expect(fs.existsSync(report)).toBe(false);
    const right = await runInWorker(['report', nightly.out, '--summary-json', nightly.summary, '-o', report, '-q']);
    expect(right.code, right.stderr).toBe(0);
    expect(fs.existsSync(report)).toBe(true);
  });

  it('is refused when it is the placeholder of a run killed outright ("stopped": "running"): no figures of it', async () => {
    // Every count zero fits any results file: its "stopped early (running)" notice stood beside 49 rows.
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'running-'));
    const input = writePrompts(dir, 'in.txt', ['a question']);
    const out = path.join(dir, 'out.jsonl');
    expect((await runCli([input, '--base-url', ctx.server.url, '-o', out, '-q'])).code).toBe(0);
    const summary = path.join(dir, 's.json');
    fs.writeFileSync(summary, JSON.stringify({ ok: 0, failed: 0, requests: 0, stopped: 'running', exitCode: null, error: null, input }));
    const report = path.join(dir, 'r.html');
    const r = await runCli(['report', out, '--summary-json', summary, '-o', report]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `llm-batch: --summary-json ${summary} is the placeholder of a run that never finished (killed?): it holds none of the run's figures; report without --summary-json\n`,
    );
    expect(fs.existsSync(report)).toBe(false);
  });
});

describe('llm-batch report -o a file the run keeps beside its results', () => {
  it.each([
    ['.meta.json', 'run settings'],
    ['.lock', 'lock'],
    ['.batch.json', 'batch manifest'],
  ])('OUT%s is refused even with --overwrite (exit 2), as a run refuses it for --report', async (side, what) => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'side-'));
    const out = path.join(dir, 'out.jsonl');
    const run = await runCli([writePrompts(dir, 'p.txt', ['one', 'two']), '--mock', '-o', out, '-q']);
    expect(run.code, run.stderr).toBe(0);
    const target = `${out}${side}`;
    if (!fs.existsSync(target)) fs.writeFileSync(target, '{}');
    const before = fs.readFileSync(target);
    const r = await runInWorker(['report', out, '-o', target, '--overwrite']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`llm-batch: --output ${target} is the results’ ${what} file: choose another path\n`);
    expect(fs.readFileSync(target).equals(before)).toBe(true);
    // The run's own --report says it in the same words.
    const again = await runInWorker([path.join(dir, 'p.txt'), '--mock', '-o', out, '--resume', '--report', target, '--overwrite', '-q']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(new RegExp(`--report \\S+ is the output’s ${what} file: choose another path`));
  });
});
