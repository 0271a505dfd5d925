/**
 * "Never lose or duplicate a row", part 2: the CLI interrupted mid-run. SIGINT/SIGTERM (graceful,
 * then the printed resume command), a double SIGINT (abort at once), a FIFO output or input nobody
 * serves; SIGKILL at seeded random moments is signals-kill.test.ts's. Every test spawns the BUILT
 * CLI (`npm run build` first) against the in-repo mock server.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { textSoFar, until } from '../helpers/until.js';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, sigtermOnceSaid, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { completeLineCount, completeRows, expectExactlyOnce, start, type Row } from '../helpers/signal-runs.js';

const ctx = useServerAndCaseDir('llm-batch-signals-');

/** Splits a POSIX shell command as printed by resumeHint (plain words and '…' quoting). */
function shellWords(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === "'") {
      const close = command.indexOf("'", i + 1);
      if (close === -1) throw new Error(`unbalanced quote in ${command}`);
      word = (word ?? '') + command.slice(i + 1, close);
      i = close;
    } else if (c === '\\' && i + 1 < command.length) {
      word = (word ?? '') + command[++i];
    } else if (c === ' ') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

describe('SIGINT / SIGTERM', () => {
  it.each([['SIGINT' as const], ['SIGTERM' as const]])(
    '%s stops gracefully: exit 130, summary and resume command, only complete rows; the resume command finishes the batch',
    async (signal) => {
      const prompts = Array.from({ length: 40 }, (_, i) => `${signal} q${i}`);
      const input = writePrompts(ctx.dir, 'p.txt', prompts);
      const out = path.join(ctx.dir, 'out.jsonl');
      ctx.server.options.latencyMs = 300;

      const run = start(ctx, [input, '-o', out, '-c', '4']);
      await until(() => run.exited() || completeLineCount(out) >= 3, 'a few rows');
      expect(run.exited()).toBe(false);
      run.child.kill(signal);
      const r = await run.exit;

      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toMatch(/\d+ ok, \d+ failed/);
      const m = /to finish the rest, run: (.+)$/m.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      const command = m![1]!;
      expect(command).toMatch(/--resume/);

      // Only whole rows, all successes, and exactly for the prompts that were sent: everything in
      // flight was allowed to finish; nothing unstarted has a row.
      const text = fs.readFileSync(out, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      const rows = parseJsonl<Row>(text);
      expect(rows.length).toBeLessThan(prompts.length);
      expect(rows.every((x) => x.error === null)).toBe(true);
      const sent = new Set(ctx.server.requests.map((q) => q.prompt));
      expect(rows.map((x) => x.prompt).sort()).toEqual([...sent].sort());
      expect(fs.existsSync(`${out}.lock`)).toBe(false);

      // Run exactly what was printed.
      const words = shellWords(command);
      expect(words[0]).toBe('llm-batch');
      expect(words).toContain(ctx.server.url);
      ctx.server.options.latencyMs = 20;
      const again = await waitForExit(spawnCli(words.slice(1), { cache: true }));
      expect(again.code, again.stderr).toBe(0);

      expectExactlyOnce(out, prompts);
      expect(fs.readFileSync(out, 'utf8').startsWith(text)).toBe(true);
      for (const p of prompts) expect(ctx.server.countFor(p)).toBe(1);
    },
  );

  it('-q: a SIGTERM (`timeout` in cron) still says the run was interrupted, not the resume command alone', async () => {
    const prompts = Array.from({ length: 20 }, (_, i) => `quiet q${i}`);
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');
    ctx.server.options.latencyMs = 300;
    const run = start(ctx, [input, '-o', out, '-c', '2', '-q']);
    await until(() => run.exited() || completeLineCount(out) >= 2, 'a few rows');
    run.child.kill('SIGTERM');
    const r = await run.exit;
    expect(r.code, r.stderr).toBe(130);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^llm-batch: interrupted: \d+ ok, 0 failed, \d+ not run/);
    expect(lines.at(-1)).toMatch(/^llm-batch: to finish the rest, run: .*--resume/);
  });

  it('the next cron tick refused by the lock leaves the running run\'s --summary-json ("running") alone', async () => {
    const prompts = Array.from({ length: 20 }, (_, i) => `locked q${i}`);
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(ctx.dir, 's.json');
    ctx.server.options.latencyMs = 300;
    const first = start(ctx, [input, '-o', out, '-c', '1', '-q', '--resume', '--summary-json', summary]);
    try {
      await until(() => first.exited() || completeLineCount(out) >= 1, 'a row');
      const running = fs.readFileSync(summary, 'utf8');
      expect(JSON.parse(running)).toMatchObject({ stopped: 'running', exitCode: null });
      const second = await waitForExit(spawnCli([input, '-o', out, '-q', '--resume', '--summary-json', summary, '--base-url', ctx.server.url]));
      expect(second.code).toBe(75);
      expect(second.stderr).toMatch(/in use by another llm-batch run/);
      expect(fs.readFileSync(summary, 'utf8')).toBe(running);
    } finally {
      first.child.kill('SIGTERM');
    }
    expect((await first.exit).code).toBe(130);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ stopped: 'interrupted', exitCode: 130 });
  });

  it('stops even while stdin is still open and silent (tail -f | llm-batch): exit 130 at once, rows kept', async () => {
    const prompts = Array.from({ length: 3 }, (_, i) => `open stdin q${i}`);
    const out = path.join(ctx.dir, 'out.jsonl');
    ctx.server.options.latencyMs = 10;
    const child = spawnCli(['-', '-o', out, '--base-url', ctx.server.url], { openStdin: `${prompts.join('\n')}\n`, cache: true });
    const exit = waitForExit(child);
    await until(() => completeLineCount(out) >= prompts.length, 'the rows of the lines sent so far');
    const sentAt = Date.now();
    child.kill('SIGINT');
    const r = await exit;
    expect(r.code, r.stderr).toBe(130);
    expect(Date.now() - sentAt).toBeLessThan(2_500); // not held until stdin ends (it never does here)
    expect(
      completeRows(out)
        .map((x) => x.prompt)
        .sort(),
    ).toEqual([...prompts].sort());
    expect(fs.existsSync(`${out}.lock`)).toBe(false);
  });

  it('a Ctrl-C that also ends the reader of stdout (llm-batch | jq) is an interrupt: exit 130 and the summary', async () => {
    // The terminal signals the whole pipeline: the rows' reader is gone by the time the answers in
    // flight come, and their write failed as a reader that left (exit 141, no summary, no word).
    const input = writePrompts(
      ctx.dir,
      'p.txt',
      Array.from({ length: 12 }, (_, i) => `piped interrupt q${i}`),
    );
    ctx.server.options.latencyMs = 400;
    // One at a time: the signal is handled long before the next answer meets the closed pipe, as
    // on a terminal (a row written in the same instant as the signal may meet it first).
    const child = spawnCli([input, '--base-url', ctx.server.url, '-c', '1']);
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const exit = waitForExit(child, 20_000);
    await until(() => child.exitCode !== null || stdout.includes('\n'), 'a first row on stdout');
    child.kill('SIGINT');
    child.stdout!.destroy();
    const r = await exit;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/^llm-batch: interrupted: \d+ ok, 0 failed, \d+ not run/m);
  });

  it('a second SIGINT right after the first aborts at once: exit 130 quickly, only complete rows', async () => {
    const fast = Array.from({ length: 4 }, (_, i) => `dbl fast q${i} [[latency:10]]`);
    const slow = Array.from({ length: 12 }, (_, i) => `dbl slow q${i}`);
    const prompts = [...fast, ...slow];
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');
    ctx.server.options.latencyMs = 20_000; // the slow ones would hold the grace period for its full length

    const run = start(ctx, [input, '-o', out, '-c', '4']);
    let stderr = '';
    run.child.stderr!.on('data', (d: Buffer | string) => (stderr += String(d)));
    await until(() => completeLineCount(out) >= 4 && ctx.server.requests.length >= 8, 'the fast rows and 4 slow requests in flight');
    run.child.kill('SIGINT');
    await until(() => /stopping/.test(stderr), 'the first SIGINT to be acknowledged', 5_000);
    const second = Date.now();
    run.child.kill('SIGINT');
    const r = await run.exit;
    const tookMs = Date.now() - second;

    expect(r.code, r.stderr).toBe(130);
    expect(tookMs).toBeLessThan(2_500); // well under the 5 s grace period and the 20 s answers
    const text = fs.readFileSync(out, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const rows = parseJsonl<Row>(text);
    // The aborted slow prompts leave no row at all (an "aborted" error row would make --resume skip them).
    expect(rows.map((x) => x.prompt).sort()).toEqual([...fast].sort());
    // Counted though the requests were aborted (the count once read the aborted signal: "the rest not run").
    expect(r.stderr).toMatch(/interrupted: 4 ok, 0 failed, 12 not run/);
    expect(r.stderr).toMatch(/--resume/);
    expect(fs.existsSync(`${out}.lock`)).toBe(false);

    ctx.server.options.latencyMs = 10;
    const m = /to finish the rest, run: (.+)$/m.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const again = await waitForExit(spawnCli(shellWords(m![1]!).slice(1), { cache: true }));
    expect(again.code, again.stderr).toBe(0);
    expectExactlyOnce(out, prompts);
    for (const p of fast) expect(ctx.server.countFor(p)).toBe(1);
  });
});

describe('a text output (-o out.txt)', () => {
  it('stopped: says it cannot be resumed instead of printing a --resume command that would be refused', async () => {
    const prompts = Array.from({ length: 12 }, (_, i) => `txt q${i}`);
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.txt');
    const latency = ctx.server.options.latencyMs;
    ctx.server.options.latencyMs = 300;
    try {
      const run = start(ctx, [input, '-o', out, '-c', '2']);
      await until(() => textSoFar(out).length > 0, 'a first answer in the file');
      run.child.kill('SIGINT');
      const r = await run.exit;
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).not.toMatch(/to finish the rest|--resume\b(?! after)/);
      expect(r.stderr).toMatch(
        /a text output cannot be resumed \(it keeps no rows to read back\): the answers so far are in \S*out\.txt; run with -o FILE\.jsonl or \.csv to --resume after a stop/,
      );
    } finally {
      ctx.server.options.latencyMs = latency;
    }
  });
});

describe('-o FIFO with nobody reading it', () => {
  it('sends nothing until a reader comes, says so; SIGTERM ends the wait: exit 130, summary "interrupted", no hang', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['fifo q1', 'fifo q2', 'fifo q3']);
    const fifo = path.join(ctx.dir, 'rows.jsonl');
    const summary = path.join(ctx.dir, 'summary.json');
    execFileSync('mkfifo', [fifo]);
    // The open of a FIFO with no reader blocked a thread that nothing frees: no signal, not even
    // process.exit, ended the run. Bounded here so that a hang fails the test rather than the suite.
    const r = await sigtermOnceSaid(
      [input, '-o', fifo, '--summary-json', summary, '--base-url', ctx.server.url],
      /nobody reading it/,
      'the wait for a reader to be said',
    );

    expect(r.signal, 'the run hung').toBeNull();
    expect(r.code, r.stderr).toBe(130);
    expect(ctx.server.requests).toHaveLength(0);
    expect(r.stderr).toContain(
      `llm-batch: ${fifo} is a FIFO with nobody reading it: no prompt is sent until a program opens it for reading (e.g. cat ${fifo} in another shell)\n`,
    );
    expect(r.stderr).toContain(`llm-batch: nobody opened ${fifo} for reading: no prompt was sent\n`);
    expect(r.stderr).toMatch(/interrupted: 0 ok, 0 failed, 3 not run/);
    expect(r.stderr).not.toMatch(/--resume/);
    const s = JSON.parse(fs.readFileSync(summary, 'utf8')) as { stopped: string; ok: number; notRun: number; resumeHint: string | null };
    expect(s).toMatchObject({ stopped: 'interrupted', ok: 0, notRun: 3, resumeHint: null });
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
  });
});

/** Opens `fifo` for writing once the run has it open for reading (ENXIO until then), never blocking this process. */
async function writerOnceRead(fifo: string): Promise<number> {
  let fd: number | undefined;
  await until(() => {
    try {
      fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENXIO') return false;
      throw err;
    }
  }, `the run to open ${fifo}`);
  return fd!;
}

/** Whether process `pid` holds `file` open (Linux: /proc/<pid>/fd); false once it is gone. */
function holdsOpen(pid: number, file: string): boolean {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === file) return true;
    } catch {
      // closed while we looked
    }
  }
  return false;
}

describe('an input file that is a FIFO (mkfifo, <(…), /dev/stdin on a pipe)', () => {
  // Read through fs, a wait on the FIFO held a thread of libuv's pool that closing the input then
  // waited on: the run said "interrupted" and lived on (until its writer left, or for ever).
  it.each([
    { writer: 'silent (<(sleep 20))', prompts: [] as string[], args: [] as string[] },
    { writer: 'stalled mid-run (tail -f q.txt | llm-batch /dev/stdin)', prompts: ['fifo in q1', 'fifo in q2'], args: [] as string[] },
    { writer: 'silent, --batch-api', prompts: [] as string[], args: ['--batch-api'] },
  ])('its writer $writer: SIGTERM ends the run at once, exit 130, rows kept', async ({ prompts, args }) => {
    // No extension: the format is sniffed from the first line, which a stop must not wait for.
    const fifo = path.join(ctx.dir, 'prompts');
    const out = path.join(ctx.dir, 'out.jsonl');
    execFileSync('mkfifo', [fifo]);
    ctx.server.options.latencyMs = 10;
    const child = spawnCli([fifo, '-o', out, ...args, '--base-url', ctx.server.url], { timeoutMs: 15_000 });
    const exit = waitForExit(child, 15_000);
    const writer = await writerOnceRead(fifo);
    try {
      if (prompts.length > 0) fs.writeSync(writer, `${prompts.join('\n')}\n`);
      await until(() => completeLineCount(out) >= prompts.length, 'the rows of the lines written so far');
      const sentAt = Date.now();
      child.kill('SIGTERM');
      const r = await exit;
      expect(r.signal, 'the run hung').toBeNull();
      expect(r.code, r.stderr).toBe(130);
      expect(Date.now() - sentAt).toBeLessThan(2_500);
      expect(r.stderr).toMatch(/interrupted: /);
      expect(completeRows(out).map((x) => x.prompt)).toEqual(prompts);
      expect(fs.existsSync(`${out}.lock`)).toBe(false);
    } finally {
      fs.closeSync(writer);
    }
  });

  it.skipIf(!fs.existsSync('/proc/self/fd'))('no writer ever: SIGTERM ends the run at once, exit 130 (not 143 after a second signal)', async () => {
    const fifo = path.join(fs.realpathSync(ctx.dir), 'nobody.txt');
    execFileSync('mkfifo', [fifo]);
    const child = spawnCli([fifo, '-o', path.join(ctx.dir, 'out.jsonl'), '--base-url', ctx.server.url]);
    const exit = waitForExit(child, 15_000);
    // Opened without waiting for a writer: a blocking open never got this far.
    await until(() => child.exitCode !== null || child.signalCode !== null || holdsOpen(child.pid!, fifo), 'the run to hold the FIFO open');
    child.kill('SIGTERM');
    const r = await exit;
    expect(r.signal, 'the run hung').toBeNull();
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/interrupted: 0 ok, 0 failed/);
    expect(ctx.server.requests).toHaveLength(0);
  });
});
