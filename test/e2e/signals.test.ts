/**
 * "Never lose or duplicate a row", part 2: the CLI killed or interrupted mid-run.
 * SIGKILL at seeded random moments followed by --resume, SIGINT/SIGTERM (graceful, then the
 * printed resume command), a double SIGINT (abort at once), and --order input under a kill.
 * Every test spawns the BUILT CLI (`npm run build` first) against the in-repo mock server.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { textSoFar, until } from '../helpers/until.js';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { parseJsonl, sigtermOnceSaid, spawnCli, waitForExit, writePrompts, type CliResult } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-signals-');

interface Row {
  id: string;
  line: number;
  prompt: string;
  response: string | null;
  error: { type: string; message: string } | null;
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Rows from the complete ('\n'-terminated) lines only: a torn tail is not a row. */
function completeRows(file: string): Row[] {
  const text = readOr(file);
  return parseJsonl<Row>(text.slice(0, text.lastIndexOf('\n') + 1));
}

function completeLineCount(file: string): number {
  const text = readOr(file);
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** A started CLI with its exit promise and an exited flag for polling. */
function start(args: readonly string[]): { child: ChildProcess; exit: Promise<CliResult>; exited: () => boolean } {
  const child = spawnCli([...args, '--base-url', ctx.server.url], { cache: true });
  let done = false;
  child.on('exit', () => (done = true));
  return { child, exit: waitForExit(child), exited: () => done };
}

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

/** Every prompt exactly one success row, nothing else, no torn line. */
function expectExactlyOnce(file: string, prompts: readonly string[]): Row[] {
  const text = fs.readFileSync(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const rows = parseJsonl<Row>(text);
  expect(rows.filter((r) => r.error !== null)).toEqual([]);
  const seen = new Map<string, number>();
  for (const r of rows) seen.set(r.prompt, (seen.get(r.prompt) ?? 0) + 1);
  const dupes = [...seen].filter(([, n]) => n > 1);
  expect(dupes).toEqual([]);
  expect([...seen.keys()].sort()).toEqual([...prompts].sort());
  expect(new Set(rows.map((r) => r.id)).size).toBe(prompts.length);
  for (const r of rows) expect(r.response).toBe(`ECHO ${r.prompt}`);
  return rows;
}

interface KillLoopResult {
  /** One entry per run: its request range in ctx.server.requests and what was done before it started. */
  runs: { from: number; to: number; doneBefore: Set<string>; killed: boolean; code: number | null }[];
}

/**
 * Starts the CLI, SIGKILLs it once the output has a seeded random number of new lines, and
 * restarts it with --resume, `kills` times; then lets a last --resume run finish.
 */
async function killLoop(args: readonly string[], out: string, kills: number, seed: number, maxNewLines: number): Promise<KillLoopResult> {
  const rand = seededRandom(seed);
  const runs: KillLoopResult['runs'] = [];
  for (let cycle = 0; ; cycle++) {
    const doneBefore = new Set(
      completeRows(out)
        .filter((r) => r.error === null)
        .map((r) => r.prompt),
    );
    const from = ctx.server.requests.length;
    const run = start(cycle === 0 ? args : [...args, '--resume']);
    let killed = false;
    if (cycle < kills) {
      const target = completeLineCount(out) + Math.floor(rand() * (maxNewLines + 1));
      await until(() => run.exited() || completeLineCount(out) >= target, `${target} lines in ${out}`);
      if (!run.exited()) killed = run.child.kill('SIGKILL');
    }
    const result = await run.exit;
    runs.push({ from, to: ctx.server.requests.length, doneBefore, killed, code: result.code });
    if (killed) {
      expect(result.signal).toBe('SIGKILL');
      continue;
    }
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.code, result.stderr).toBe(0);
    return { runs };
  }
}

/** No request of a run went to a prompt whose row was already in the file when that run started. */
function expectNoResend(runs: KillLoopResult['runs']): void {
  for (const [i, run] of runs.entries()) {
    const resent = ctx.server.requests
      .slice(run.from, run.to)
      .filter((q) => run.doneBefore.has(q.prompt))
      .map((q) => q.prompt);
    expect(resent, `run ${i} re-sent prompts already answered before it started`).toEqual([]);
  }
}

describe('SIGKILL at random moments, then --resume', () => {
  it.each([
    [0x5eed01, 4],
    [0xc0ffee, 3],
  ])('seed %i, %i kills: every prompt ends with exactly one success row, nothing answered is sent again', async (seed, kills) => {
    const prompts = Array.from({ length: 200 }, (_, i) => `k${seed} q${i} [[latency:${20 + ((i * 37) % 41)}]]`);
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');

    const { runs } = await killLoop([input, '-o', out, '-c', '8'], out, kills, seed, 35);
    expect(runs.filter((r) => r.killed).length, 'the kills happened before the batch was done').toBe(kills);

    expectExactlyOnce(out, prompts);
    expectNoResend(runs);
    // Every prompt was answered (200) at least once; a prompt is only sent again if its answer
    // was lost with a killed process (its row never reached the file).
    for (const p of prompts) expect(ctx.server.requests.some((q) => q.prompt === p && q.status === 200)).toBe(true);
    expect(fs.existsSync(`${out}.lock`)).toBe(false);
  });
});

describe('SIGINT / SIGTERM', () => {
  it.each([['SIGINT' as const], ['SIGTERM' as const]])(
    '%s stops gracefully: exit 130, summary and resume command, only complete rows; the resume command finishes the batch',
    async (signal) => {
      const prompts = Array.from({ length: 40 }, (_, i) => `${signal} q${i}`);
      const input = writePrompts(ctx.dir, 'p.txt', prompts);
      const out = path.join(ctx.dir, 'out.jsonl');
      ctx.server.options.latencyMs = 300;

      const run = start([input, '-o', out, '-c', '4']);
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

  it('a second SIGINT right after the first aborts at once: exit 130 quickly, only complete rows', async () => {
    const fast = Array.from({ length: 4 }, (_, i) => `dbl fast q${i} [[latency:10]]`);
    const slow = Array.from({ length: 12 }, (_, i) => `dbl slow q${i}`);
    const prompts = [...fast, ...slow];
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');
    ctx.server.options.latencyMs = 20_000; // the slow ones would hold the grace period for its full length

    const run = start([input, '-o', out, '-c', '4']);
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
      const run = start([input, '-o', out, '-c', '2']);
      await until(() => textSoFar(out).length > 0, 'a first answer in the file');
      run.child.kill('SIGINT');
      const r = await run.exit;
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).not.toMatch(/to finish the rest|--resume\b(?! after)/);
      expect(r.stderr).toMatch(
        /a text output cannot be resumed \(it keeps no ids\): the answers so far are in \S*out\.txt; run with -o FILE\.jsonl or \.csv to --resume after a stop/,
      );
    } finally {
      ctx.server.options.latencyMs = latency;
    }
  });
});

describe('--order input', () => {
  it('rows come out in input order despite varying latencies', async () => {
    const prompts = Array.from({ length: 30 }, (_, i) => `ord q${i} [[latency:${5 + ((i * 53) % 80)}]]`);
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');
    const run = start([input, '-o', out, '-c', '8', '--order', 'input']);
    const r = await run.exit;
    expect(r.code, r.stderr).toBe(0);
    const rows = expectExactlyOnce(out, prompts);
    expect(rows.map((x) => x.line)).toEqual(prompts.map((_, i) => i + 1));
    // Without --order input the same batch comes out of order, so the ordering is the option's doing.
    const unordered = await waitForExit(spawnCli([input, '-c', '8', '--base-url', ctx.server.url], { cache: true }));
    expect(unordered.code, unordered.stderr).toBe(0);
    const lines = parseJsonl<Row>(unordered.stdout).map((x) => x.line);
    expect(lines).toHaveLength(prompts.length);
    expect(lines).not.toEqual(prompts.map((_, i) => i + 1));
  });

  it.each([[0x0bd3, 2]])('seed %i, %i SIGKILLs + --resume: every prompt exactly once, each run in input order', async (seed, kills) => {
    const prompts = Array.from({ length: 80 }, (_, i) => `ordk q${i} [[latency:${10 + ((i * 53) % 60)}]]`);
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');

    const rand = seededRandom(seed);
    const boundaries: number[] = [];
    const runs: KillLoopResult['runs'] = [];
    for (let cycle = 0; ; cycle++) {
      const doneBefore = new Set(completeRows(out).map((r) => r.prompt));
      boundaries.push(completeLineCount(out));
      const from = ctx.server.requests.length;
      const run = start([input, '-o', out, '-c', '8', '--order', 'input', ...(cycle > 0 ? ['--resume'] : [])]);
      let killed = false;
      if (cycle < kills) {
        const target = completeLineCount(out) + 5 + Math.floor(rand() * 15);
        await until(() => run.exited() || completeLineCount(out) >= target, `${target} lines`);
        if (!run.exited()) killed = run.child.kill('SIGKILL');
      }
      const r = await run.exit;
      runs.push({ from, to: ctx.server.requests.length, doneBefore, killed, code: r.code });
      if (!killed) {
        expect(r.code, r.stderr).toBe(0);
        break;
      }
    }
    expect(runs.filter((r) => r.killed)).toHaveLength(kills);

    const rows = expectExactlyOnce(out, prompts);
    expectNoResend(runs);
    // Within each run's stretch of the file, line numbers only increase.
    boundaries.push(rows.length);
    for (let i = 0; i + 1 < boundaries.length; i++) {
      const lines = rows.slice(boundaries[i], boundaries[i + 1]).map((x) => x.line);
      expect(lines, `run ${i}`).toEqual([...lines].sort((a, b) => a - b));
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
