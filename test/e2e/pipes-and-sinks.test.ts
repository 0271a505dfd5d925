/**
 * Inputs that can be read only once and outputs that are not regular files, through the BUILT CLI
 * and the mock server: a `<(…)` pipe or a FIFO as the input of a CSV run (no read ahead may eat its
 * rows), and stdout / stderr / -o on a device that fails or is a stream.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { userCanRunCli, runShell, runCliAsUser } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';

const ctx = useServerAndCaseDir('llm-batch-pipes-');

/** A shell line in this test's case dir. */
const runShellHere = (script: string, env: Record<string, string> = {}, timeoutMs?: number) => runShell(script, ctx.dir, env, timeoutMs);

const ROWS = ['{"id":"a","prompt":"pipe a"}', '{"id":"b","prompt":"pipe b"}', '{"id":"c","prompt":"pipe c"}'];

const csvRecords = (text: string) => parse(text, { columns: true }) as Array<Record<string, string>>;

describe('a pipe-like input file with CSV output', () => {
  it('<(cat rows.jsonl) -o out.csv and -f csv -o -: every row is sent and written (nothing read ahead)', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'rows.jsonl'), `${ROWS.join('\n')}\n`);
    const url = ctx.server.url;
    const toFile = await runShellHere(`$LLM <(cat rows.jsonl) --base-url ${url} --no-cache -o out.csv`);
    expect(toFile.code, toFile.stderr).toBe(0);
    expect(
      csvRecords(fs.readFileSync(path.join(ctx.dir, 'out.csv'), 'utf8'))
        .map((r) => r['id'])
        .sort(),
    ).toEqual(['a', 'b', 'c']);
    const toStdout = await runShellHere(`$LLM <(cat rows.jsonl) --base-url ${url} --no-cache -f csv -o -`);
    expect(toStdout.code, toStdout.stderr).toBe(0);
    expect(
      csvRecords(toStdout.stdout)
        .map((r) => r['response'])
        .sort(),
    ).toEqual(['ECHO pipe a', 'ECHO pipe b', 'ECHO pipe c']);
    expect(ctx.server.requests).toHaveLength(6);
  });

  it('a FIFO as input with -o out.csv: read once, no hang waiting for a second writer', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'rows.jsonl'), `${ROWS.join('\n')}\n`);
    execFileSync('mkfifo', [path.join(ctx.dir, 'f.jsonl')]);
    const r = await runShellHere(`cat rows.jsonl > f.jsonl & $LLM f.jsonl --base-url ${ctx.server.url} --no-cache -o out.csv`);
    expect(r.signal, 'the run hung').toBeNull();
    expect(r.code, r.stderr).toBe(0);
    expect(
      csvRecords(fs.readFileSync(path.join(ctx.dir, 'out.csv'), 'utf8'))
        .map((x) => x['id'])
        .sort(),
    ).toEqual(['a', 'b', 'c']);
  });

  it('<(cat in.csv) --keep-fields all -o out.csv: refused before anything is sent (exit 2), not "empty input"', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'in.csv'), 'id,prompt,topic\n1,hello,x\n');
    const r = await runShellHere(`$LLM <(cat in.csv) --input-format csv --keep-fields all --base-url ${ctx.server.url} --no-cache -o out.csv`);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--keep-fields all with CSV output needs a regular CSV input file .*\/dev\/fd\/\d+ is a pipe.*--keep-fields a,b/);
    expect(ctx.server.requests).toHaveLength(0);
    // The same file by its name still carries every column.
    const named = await runShellHere(`$LLM in.csv --keep-fields all --base-url ${ctx.server.url} --no-cache -o named.csv`);
    expect(named.code, named.stderr).toBe(0);
    expect(csvRecords(fs.readFileSync(path.join(ctx.dir, 'named.csv'), 'utf8'))[0]).toMatchObject({ id: '1', topic: 'x' });
  });
});

const hasDevFull = fs.existsSync('/dev/full');

describe.skipIf(!hasDevFull)('stdout or stderr that cannot be written', () => {
  it('> /dev/full (a full disk under stdout): one line and exit 2, as -o /dev/full gives (naming it), not a stack trace and exit 1', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\nq2\nq3\n');
    const url = ctx.server.url;
    for (const format of ['jsonl', 'csv']) {
      const piped = await runShellHere(`$LLM p.txt --base-url ${url} --no-cache -f ${format} > /dev/full`);
      expect(piped.code, piped.stderr).toBe(2);
      expect(piped.stderr).toBe('llm-batch: Cannot write output: ENOSPC: no space left on device, write\n');
    }
    // Named, as it was given (stdout's line names nothing: it is where the rows were to go).
    const named = await runShellHere(`$LLM p.txt --base-url ${url} --no-cache -o /dev/full`);
    expect(named.code).toBe(2);
    expect(named.stderr).toBe('llm-batch: Cannot write to output /dev/full: ENOSPC: no space left on device, write\n');
    // With no row writer listening (help text): the same line and code.
    const help = await runShellHere('$LLM --help > /dev/full');
    expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 2, stderr: 'llm-batch: Cannot write output: ENOSPC: no space left on device, write\n' });
  });

  it('-o /dev/full with one prompt: ENOSPC comes only as the file is flushed at the end, and is still said (exit 2)', async () => {
    // The only row is accepted into the stream's buffer before /dev/full is even open, so its write
    // fails after the run's last write: once, this lost the row with an "internal error", exit 1.
    fs.writeFileSync(path.join(ctx.dir, 'one.txt'), 'q1\n');
    for (const format of ['jsonl', 'csv']) {
      const r = await runShellHere(`$LLM one.txt --base-url ${ctx.server.url} --no-cache -f ${format} -o /dev/full`);
      expect({ code: r.code, stderr: r.stderr }).toEqual({
        code: 2,
        stderr: 'llm-batch: Cannot write to output /dev/full: ENOSPC: no space left on device, write\n',
      });
    }
  });

  it("2>/dev/full: messages are dropped, the rows and the exit code are the run's own", async () => {
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\nq2\n');
    const ok = await runShellHere(`$LLM p.txt --base-url ${ctx.server.url} --no-cache --progress 1 -o - 2>/dev/full`);
    expect(ok.code).toBe(0);
    expect(
      ok.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).response),
    ).toEqual(['ECHO q1', 'ECHO q2']);
    ctx.server.options.fault = ({ prompt }) => (prompt === 'q1' ? '500' : undefined);
    const failed = await runShellHere(`$LLM p.txt --base-url ${ctx.server.url} --no-cache --retries 0 -o out.jsonl 2>/dev/full`);
    ctx.server.options.fault = undefined;
    expect(failed.code).toBe(1);
    expect(fs.readFileSync(path.join(ctx.dir, 'out.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });
});

// Linux tells node's /dev/null in a closed stdout's place from a shell's `> /dev/null` (/proc/self/fdinfo).
describe.skipIf(!fs.existsSync('/proc/self/fdinfo'))('stdout closed (>&-)', () => {
  it('rows to it are refused before anything is sent (exit 2, one line), as `cat f >&-` fails; > /dev/null still discards them', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\nq2\n');
    const url = ctx.server.url;
    for (const rows of ['', '-o -', '-o /dev/stdout']) {
      const r = await runShellHere(`$LLM p.txt --base-url ${url} --no-cache ${rows} >&-`);
      expect({ rows, code: r.code, stderr: r.stderr }).toEqual({
        rows,
        code: 2,
        stderr: `llm-batch: standard output is closed (>&-, or a daemon's /dev/null opened read-write): the rows would be lost; redirect it (> rows.jsonl, or > /dev/null to discard them) or give -o FILE\n`,
      });
    }
    expect(ctx.server.requests).toHaveLength(0);
    // Discarded on purpose, or written elsewhere: as before.
    for (const rows of ['> /dev/null', '-o /dev/stdout > /dev/null', '-o out.jsonl >&-']) {
      const r = await runShellHere(`$LLM p.txt --base-url ${url} --no-cache ${rows}`);
      expect(r.code, `${rows}: ${r.stderr}`).toBe(0);
    }
    expect(ctx.server.requests).toHaveLength(6);
    expect(fs.readFileSync(path.join(ctx.dir, 'out.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });
});

describe('a stop with a stream output', () => {
  it('-o /dev/null or a FIFO: no "to finish the rest" command, which --resume would refuse', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\nq2\nq3\n');
    // A port nothing listens on: the breaker stops the run (exit 4), a resumable stop.
    const down = 'http://127.0.0.1:9/v1';
    const nul = await runShellHere(`$LLM p.txt --base-url ${down} --no-cache --retries 0 -c 1 -o /dev/null`);
    expect(nul.code, nul.stderr).toBe(4);
    expect(nul.stderr).toMatch(/stopped \(unreachable\)/);
    expect(nul.stderr).not.toMatch(/to finish the rest|--resume/);
    execFileSync('mkfifo', [path.join(ctx.dir, 'out-fifo.jsonl')]);
    // The reader is ended after the run, whether or not the run opened the FIFO.
    const fifo = await runShellHere(
      `cat out-fifo.jsonl > /dev/null & w=$!; $LLM p.txt --base-url ${down} --no-cache --retries 0 -c 1 -o out-fifo.jsonl; rc=$?; kill $w 2>/dev/null; exit $rc`,
    );
    expect(fifo.code, fifo.stderr).toBe(4);
    expect(fifo.stderr).not.toMatch(/to finish the rest|--resume/);
    // A regular file still gets its command.
    const file = await runShellHere(`$LLM p.txt --base-url ${down} --no-cache --retries 0 -c 1 -o out.jsonl`);
    expect(file.stderr).toMatch(/to finish the rest, run: llm-batch p\.txt .* -o out\.jsonl --resume/);
  });
});

describe('--batch-api -o FIFO', () => {
  it('locks the Batch state beside the FIFO: a second run is refused (exit 2), the first collects every row', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\nq2\nq3\n');
    execFileSync('mkfifo', [path.join(ctx.dir, 'ff.jsonl')]);
    let held = true;
    ctx.server.options.batches = { stepMs: 5, hold: () => held };
    const cli = `$LLM p.txt --base-url ${ctx.server.url} --no-cache --batch-api --poll 0.05 -o ff.jsonl`;
    try {
      const first = runShellHere(`cat ff.jsonl > rows.jsonl & r=$!; ${cli}; rc=$?; wait $r; exit $rc`);
      await until(() => ctx.server.batchState.counts.creates >= 1, 'the first run to submit its batch');
      const second = await runShellHere(`${cli} --resume`);
      expect(second.code, second.stderr).toBe(75);
      expect(second.stderr).toMatch(/Cannot write to ff\.jsonl: the output is in use by another llm-batch run \(pid \d+.*ff\.jsonl\.lock/);
      held = false;
      const r = await first;
      expect(r.code, r.stderr).toBe(0);
      const rows = fs.readFileSync(path.join(ctx.dir, 'rows.jsonl'), 'utf8').trim().split('\n');
      expect(rows).toHaveLength(3);
      expect(ctx.server.batchState.counts.creates).toBe(1);
      expect(fs.existsSync(path.join(ctx.dir, 'ff.jsonl.lock'))).toBe(false);
    } finally {
      held = false;
      delete ctx.server.options.batches;
    }
  });
});

describe('--batch-api with a stream as -o', () => {
  const refusal = (out: string) =>
    `llm-batch: --batch-api -o ${out}: the batches' state is kept beside the output, in ${out}.batch.json, and ${out} is a stream in /${out.split('/')[1]}, not a file; to pipe the rows on, make a FIFO of your own (mkfifo rows.jsonl) and give -o rows.jsonl`;

  it('-o >(cat > got.jsonl) (a /dev/fd/N pipe): refused at once, one line, exit 2; nothing uploaded, no spin', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\nq2\n');
    // Before the fix mkdirSync spun on /dev/fd/N.batch.d at 100 % CPU, deaf to SIGTERM: `timeout -s
    // KILL` ends it with 137 instead of the test's own timeout.
    const r = await runShellHere(
      `timeout -s KILL 15 $LLM p.txt --base-url ${ctx.server.url} --no-cache --batch-api --poll 0.05 -o >(cat > got.jsonl); echo "status=$?" >&2; wait`,
      {},
      25_000,
    );
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1), r.stderr).toBe('status=2');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^llm-batch: --batch-api -o \/(dev|proc\/self)\/fd\/\d+: the batches' state is kept beside the output, in .*; to pipe the rows on, make a FIFO/,
    );
    expect(ctx.server.batchState.counts.uploads).toBe(0);
    expect(fs.readFileSync(path.join(ctx.dir, 'got.jsonl'), 'utf8')).toBe('');
  });

  it.skipIf(!userCanRunCli()).each(['/dev/stdout', '/dev/null', '/proc/self/fd/1'])(
    '-o %s: refused before anything is read or sent, one line, exit 2',
    async (out) => {
      const r = await runCliAsUser(['--base-url', ctx.server.url, '--no-cache', '--batch-api', '--poll', '0.05', '-o', out], 'q1\nq2\n');
      expect(r.signal).toBeNull();
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`${refusal(out)}\n`);
      expect(r.code).toBe(2);
      expect(ctx.server.batchState.counts.uploads).toBe(0);
    },
  );

  it('-o a FIFO of your own (state beside it in its directory): the rows reach its reader, exit 0', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\nq2\n');
    execFileSync('mkfifo', [path.join(ctx.dir, 'rows.jsonl')]);
    const r = await runShellHere(
      `cat rows.jsonl > got.jsonl & timeout -s KILL 15 $LLM p.txt --base-url ${ctx.server.url} --no-cache --batch-api --poll 0.05 -q -o rows.jsonl; rc=$?; wait; exit $rc`,
      {},
      25_000,
    );
    expect(r.code, r.stderr).toBe(0);
    const rows = fs
      .readFileSync(path.join(ctx.dir, 'got.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { prompt: string; error: unknown });
    expect(rows.map((row) => row.prompt).sort()).toEqual(['q1', 'q2']);
    expect(rows.every((row) => row.error === null)).toBe(true);
  });
});

describe('a side file that is the rows’ own stdout', () => {
  it.each([
    ['--summary-json', '/dev/stdout'],
    ['--summary-json', '/dev/fd/1'],
    ['--trace', '/dev/stdout'],
    ['--report', '/proc/self/fd/1'],
  ])('-o - %s %s into a pipe: refused as "-" is, one line, exit 2, nothing sent', async (flag, file) => {
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\nq2\n');
    const r = await runShellHere(`$LLM p.txt --base-url ${ctx.server.url} --no-cache -o - ${flag} ${file} | cat; echo "status=\${PIPESTATUS[0]}" >&2`);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`llm-batch: ${flag} ${file} is stdout, where the result rows go: choose a file path (stdout is for result rows)\nstatus=2\n`);
    expect(ctx.server.requests).toHaveLength(0);
  });

  it('-o - --summary-json rows.jsonl > rows.jsonl: the summary would replace the rows; refused, exit 2', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\nq2\n');
    const r = await runShellHere(`$LLM p.txt --base-url ${ctx.server.url} --no-cache -o - --summary-json rows.jsonl > rows.jsonl`);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('llm-batch: --summary-json rows.jsonl is stdout, where the result rows go: choose a file path (stdout is for result rows)\n');
    expect(ctx.server.requests).toHaveLength(0);
  });

  it('-o out.jsonl (or /dev/null) --trace -: the rows go to the file, the trace to stdout, exit 0', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\nq2\n');
    for (const out of ['out-traced.jsonl', '/dev/null']) {
      const r = await runShellHere(`$LLM p.txt --base-url ${ctx.server.url} --no-cache -q -o ${out} --trace - | cat`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.match(/^#\d+ > POST .*\/chat\/completions$/gm)).toHaveLength(2);
    }
    expect(fs.readFileSync(path.join(ctx.dir, 'out-traced.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(fs.existsSync(path.join(ctx.dir, '-'))).toBe(false);
  });

  it.each(['-o -', '-o /dev/stdout', ''])('%j --trace - into a pipe: stdout carries the rows, so refused, exit 2, nothing sent', async (output) => {
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\n');
    ctx.server.reset();
    const r = await runShellHere(`$LLM p.txt --base-url ${ctx.server.url} --no-cache ${output} --trace - | cat; echo "status=\${PIPESTATUS[0]}" >&2`);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('llm-batch: --trace needs a file path (stdout is for result rows)\nstatus=2\n');
    expect(ctx.server.requests).toHaveLength(0);
  });

  it('-o out.jsonl --trace - > out.jsonl: stdout is the output file, refused, exit 2', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\n');
    ctx.server.reset();
    const r = await runShellHere(`$LLM p.txt --base-url ${ctx.server.url} --no-cache -o same.jsonl --trace - > same.jsonl`);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('llm-batch: --trace /dev/stdout is the output file: choose another path\n');
    expect(ctx.server.requests).toHaveLength(0);
  });

  it('-o out.jsonl --summary-json /dev/stdout: the rows go to the file, the summary to stdout, exit 0', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\nq2\n');
    const r = await runShellHere(`$LLM p.txt --base-url ${ctx.server.url} --no-cache -q -o out.jsonl --summary-json /dev/stdout | cat`);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: 2, failed: 0 });
    expect(fs.readFileSync(path.join(ctx.dir, 'out.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('--summary-json /dev/stdout >> log, twice: the log keeps both summaries and what was there', async () => {
    // Opened anew, /dev/stdout led to the log itself, a regular file: replaced by a rename each time.
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\nq2\n');
    fs.writeFileSync(path.join(ctx.dir, 'nightly.log'), 'yesterday\n');
    for (const out of ['a.jsonl', 'b.jsonl']) {
      const r = await runShellHere(`$LLM p.txt --base-url ${ctx.server.url} --no-cache -q -o ${out} --summary-json /dev/stdout >> nightly.log`);
      expect(r.code, r.stderr).toBe(0);
    }
    const log = fs.readFileSync(path.join(ctx.dir, 'nightly.log'), 'utf8');
    expect(log.startsWith('yesterday\n{')).toBe(true);
    expect(log.match(/"exitCode": 0/g)).toHaveLength(2);
  });

  it.each([
    ['--trace', /^#1 > POST .*\/chat\/completions\n/],
    ['--summary-json', /^\{\n/],
  ])('%s /dev/stderr into 2> run.log: every line kept, none written over', async (flag, head) => {
    // Opened anew, /dev/stderr wrote at an offset of its own, which stderr's later lines overwrote.
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\n');
    const r = await runShellHere(`$LLM p.txt --base-url ${ctx.server.url} --no-cache -o /dev/null ${flag} /dev/stderr 2> run.log`);
    expect(r.code, r.stderr).toBe(0);
    const log = fs.readFileSync(path.join(ctx.dir, 'run.log'), 'utf8');
    const summaryAt = log.indexOf('llm-batch: 1 ok, 0 failed');
    expect(summaryAt, log).toBeGreaterThanOrEqual(0);
    // The trace before the summary line, the JSON after it: each whole, in the order they were said.
    if (flag === '--trace') expect(log).toMatch(head);
    else expect(JSON.parse(log.slice(log.indexOf('\n', summaryAt) + 1))).toMatchObject({ ok: 1, exitCode: 0 });
  });

  it('--report and --trace to /dev/stdout into a slow pipe: every byte arrives (a write straight to the pipe met EAGAIN at 64 KiB)', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), Array.from({ length: 300 }, (_, i) => `q${i}`).join('\n') + '\n');
    for (const flag of ['--report', '--trace']) {
      const r = await runShellHere(
        `$LLM p.txt --base-url ${ctx.server.url} --no-cache -q -o slow${flag}.jsonl ${flag} /dev/stdout | (sleep 1; wc -c); echo "status=\${PIPESTATUS[0]}" >&2`,
      );
      expect(r.stderr, flag).toBe('status=0\n');
      expect(Number(r.stdout.trim()), flag).toBeGreaterThan(100_000);
    }
  });

  it('report -o /dev/stdout >> log: appended, not the log replaced', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'p.txt'), 'q1\n');
    expect((await runShellHere(`$LLM p.txt --base-url ${ctx.server.url} --no-cache -q -o rep.jsonl`)).code).toBe(0);
    fs.writeFileSync(path.join(ctx.dir, 'pages.log'), 'before\n');
    const r = await runShellHere('$LLM report rep.jsonl -o /dev/stdout -q >> pages.log');
    expect(r.code, r.stderr).toBe(0);
    const log = fs.readFileSync(path.join(ctx.dir, 'pages.log'), 'utf8');
    expect(log.startsWith('before\n<!doctype html>')).toBe(true);
  });
});
