/**
 * --summary-json is written at the end of a run, live or --batch-api. A name that cannot be created
 * is refused before anything is sent (root passes access(2) in /proc, where no file can be made);
 * a write that fails only at the end (a full disk, the directory removed meanwhile) is one line and
 * exit 2 on both paths, never an internal error, and every row stays.
 * The BUILT CLI against the mock server (its Batch API for --batch-api).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { stderrLines, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, runShell, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const ctx = useServerAndCaseDir('llm-batch-summary-target-');

beforeEach(() => {
  ctx.server.options.batches = { stepMs: 20 };
});

const MODES = [
  ['live', [] as string[]],
  ['--batch-api', ['--batch-api', '--poll', '0.05']],
] as const;

const args = (mode: readonly string[]) => ['--base-url', ctx.server.url, '--no-cache', ...mode];
const sent = () => ctx.server.requests.length + ctx.server.batchState.uploaded.length;
const rows = (file: string) => parseJsonl<{ id: string; response: string | null }>(fs.readFileSync(file, 'utf8'));

describe('--summary-json FILE that cannot be created', () => {
  it.runIf(fs.existsSync('/proc/self')).each(MODES)('%s: /proc/x.json is refused up front, exit 2, nothing sent or created', async (_name, mode) => {
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b', 'c']);
    const r = await runCli([input, '-o', path.join(ctx.dir, 'out.jsonl'), ...args(mode), '--summary-json', '/proc/x.json']);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^llm-batch: --summary-json \/proc\/x\.json: \S.*$/)]);
    expect(r.code).toBe(2);
    expect(sent()).toBe(0);
    expect(fs.readdirSync(ctx.dir)).toEqual(['p.txt']);
  });
});

describe('--report FILE that cannot be created', () => {
  it.runIf(fs.existsSync('/proc/self')).each(MODES)('%s: /proc/x.html is refused up front, exit 2, nothing sent or created', async (_name, mode) => {
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b']);
    const r = await runInWorker([input, '-o', path.join(ctx.dir, 'out.jsonl'), ...args(mode), '--report', '/proc/x.html']);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^llm-batch: --report \/proc\/x\.html: \S.*$/)]);
    expect(r.code).toBe(2);
    expect(sent()).toBe(0);
    expect(fs.readdirSync(ctx.dir)).toEqual(['p.txt']);
  });
});

describe('--summary-json FILE that cannot be written at the end', () => {
  it.runIf(fs.existsSync('/dev/full')).each(MODES)('%s: a full disk (/dev/full) is one line and exit 2; every row is kept', async (_name, mode) => {
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b', 'c']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...args(mode), '-q', '--summary-json', '/dev/full']);
    expect(stderrLines(r)).toEqual(['llm-batch: cannot write --summary-json /dev/full: no space left on the device']);
    expect(r.code).toBe(2);
    expect(rows(out).map((row) => row.response)).toEqual([expect.any(String), expect.any(String), expect.any(String)]);
  });

  it('a FIFO nobody reads: one line after a 10 s wait, exit 2, every row kept; it waited without end, deaf to SIGTERM', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b', 'c']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const fifo = path.join(ctx.dir, 's.json');
    execFileSync('mkfifo', [fifo]);
    const r = await runCli([input, '-o', out, ...args([]), '-q', '--summary-json', fifo], { timeoutMs: 30_000 });
    expect(stderrLines(r)).toEqual([`llm-batch: cannot write --summary-json ${fifo}: nobody opened the FIFO for reading within 10 s`]);
    expect(r.code).toBe(2);
    expect(rows(out)).toHaveLength(3);
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
  });

  it('--batch-api: the directory removed while the batch runs is one line and exit 2', async () => {
    const sub = path.join(ctx.dir, 'reports');
    fs.mkdirSync(sub);
    // Removed when the batch is first polled: after every check, before the summary is written.
    ctx.server.options.batches = {
      stepMs: 20,
      hold: () => {
        fs.rmSync(sub, { recursive: true, force: true });
        return false;
      },
    };
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(sub, 'sum.json');
    const r = await runCli([input, '-o', out, ...args(MODES[1][1]), '-q', '--summary-json', summary]);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    // In the words of its refusal before the run, not Node's.
    expect(stderrLines(r)).toEqual([`llm-batch: cannot write --summary-json ${summary}: no such directory ${sub}`]);
    expect(r.code).toBe(2);
    expect(rows(out)).toHaveLength(2);
    // A --report there likewise: it named the temp file written beside it (`open 'r.html.22781.tmp'`).
    fs.mkdirSync(sub);
    const report = path.join(sub, 'r.html');
    const reported = await runCli([input, '-o', path.join(ctx.dir, 'out2.jsonl'), ...args(MODES[1][1]), '-q', '--report', report]);
    expect(stderrLines(reported)).toContain(`llm-batch: cannot write --report ${report}: no such directory ${sub}`);
    expect(reported.code).toBe(2);
  });
});

/**
 * --summary-json into a stream with a --report that fails at the end: the summary is written before
 * the report and again when the report's failure changes the exit code. A file is replaced; a stream
 * took both, two documents where a script reads one: `| jq` (a pipe), and `> log` (written through
 * the descriptor). A shell's pipe and redirection: a child's stdout here is a socket, which
 * /dev/stdout cannot be opened on.
 */
describe('--summary-json /dev/stdout and a --report that cannot be written at the end', () => {
  it.each(MODES)('%s: one summary in a pipe and in a redirected file, saying the report failed and exit 2', async (name, mode) => {
    const sub = path.join(ctx.dir, 'reports');
    // Removed while the run sends (live) or when the batch is first polled: after every check.
    const gone = () => {
      fs.rmSync(sub, { recursive: true, force: true });
      return false;
    };
    ctx.server.options.hold = () => void gone();
    ctx.server.options.batches = { stepMs: 20, hold: gone };
    try {
      const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b']);
      const report = path.join(sub, 'r.html');
      const run = (out: string) =>
        `mkdir -p ${sub} && rm -f ${out} && $LLM ${input} -o ${out} ${args(mode).join(' ')} -q --summary-json /dev/stdout --report ${report}`;
      const r = await runShell(
        `${run('piped.jsonl')} | cat > piped.json; echo "\${PIPESTATUS[0]}" > piped.rc; ${run('redirected.jsonl')} > redirected.json; echo $? > redirected.rc`,
        ctx.dir,
      );
      expect(r.stderr, name).not.toMatch(/internal error|\n\s+at /);
      for (const how of ['piped', 'redirected']) {
        const summary = JSON.parse(fs.readFileSync(path.join(ctx.dir, `${how}.json`), 'utf8')) as { ok: number; error: string | null; exitCode: number };
        expect({ how, ok: summary.ok, exitCode: summary.exitCode, rc: fs.readFileSync(path.join(ctx.dir, `${how}.rc`), 'utf8').trim() }).toEqual({
          how,
          ok: 2,
          exitCode: 2,
          rc: '2',
        });
        expect(summary.error).toContain(report);
        expect(rows(path.join(ctx.dir, `${how}.jsonl`))).toHaveLength(2);
      }
    } finally {
      ctx.server.options.hold = undefined;
    }
  });
});

/**
 * Our stdout and stderr are sockets under Node's spawn (as here: execa, a Node wrapper) and many
 * process supervisors (systemd), and a socket cannot be opened by name: `--summary-json /dev/stdout`
 * and `--report /dev/stdout` failed at the end of the run (ENXIO), `--trace /dev/stderr` before it.
 * Written through the descriptor, as into a redirected file.
 */
describe('the side files into our own stdout or stderr when it is a socket', () => {
  it('--summary-json /dev/stdout and --trace /dev/stderr: the summary and the trace are there, exit 0', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...args([]), '-q', '--summary-json', '/dev/stdout', '--trace', '/dev/stderr']);
    expect(r.stderr).not.toMatch(/ENXIO|cannot write/);
    expect(r.stderr).toContain('> POST ');
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: 2, failed: 0, error: null, exitCode: 0 });
    expect(r.code).toBe(0);
    expect(rows(out)).toHaveLength(2);
  });

  it('--batch-api --report /dev/stdout: the page is there, exit 0', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b']);
    const r = await runCli([input, '-o', path.join(ctx.dir, 'out.jsonl'), ...args(MODES[1][1]), '-q', '--report', '/dev/stdout']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^<!doctype html>/i);
    expect(r.stdout.trimEnd()).toMatch(/<\/html>$/);
    expect(r.code).toBe(0);
  });
});

/**
 * A name the file system takes whose `NAME.PID.tmp` it does not (250 bytes): the check of a new file
 * makes one of that name and removes it. --summary-json is written under its own name, so it is
 * written (it was refused, "cannot create a file in DIR (ENAMETOOLONG)"); --report is written through
 * that temporary file, so it is refused up front, naming it.
 */
describe('a name with no room for a temporary file beside it', () => {
  const NAME = `${'s'.repeat(245)}.json`;
  it('--summary-json: written, exit 0', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b']);
    const summary = path.join(ctx.dir, NAME);
    const r = await runCli([input, '-o', path.join(ctx.dir, 'out.jsonl'), ...args([]), '-q', '--summary-json', summary]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ ok: 2, exitCode: 0 });
    expect(fs.readdirSync(ctx.dir).sort()).toEqual([NAME, 'out.jsonl', 'out.jsonl.meta.json', 'p.txt'].sort());
  });

  it('--report: refused before anything is sent, naming the temporary file', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b']);
    const report = path.join(ctx.dir, NAME.replace('.json', '.html'));
    const r = await runInWorker([input, '-o', path.join(ctx.dir, 'out.jsonl'), ...args([]), '--report', report]);
    expect(stderrLines(r)).toEqual([
      expect.stringMatching(
        /^llm-batch: --report \S+: the name is too long for the temporary file it is written through \(s+\.html\.\d+\.tmp is longer than the file system takes\)$/,
      ),
    ]);
    expect(r.code).toBe(2);
    expect(sent()).toBe(0);
    expect(fs.readdirSync(ctx.dir)).toEqual(['p.txt']);
  });
});
