/**
 * What a person at a terminal sees, end to end on the built CLI under a pseudo-terminal: answers
 * keep their layout, a pipe on stdout is not garbled by the status line, and a resize or an
 * interrupt leaves a clean screen.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { BIN, SECRET_KEY, isolatedCacheDir, parseJsonl, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { holdAnswers, useServer } from '../helpers/mock-server-hooks.js';
import type { RateLimitOptions } from '../helpers/mock-server.js';
import { quote, runPty, startPty } from '../helpers/run-pty.js';
import { textSoFar, until } from '../helpers/until.js';
import { VirtualTerminal } from '../helpers/vt.js';

const ctx = useServer('llm-batch-term-', { latencyMs: 20, chunkDelayMs: 5 });

const CODE = 'def f(x):\n    if x:\n        return 1\n\n- list\n  - nested item';

describe('answers on a terminal', () => {
  it.each([
    ['streamed', []],
    ['--no-stream', ['--no-stream']],
  ])('keep their indentation (%s)', async (_how, extra) => {
    ctx.server.reset();
    ctx.server.options.reply = () => CODE;
    try {
      const file = path.join(ctx.dir, 'code.jsonl');
      fs.writeFileSync(file, '{"id":"code","prompt":"write f"}\n');
      const r = await runPty([file, '--base-url', ctx.server.url, ...extra], { cols: 80 });
      expect(r.code).toBe(0);
      const start = r.screen.findIndex((l) => l.startsWith('── [code]'));
      expect(start).toBeGreaterThanOrEqual(0);
      expect(r.screen.slice(start + 1, start + 7)).toEqual(CODE.split('\n'));
    } finally {
      delete ctx.server.options.reply;
    }
  });
});

/** The screen's lines with the continuation rows of llm-batch's messages (indented 11) joined back. */
function joined(screen: string[]): string[] {
  const out: string[] = [];
  for (const line of screen) {
    if (/^ {11}\S/.test(line) && out.length > 0 && out[out.length - 1]!.startsWith('llm-batch: ')) out[out.length - 1] += ` ${line.trim()}`;
    else out.push(line);
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Ctrl-C on a terminal', () => {
  it.each([
    [100, 1],
    [50, 1],
    [50, 2],
  ])(
    'at %i columns, %i Ctrl-C: no frozen bar or ^C left, messages broken between words, the summary says interrupted and how many were not run',
    async (cols, presses) => {
      ctx.server.reset();
      Object.assign(ctx.server.options, { latencyMs: 1500, chunkDelayMs: 0 });
      try {
        const file = writePrompts(
          ctx.dir,
          `ctrlc-${cols}-${presses}.txt`,
          Array.from({ length: 40 }, (_, i) => `ctrl-c ${i}`),
        );
        const out = path.join(ctx.dir, `ctrlc-${cols}-${presses}.jsonl`);
        const session = startPty([file, '--base-url', ctx.server.url, '-c', '2', '-o', out], { cols });
        await session.waitFor(/ok · \d+ failed/);
        // Both slots busy (the mock holds each answer 1.5 s), so the message counts 2 in flight.
        await until(() => ctx.server.requests.length >= 2, 'two requests in flight');
        session.type('\x03');
        if (presses === 2) {
          await session.waitFor(/stopping/);
          await sleep(300);
          session.type('\x03');
        }
        session.child.stdin!.end();
        const r = await session.done;
        expect(r.code).toBe(130);
        expect(r.raw).toContain('^C'); // the terminal did echo it
        for (const line of r.screen) {
          expect(line).not.toMatch(/[█░]|\^C?$|ok · \d+ failed/);
          expect(line.length).toBeLessThanOrEqual(cols);
        }
        const lines = joined(r.screen);
        // Broken between words: every row of a message ends on a whole word (the joined text reads right).
        expect(lines).toContainEqual(expect.stringMatching(/^llm-batch: stopping: no new prompts; up to 5s for 2 in flight \(Ctrl-C again aborts them\)$/));
        const rows = parseJsonl(fs.readFileSync(out, 'utf8')).length;
        const summary = lines.find((l) => /^llm-batch: interrupted: /.test(l));
        expect(summary).toMatch(new RegExp(`^llm-batch: interrupted: ${rows} ok, 0 failed, ${40 - rows} not run · `));
        // The command to copy is left whole (the terminal wraps it, a copy joins it again).
        expect(r.raw).toMatch(/\nllm-batch: to finish the rest, run: llm-batch \S+ --base-url \S+ -c 2 -o \S+ --resume\r\n$/);
      } finally {
        Object.assign(ctx.server.options, { latencyMs: 20, chunkDelayMs: 5 });
      }
    },
  );

  it("while the spinner reads a slow input: the message takes the spinner's line whole, none of its letters left", async () => {
    // A name long enough that the spinner's line outruns the message that replaces it.
    const fifo = path.join(ctx.dir, `a-rather-long-input-file-name-${'x'.repeat(60)}.txt`);
    const session = startPty([fifo, '--base-url', ctx.server.url, '--no-cache'], {
      cols: 200,
      setup: `mkfifo ${quote(fifo)}; (sleep 3 > ${quote(fifo)}) &`,
    });
    await session.waitFor(/reading \S*a-rather-long-input-file-name-x+\.txt…/);
    session.type('\x03');
    session.child.stdin!.end();
    const r = await session.done;
    // 9bfc24a sent the spinner's frames after ora's render returned: its hook took them for another
    // writer's, forgot its line, and the next erase left "…xt…" after this message.
    expect(r.screen).toContainEqual('llm-batch: stopping: no new prompts (Ctrl-C again to quit at once)');
    for (const line of r.screen) expect(line).not.toMatch(/xt…|reading/);
  });

  it('without -o, says that nothing was saved', async () => {
    ctx.server.reset();
    Object.assign(ctx.server.options, { latencyMs: 1500, chunkDelayMs: 0 });
    try {
      const file = writePrompts(
        ctx.dir,
        'unsaved.txt',
        Array.from({ length: 10 }, (_, i) => `unsaved ${i}`),
      );
      const session = startPty([file, '--base-url', ctx.server.url, '-c', '2'], { cols: 100 });
      await session.waitFor(/ok · \d+ failed/);
      session.type('\x03');
      session.child.stdin!.end();
      const r = await session.done;
      expect(r.code).toBe(130);
      const lines = joined(r.screen);
      expect(lines).toContainEqual(expect.stringMatching(/^llm-batch: interrupted: \d+ ok, 0 failed, \d+ not run · /));
      expect(lines.at(-1)).toBe(
        'llm-batch: no results were saved (no -o): the answers above are all there is; run with -o FILE to keep them and --resume after a stop',
      );
    } finally {
      Object.assign(ctx.server.options, { latencyMs: 20, chunkDelayMs: 5 });
    }
  });
});

describe('a terminal of size 0×0 (`script` run from cron or CI, `ssh -tt`, `docker run -t` before the size is set)', () => {
  it('spinner and bar draw as on 80 columns, and Ctrl-C stops the run', async () => {
    const go = path.join(ctx.dir, 'zero.go');
    const out = path.join(ctx.dir, 'zero.jsonl');
    // stdin held open (and deaf to Ctrl-C, so that the CLI does not see it end instead): the spinner
    // waits for the first prompt, then the bar waits for the next.
    const hold = (file: string) => `until [ -e ${quote(file)} ]; do sleep 0.05; done`;
    const end = `${go}.end`;
    const session = startPty(['--mock', '--input-format', 'txt', '-o', out], {
      cols: 80, // the width the test's screen is read at
      // The spinner once divided by the 0 columns: its erase looped for ever, at full CPU and deaf to
      // signals. ulimit bounds such a CLI (a run takes well under a second of CPU).
      setup: 'stty cols 0 rows 0; ulimit -t 8',
      stdinFrom: `(trap '' INT; ${hold(go)}; echo hello; ${hold(end)})`,
      timeoutMs: 20_000,
    });
    try {
      const frames = () => session.raw().split('waiting for prompts on stdin…').length - 1;
      await until(() => frames() >= 3, 'three spinner frames');
      fs.writeFileSync(go, '');
      await until(() => /1 done · 1 ok · 0 failed/.test(session.raw()), 'the bar');
      session.type('\x03');
      await until(() => session.raw().includes('interrupted: '), 'the summary');
    } finally {
      for (const file of [go, end]) fs.writeFileSync(file, '');
      session.child.stdin!.end();
    }
    const r = await session.done;
    expect(r.code).toBe(130);
    // One row to erase each time, not Infinity of them.
    expect(r.raw).not.toContain('\x1b[1A');
    expect(r.raw.length).toBeLessThan(20_000);
    const lines = joined(r.screen);
    expect(lines).toContainEqual(expect.stringMatching(/^llm-batch: interrupted: 1 ok, 0 failed, the rest not run · /));
    // Neither the spinner nor the bar is left behind.
    for (const line of lines) expect(line).not.toMatch(/waiting for prompts|ok · \d+ failed/);
  });
});

/** A terminal that re-wraps its lines when it narrows, as tmux, VTE and most others do. */
class ReflowingTerminal extends VirtualTerminal {
  resize(cols: number): void {
    const lines: string[][] = [];
    let row = this.row;
    let col = this.col;
    this.lines.forEach((line, i) => {
      const chunks = Math.max(1, Math.ceil(line.length / cols));
      if (i === this.row) {
        const k = Math.min(Math.floor(this.col / cols), chunks - 1);
        row = lines.length + k;
        col = this.col - k * cols;
      }
      for (let k = 0; k < chunks; k++) lines.push(line.slice(k * cols, (k + 1) * cols));
    });
    this.lines.splice(0, this.lines.length, ...lines);
    this.row = row;
    this.col = col;
    (this as { cols: number }).cols = cols;
  }
}

describe('a resized terminal', () => {
  it('narrowed mid-run: no stale copy of the bar is left behind', async () => {
    ctx.server.reset();
    Object.assign(ctx.server.options, { latencyMs: 300, chunkDelayMs: 0 });
    // The last four answers wait until a bar was drawn after the resize: however slow the machine, the
    // run is still going when the terminal narrows and when it redraws.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    ctx.server.options.hold = ({ prompt }) => (/^resize 2[0-3]$/.test(prompt) ? released : undefined);
    try {
      const file = writePrompts(
        ctx.dir,
        'resize.txt',
        Array.from({ length: 24 }, (_, i) => `resize ${i}`),
      );
      // 60 columns, not 50: at 47 the bar line drops its bar once the counts reach two digits
      // ("20/24 · 20 ok · 0 failed · ETA 4s"), so whether a bar was drawn after the resize hung on
      // how far a loaded machine had got.
      const marker = '\x1b]777;resize;60\x07';
      // From inside the pty, once the test saw the bar (it creates `go`): a marker in the output stream
      // where the terminal narrows, then the resize (SIGWINCH). The last answers are held, so the run is still going.
      // The CLI is stopped meanwhile: a bar drawn between the marker and the resize would be a
      // 100-column bar on a 50-column terminal, which no program can avoid.
      const go = path.join(ctx.dir, 'resize.go');
      const cli = `$(pgrep -P $$ -x 'node|MainThread')`; // node 24 names its main thread
      const stopped = `until [ "$(sed 's/.*) //' /proc/${cli}/stat | cut -c1)" = T ]; do sleep 0.01; done`;
      const setup = `(until [ -e ${quote(go)} ]; do sleep 0.05; done; kill -STOP ${cli}; ${stopped}; printf '\\033]777;resize;60\\007' > /dev/tty; stty cols 60 < /dev/tty; kill -CONT ${cli}) &`;
      const session = startPty([file, '--base-url', ctx.server.url, '-c', '2', '-o', path.join(ctx.dir, 'resize.jsonl')], { cols: 100, setup, asChild: true });
      session.child.stdin!.end();
      await session.waitFor(/[█░]{10,}/);
      fs.writeFileSync(go, '');
      await until(() => {
        const raw = session.raw();
        const at = raw.indexOf(marker);
        return at >= 0 && /[█░]{5,}/.test(raw.slice(at));
      }, 'a bar drawn after the resize');
      release();
      const r = await session.done;
      expect(r.code).toBe(0);
      const at = r.raw.indexOf(marker);
      expect(at, 'the resize happened mid-run').toBeGreaterThan(0);
      expect(r.raw.slice(0, at)).toMatch(/[█░]{10,}/);
      expect(r.raw.slice(at)).toMatch(/[█░]{5,}/);
      const vt = new ReflowingTerminal(100);
      vt.write(r.raw.slice(0, at));
      vt.resize(60);
      vt.write(r.raw.slice(at + marker.length));
      expect(joined(vt.text())).toEqual([expect.stringMatching(/^llm-batch: 24 ok, 0 failed · /)]);
    } finally {
      release();
      delete ctx.server.options.hold;
      Object.assign(ctx.server.options, { latencyMs: 20, chunkDelayMs: 5 });
    }
  });
});

describe('SIGHUP (the terminal closed, ssh dropped)', () => {
  const slowly = async <T>(fn: () => Promise<T>): Promise<T> => {
    ctx.server.reset();
    Object.assign(ctx.server.options, { latencyMs: 300, chunkDelayMs: 0 });
    try {
      return await fn();
    } finally {
      Object.assign(ctx.server.options, { latencyMs: 20, chunkDelayMs: 5 });
    }
  };
  // textSoFar: the run makes its output and removes it again while it checks that it can.
  const rowsIn = (file: string) => textSoFar(file).split('\n').length - 1;
  const terminalEnv = () => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TERM: 'xterm-256color',
    OPENAI_API_KEY: SECRET_KEY,
    LLM_BATCH_CACHE_DIR: isolatedCacheDir(),
  });

  it('the terminal going away stops a foreground run like SIGTERM: rows kept, summary, resume command', () =>
    slowly(async () => {
      const file = writePrompts(
        ctx.dir,
        'hup.txt',
        Array.from({ length: 30 }, (_, i) => `hup ${i}`),
      );
      const out = path.join(ctx.dir, 'hup.jsonl');
      const summary = path.join(ctx.dir, 'hup.summary.json');
      // exec'd by `script`, the CLI leads the pty's session: closing the master sends it SIGHUP.
      const session = startPty([file, '--base-url', ctx.server.url, '-c', '2', '-o', out, '--summary-json', summary]);
      try {
        await until(() => rowsIn(out) >= 2, 'two rows in the output');
      } finally {
        // Also when the wait fails: a run left going would keep asking the next test's server.
        session.child.kill('SIGKILL');
      }
      await until(() => fs.existsSync(summary) && !fs.existsSync(`${out}.lock`), 'the run to end', 30_000);
      const s = JSON.parse(fs.readFileSync(summary, 'utf8'));
      const rows = parseJsonl(fs.readFileSync(out, 'utf8')).length;
      expect(s).toMatchObject({ stopped: 'interrupted', ok: rows, notRun: 30 - rows });
      expect(rows).toBeLessThan(30);
      expect(s.resumeHint).toMatch(/--resume/);
    }));

  it('with no terminal on stdin, stdout or stderr (nohup) a hangup is ignored and the run goes on', () =>
    slowly(async () => {
      const prompts = Array.from({ length: 12 }, (_, i) => `nohup ${i}`);
      const file = writePrompts(ctx.dir, 'nohup.txt', prompts);
      const out = path.join(ctx.dir, 'nohup.jsonl');
      // Node resets nohup's SIG_IGN at start-up, so this is what a hangup does to `nohup llm-batch … &`.
      const child = spawn('nohup', [process.execPath, BIN, file, '--base-url', ctx.server.url, '-c', '2', '-o', out], {
        env: terminalEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exit = waitForExit(child);
      let said = '';
      child.stderr!.on('data', (d: string) => (said += d));
      // Answers wait until the hangup was seen: else a loaded machine can finish the run before it.
      const release = holdAnswers(ctx.server);
      try {
        // One of its own prompts: the server is shared with the file's other runs.
        await until(() => prompts.some((p) => ctx.server.countFor(p) > 0), 'the run to send a prompt');
        child.kill('SIGHUP');
        await until(() => said.includes('hangup (SIGHUP) ignored'), 'the hangup to be ignored');
      } finally {
        release();
      }
      const r = await exit;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^llm-batch: hangup \(SIGHUP\) ignored: no terminal is attached/m);
      expect(r.stderr).toMatch(/llm-batch: 12 ok, 0 failed · /);
      expect(parseJsonl(fs.readFileSync(out, 'utf8'))).toHaveLength(12);
    }));
});

describe('rows piped to another program on the same terminal (llm-batch | jq)', () => {
  it("draws no status line to garble its output: jq's lines and the summary stay whole", async () => {
    ctx.server.reset();
    Object.assign(ctx.server.options, { latencyMs: 150, chunkDelayMs: 0 });
    try {
      const prompts = Array.from({ length: 12 }, (_, i) => `piped ${i}`);
      const file = writePrompts(ctx.dir, 'jq.txt', prompts);
      const r = await runPty(['--base-url', ctx.server.url, '-c', '2'], { cols: 80, stdinFrom: `cat ${file}`, stdoutTo: 'jq --unbuffered -r .response' });
      expect(r.code).toBe(0);
      expect(r.raw).not.toMatch(/[█░⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]|\x1b\[\d*[GK]/);
      const answers = r.screen.filter((l) => l.startsWith('ECHO '));
      expect(answers.sort()).toEqual(prompts.map((p) => `ECHO ${p}`).sort());
      expect(joined(r.screen.filter((l) => !l.startsWith('ECHO ')))).toEqual([expect.stringMatching(/^llm-batch: 12 ok, 0 failed · .* tokens\/s$/)]);
    } finally {
      Object.assign(ctx.server.options, { latencyMs: 20, chunkDelayMs: 5 });
    }
  });

  it('stdout redirected to a file keeps the bar (nothing else writes to the terminal)', async () => {
    ctx.server.reset();
    const file = writePrompts(ctx.dir, 'redirect.txt', ['r1', 'r2', 'r3']);
    const out = path.join(ctx.dir, 'redirect.jsonl');
    // Answers wait until the bar (drawn once the input is counted) was seen: else a loaded machine
    // can finish the run before its first frame.
    const release = holdAnswers(ctx.server);
    let session: ReturnType<typeof startPty>;
    try {
      session = startPty([file, '--base-url', ctx.server.url], { cols: 80, setup: `exec > ${out}` });
      session.child.stdin!.end();
      await session.waitFor(/[█░]{5,}/);
    } finally {
      release();
    }
    const r = await session.done;
    expect(r.code).toBe(0);
    expect(parseJsonl(fs.readFileSync(out, 'utf8'))).toHaveLength(3);
  });
});

describe('rows written to the terminal the bar is on (-o -)', () => {
  it('each row is a whole line of its own above the bar, and the bar is gone at the end', async () => {
    ctx.server.reset();
    const prompts = ['t1', 't2', 't3', 't4', 't5'];
    const file = writePrompts(ctx.dir, 'rows-on-tty.txt', prompts);
    // The rows wait until the bar was drawn: they must come while it is on the screen.
    const release = holdAnswers(ctx.server);
    let session: ReturnType<typeof startPty>;
    try {
      // Wide enough for a row on one screen line (a JSONL row is ~330 columns).
      session = startPty([file, '--base-url', ctx.server.url, '-o', '-', '-c', '1'], { cols: 500 });
      session.child.stdin!.end();
      await session.waitFor(/[█░]{10,}/);
    } finally {
      release();
    }
    const r = await session.done;
    expect(r.code).toBe(0);
    const rows = r.screen.filter((l) => l.includes('{"id"'));
    // Not glued onto the bar (`░░ 0% 0/5 · … · 1 in flight{"id":…`), nor the bar onto them.
    for (const line of rows) expect(line).toMatch(/^\{"id".*\}$/);
    expect(rows.map((l) => JSON.parse(l).prompt).sort()).toEqual(prompts);
    expect(joined(r.screen.filter((l) => !rows.includes(l)))).toEqual([expect.stringMatching(/^llm-batch: 5 ok, 0 failed · /)]);
  });
});

describe('pacing learned from x-ratelimit-* headers', () => {
  /**
   * 14 prompts at -c `concurrency` against a server allowing 3 a second (`rateLimit`'s other
   * settings given): what the terminal drew, and the screen left.
   */
  async function paced(name: string, concurrency: number, rateLimit: Partial<RateLimitOptions>) {
    ctx.server.reset();
    Object.assign(ctx.server.options, { latencyMs: 20, chunkDelayMs: 0, rateLimit: { requests: 3, windowMs: 1000, retryAfter: 'ms', ...rateLimit } });
    try {
      const file = writePrompts(
        ctx.dir,
        `${name}.txt`,
        Array.from({ length: 14 }, (_, i) => `${name} ${i}`),
      );
      const r = await runPty([file, '--base-url', ctx.server.url, '-c', String(concurrency), '-o', path.join(ctx.dir, `${name}.jsonl`)], { cols: 120 });
      expect(r.code).toBe(0);
      expect(joined(r.screen)).toEqual([expect.stringMatching(/^llm-batch: 14 ok, 0 failed/)]);
      const frames = [...new Set(r.raw.split(/\x1b\[\d*[GK]|\r|\n/).filter((f) => /\/14 ·/.test(f)))];
      return { raw: r.raw, shown: `status lines drawn:\n${frames.join('\n')}` };
    } finally {
      delete ctx.server.options.rateLimit;
      Object.assign(ctx.server.options, { latencyMs: 20, chunkDelayMs: 5 });
    }
  }

  it('says "pacing to N/min (server limit)" while it holds requests back', async () => {
    // -c 3, the server's own limit: the first wave (sent before any header is known) cannot be
    // refused, so the pace is the announced one, not one cut by 429s, whatever the machine's speed.
    const { raw, shown } = await paced('paced', 3, {});
    // 3 per second announced as 180/min: paced at 98 % of it.
    expect(raw, shown).toMatch(/\d+\/14 · \d+ ok · \d+ failed · .*pacing to 176\/min \(server limit\)/);
  });

  it('without headers, paces to the limit a 429\'s message states (OpenAI\'s "requests per min (RPM): Limit 180")', async () => {
    // -c 6 against 3 a second: the first wave collects 429s, whose words state the limit.
    const { raw, shown } = await paced('stated', 6, { headers: false, statesLimit: true });
    expect(raw, shown).toMatch(/pacing to 176\/min \(server limit\)/);
  });
});
