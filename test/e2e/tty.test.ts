/**
 * The terminal experience, end to end on the built CLI: under a pseudo-terminal (util-linux `script`,
 * no node-pty) for the bar, the spinner and streamed answers; over pipes for cron, where nothing but
 * plain lines may appear.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadedPackages, moduleTraceEnv } from '../helpers/loaded-packages.js';
import { ROOT, SECRET_KEY, parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { holdAnswers, useServer } from '../helpers/mock-server-hooks.js';
import { quote, runPty, startPty } from '../helpers/run-pty.js';

const ESC = /\x1b/;
const SGR = /\x1b\[[0-9;]*m/;

/** The screen with the summary's continuation lines (indented under `llm-batch: `) joined back. */
function joined(screen: string[]): string[] {
  const out: string[] = [];
  for (const line of screen) {
    if (/^ {11}\S/.test(line) && out.length > 0 && out[out.length - 1]!.startsWith('llm-batch: ')) out[out.length - 1] += ` ${line.trim()}`;
    else out.push(line);
  }
  return out;
}

/** Splits the screen into answer blocks: `── [id] prompt` header → the answer's text with rows joined. */
function answerBlocks(screen: string[]): Map<string, { prompt: string; text: string }> {
  const blocks = new Map<string, { prompt: string; text: string }>();
  let current: { prompt: string; rows: string[] } | undefined;
  const flush = (id?: string) => {
    if (current && id) blocks.set(id, { prompt: current.prompt, text: current.rows.join(' ').trim() });
  };
  let currentId: string | undefined;
  for (const line of screen) {
    const header = /^── \[([^\]]+)\] (.*)$/.exec(line);
    if (header) {
      flush(currentId);
      currentId = header[1]!;
      current = { prompt: header[2]!, rows: [] };
    } else if (/^llm-batch: [\d,]+ ok, /.test(line)) {
      break; // the summary: the end of the answers
    } else if (line.startsWith('llm-batch: ')) {
      // A message between two rows of an answer (they stay whole lines); not part of the answer.
      continue;
    } else if (current && line !== '') current.rows.push(line);
  }
  flush(currentId);
  return blocks;
}

const reply = (prompt: string) => `Answer to ${prompt.replace(/\[\[.*?\]\]/g, '').trim()}: ${'lorem ipsum dolor sit amet consectetur '.repeat(4).trim()} end.`;
const ctx = useServer('llm-batch-tty-', { latencyMs: 30, chunkDelayMs: 15, reply });

describe('on a terminal', () => {
  it('shows a progress bar and streams answers that stay whole while several are in flight', async () => {
    ctx.server.reset();
    const prompts = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
    const file = writePrompts(ctx.dir, 'six.txt', prompts);
    // Answers wait until the bar was drawn: on a slow machine a short run can end before its first frame.
    const release = holdAnswers(ctx.server);
    let session: ReturnType<typeof startPty>;
    try {
      session = startPty([file, '--base-url', ctx.server.url, '-c', '3'], { cols: 60 });
      session.child.stdin!.end();
      // The bar (60 columns: tok/s and in-flight make room for it; see the -o case for those). req/s
      // fits while it is under 10 and, once dropped, stays dropped (test/ui/progress.test.ts): the
      // first frame's rate decides, which the machine's speed does, so it may or may not be there.
      await session.waitFor(/[█░]{10,} +\d+% \d\/6 · \d ok · \d failed · ([\d.]+ req\/s · )?ETA/);
    } finally {
      release();
    }
    const r = await session.done;
    expect(r.code).toBe(0);

    // Afterwards: every answer whole under its own header, no bar left behind, the summary last.
    const blocks = answerBlocks(r.screen);
    expect([...blocks.values()].map((b) => b.prompt).sort()).toEqual([...prompts].sort());
    for (const block of blocks.values()) expect(block.text).toBe(reply(block.prompt));
    for (const line of r.screen) {
      expect(line.length).toBeLessThanOrEqual(60);
      expect(line).not.toMatch(/[█░]|in flight|req\/s ·/);
    }
    // The summary comes last, broken between its parts to fit the 60 columns.
    const summaryAt = r.screen.findIndex((l) => /^llm-batch: 6 ok, 0 failed · \d+ tokens in \/ \d+ out ·/.test(l));
    expect(summaryAt).toBeGreaterThan(0);
    expect(r.screen.length).toBeGreaterThan(summaryAt + 1);
    expect(r.screen.slice(summaryAt + 1)).toEqual(r.screen.slice(summaryAt + 1).map(() => expect.stringMatching(/^ {11}\S/)));
    expect(joined(r.screen).at(-1)).toMatch(/ · [\d.]+ req\/s, [\d,]+ tokens\/s · \S+\/six\.txt$/);
    expect(r.raw).not.toContain(SECRET_KEY);
  });

  it('keeps messages (a bad input line) on lines of their own, above the bar', async () => {
    ctx.server.reset();
    const file = path.join(ctx.dir, 'mixed.jsonl');
    fs.writeFileSync(file, ['{"id":"a","prompt":"first"}', '{"id":"b", oops', '{"id":"c","prompt":"third"}'].join('\n') + '\n');
    const r = await runPty([file, '--base-url', ctx.server.url, '-c', '2'], { cols: 120 });
    expect(r.code).toBe(1);
    const error = r.screen.find((l) => l.includes('mixed.jsonl:2'));
    expect(error).toMatch(/^(llm-batch: |✗ input: ).*mixed\.jsonl:2: invalid JSON/);
    const blocks = answerBlocks(r.screen);
    expect(blocks.get('a')?.text).toBe(reply('first'));
    expect(blocks.get('c')?.text).toBe(reply('third'));
    expect(joined(r.screen).at(-1)).toMatch(/^llm-batch: 2 ok, 1 failed \(input 1\)/);
  });

  it('uses colour, and none at all with NO_COLOR', async () => {
    const file = writePrompts(ctx.dir, 'two.txt', ['one', 'two']);
    const coloured = await runPty([file, '--mock']);
    expect(coloured.code).toBe(0);
    expect(coloured.raw).toMatch(SGR);
    const plain = await runPty([file, '--mock'], { env: { NO_COLOR: '1' } });
    expect(plain.code).toBe(0);
    expect(plain.raw).not.toMatch(SGR);
    expect(plain.raw).toMatch(/[█░]{8,}/); // still a bar: NO_COLOR is about colour only
    expect(joined(plain.screen).at(-1)).toMatch(/^llm-batch: 2 ok, 0 failed/);
  });

  // FORCE_COLOR as node's util.styleText and chalk read it: 0 and false turn colour off (it stayed
  // on: `\x1b[32m2 ok\x1b[39m`), and a value that forces it wins over NO_COLOR, as in node.
  it.each([
    [{ FORCE_COLOR: '0' }, false],
    [{ FORCE_COLOR: 'false' }, false],
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, true],
  ])('with %j: colour %s', async (env, coloured) => {
    const file = writePrompts(ctx.dir, 'two.txt', ['one', 'two']);
    const r = await runPty([file, '--mock'], { env });
    expect(r.code).toBe(0);
    if (coloured) expect(r.raw).toMatch(SGR);
    else expect(r.raw).not.toMatch(SGR);
    expect(r.raw).toMatch(/[█░]{8,}/);
    expect(joined(r.screen).at(-1)).toMatch(/^llm-batch: 2 ok, 0 failed/);
  });

  it('with -o, answers go to the file and only the bar and the summary to the terminal', async () => {
    ctx.server.reset();
    const file = writePrompts(ctx.dir, 'three.txt', ['x1', 'x2', 'x3']);
    const out = path.join(ctx.dir, 'three.jsonl');
    const release = holdAnswers(ctx.server);
    let session: ReturnType<typeof startPty>;
    try {
      session = startPty([file, '--base-url', ctx.server.url, '-o', out]);
      session.child.stdin!.end();
      // 100 columns: room for every figure.
      await session.waitFor(/[█░]{10,} +\d+% \d\/3 · \d ok · \d failed · [\d.]+ req\/s · [\d.]+k? tok\/s · (ETA \S+ · )?\d in flight/);
    } finally {
      release();
    }
    const r = await session.done;
    expect(r.code).toBe(0);
    expect(parseJsonl(fs.readFileSync(out, 'utf8'))).toHaveLength(3);
    expect(joined(r.screen)).toEqual([expect.stringMatching(/^llm-batch: 3 ok, 0 failed · /)]);
  });

  it('shows counts without a bar or ETA for stdin, and a spinner while waiting for it', async () => {
    ctx.server.reset();
    const file = writePrompts(ctx.dir, 'piped.txt', ['p1', 'p2', 'p3']);
    // The prompts arrive once the spinner was seen (a file the test creates), however slow the start.
    const go = path.join(ctx.dir, 'piped.go');
    const session = startPty(['--base-url', ctx.server.url, '--input-format', 'txt', '-o', path.join(ctx.dir, 'piped.jsonl')], {
      stdinFrom: `(until [ -e ${quote(go)} ]; do sleep 0.05; done; cat ${quote(file)})`,
    });
    session.child.stdin!.end();
    await session.waitFor(/waiting for prompts on stdin…/);
    fs.writeFileSync(go, '');
    const r = await session.done;
    expect(r.code).toBe(0);
    expect(r.raw).toMatch(/waiting for prompts on stdin…/);
    expect(r.raw).toMatch(/\d done · \d ok · \d failed · /);
    expect(r.raw).not.toMatch(/[█░]|ETA/);
    expect(joined(r.screen)).toEqual([expect.stringMatching(/^llm-batch: 3 ok, 0 failed · /)]);
  });

  // The dry run's spinner reads colour as the run's display does: FORCE_COLOR wins over NO_COLOR.
  it.each([
    [{}, true],
    [{ NO_COLOR: '1' }, false],
    [{ FORCE_COLOR: '0' }, false],
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, true],
  ])('--dry-run reading stdin with %j: a spinner, coloured %s', async (env, coloured) => {
    const file = writePrompts(ctx.dir, 'dry-piped.txt', ['p1', 'p2']);
    const go = path.join(ctx.dir, `dry-piped-${Object.keys(env).join('')}.go`);
    const session = startPty(['--mock', '--dry-run', '--input-format', 'txt'], {
      env,
      stdinFrom: `(until [ -e ${quote(go)} ]; do sleep 0.05; done; cat ${quote(file)})`,
    });
    session.child.stdin!.end();
    await session.waitFor(/reading <stdin>… 0 records/);
    fs.writeFileSync(go, '');
    const r = await session.done;
    expect(r.code).toBe(0);
    const spinnerLine = r.raw.slice(0, r.raw.indexOf('reading <stdin>…'));
    if (coloured) expect(spinnerLine).toMatch(SGR);
    else expect(spinnerLine).not.toMatch(SGR);
  });

  it('Ctrl-C while waiting for stdin ends the run as interrupted: exit 130, the summary and --summary-json', async () => {
    const summary = path.join(ctx.dir, 'stdin-wait.summary.json');
    // An earlier run's figures, which a killed run left in place for a cron job to read as its own.
    fs.writeFileSync(summary, JSON.stringify({ ok: 1, stopped: null, exitCode: 0 }));
    const session = startPty(['--mock', '-o', path.join(ctx.dir, 'stdin-wait.jsonl'), '--summary-json', summary, '--overwrite'], { stdinFrom: 'sleep 30' });
    session.child.stdin!.on('error', () => {});
    await session.waitFor(/waiting for prompts on stdin…/);
    session.type('\x03');
    const r = await session.done;
    expect(r.code).toBe(130);
    expect(joined(r.screen)).toContainEqual(expect.stringMatching(/^llm-batch: interrupted: 0 ok, 0 failed/));
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ ok: 0, stopped: 'interrupted', exitCode: 130 });
  });

  it.each(['/dev/tty', '/dev/stderr'])('-o %s: rows go above the bar, none glued to it', async (target) => {
    const file = writePrompts(
      ctx.dir,
      'to-tty.txt',
      Array.from({ length: 12 }, (_, i) => `row ${i}`),
    );
    const r = await runPty([file, '--base-url', ctx.server.url, '-c', '4', '-o', target, '-f', 'text']);
    expect(r.code).toBe(0);
    // The bar is gone at the end: a line that still shows one had a row written onto its end.
    expect(r.screen.filter((l) => /[█░]|in flight/.test(l))).toEqual([]);
    expect(r.screen.filter((l) => l.startsWith('[')).length).toBe(12);
  });

  it('prompts typed on the terminal (`-`) stay as typed: no spinner or bar drawn over the line being typed', async () => {
    const session = startPty(['-', '--mock', '--no-cache']);
    session.type('first line\n');
    await session.waitFor(/you asked "first line"/);
    session.type('second que');
    session.type('stion\n');
    await session.waitFor(/you asked "second question"/);
    session.type('\x04');
    const r = await session.done;
    expect(r.code).toBe(0);
    expect(r.raw).not.toMatch(/waiting for prompts on stdin|[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏█░]|in flight/);
    expect(r.screen).toContain('second question');
    expect(joined(r.screen).at(-1)).toMatch(/^llm-batch: 2 ok, 0 failed · /);
  });

  it('says "rate limited, waiting" while the rate limiter holds everyone back', async () => {
    ctx.server.reset();
    ctx.server.options.rateLimit = { requests: 2, windowMs: 600, retryAfter: 'ms' };
    try {
      const file = writePrompts(ctx.dir, 'limited.txt', ['r1', 'r2', 'r3', 'r4', 'r5']);
      const r = await runPty([file, '--base-url', ctx.server.url, '-c', '4', '-o', path.join(ctx.dir, 'limited.jsonl')]);
      expect(r.code).toBe(0);
      expect(ctx.server.requests.some((q) => q.status === 429)).toBe(true);
      expect(r.raw).toMatch(/rate limited, waiting \d+\.\ds · \d(\/5)? done · \d in flight/);
      expect(joined(r.screen)).toEqual([expect.stringMatching(/^llm-batch: 5 ok, 0 failed, \d+ retr(y|ies), \d+ × 429 · /)]);
    } finally {
      delete ctx.server.options.rateLimit;
    }
  });

  it('says "rate limited, waiting" while the pace holds everyone back after a burst of 429s, nothing in flight', async () => {
    ctx.server.reset();
    // h0 answered, h1 refused once (retry-after-ms 200), h2-h7 answered, h8-h11 refused: a burst
    // whose reading is the 1 request taken before h1, and the pace books the 7 taken at 0.9 a
    // second, holding the retries back ~6 s. Before, the bar said "7/12 · … · 0 in flight" all that
    // while, no reason shown: only a 429's own (short) wait was told.
    const prompts = ['h0', 'h1 [[fault:429]]', ...[2, 3, 4, 5, 6, 7].map((i) => `h${i}`), ...[8, 9, 10, 11].map((i) => `h${i} [[fault:429]]`)];
    const file = writePrompts(ctx.dir, 'held.txt', prompts);
    const session = startPty([file, '--base-url', ctx.server.url, '-c', '12', '-o', path.join(ctx.dir, 'held.jsonl')]);
    try {
      await session.waitFor(/rate limited, waiting [2-9]\.\ds · [78]\/12 done · 0 in flight/, 5000);
    } finally {
      session.type('\x03');
      await session.done;
    }
    expect(ctx.server.requests.filter((q) => q.status === 429)).toHaveLength(5);
  });

  it('--quiet: no bar, no spinner, no summary; answers still print', async () => {
    const file = writePrompts(ctx.dir, 'quiet.txt', ['q1', 'q2']);
    const r = await runPty([file, '--mock', '-q']);
    expect(r.code).toBe(0);
    expect(r.raw).not.toMatch(/[█░]|in flight|llm-batch:/);
    expect(answerBlocks(r.screen).size).toBe(2);
  });
});

describe('not a terminal (pipes, cron)', () => {
  it('writes no escape codes at all, even with colour-happy settings, and one summary line', async () => {
    ctx.server.reset();
    const file = writePrompts(ctx.dir, 'pipe.txt', ['a', 'b [[fault:500]]', 'c']);
    const r = await runCli([file, '--base-url', ctx.server.url], { env: { TERM: 'xterm-256color', FORCE_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(ESC);
    expect(r.stdout).not.toMatch(ESC);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^llm-batch: 3 ok, 0 failed, 1 retry · \d+ tokens in \/ \d+ out · .* req\/s, [\d,]+ tokens\/s · \S+\/pipe\.txt$/),
    ]);
  });

  it('--progress 1 prints a plain progress line every second, then the summary', async () => {
    ctx.server.reset();
    Object.assign(ctx.server.options, { latencyMs: 150, chunkDelayMs: 0 });
    try {
      // 16 prompts, 2 at a time, each >= 150 ms at the server: the run lasts at least 1.2 s.
      const file = writePrompts(
        ctx.dir,
        'progress.txt',
        Array.from({ length: 16 }, (_, i) => `prompt ${i}`),
      );
      const r = await runCli([file, '--base-url', ctx.server.url, '-c', '2', '--progress', '1', '-o', path.join(ctx.dir, 'progress.jsonl')]);
      expect(r.code).toBe(0);
      expect(r.stderr).not.toMatch(ESC);
      const lines = r.stderr
        .trimEnd()
        .split('\n')
        .filter((l) => !/MaxListenersExceededWarning|--trace-warnings/.test(l));
      const progress = lines.slice(0, -1);
      expect(progress.length).toBeGreaterThanOrEqual(1);
      for (const line of progress) {
        expect(line).toMatch(/^llm-batch: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \d{1,2}\/16 done \(\d+ ok, 0 failed\) · \d+\.\d req\/s( · ETA \d+s)?$/);
      }
      expect(lines.at(-1)).toMatch(/^llm-batch: 16 ok, 0 failed · /);
    } finally {
      Object.assign(ctx.server.options, { latencyMs: 30, chunkDelayMs: 15 });
    }
  });

  it('--progress on stdin has no total and no ETA', async () => {
    ctx.server.reset();
    Object.assign(ctx.server.options, { latencyMs: 150, chunkDelayMs: 0 });
    try {
      const stdin = Array.from({ length: 16 }, (_, i) => `piped ${i}`).join('\n');
      const r = await runCli(['--base-url', ctx.server.url, '-c', '2', '--progress', '1'], { stdin });
      expect(r.code).toBe(0);
      const progress = r.stderr.split('\n').filter((l) => / done \(/.test(l));
      expect(progress.length).toBeGreaterThanOrEqual(1);
      for (const line of progress) expect(line).toMatch(/^llm-batch: \S+Z \d+ done \(\d+ ok, 0 failed\) · \d+\.\d req\/s$/);
    } finally {
      Object.assign(ctx.server.options, { latencyMs: 30, chunkDelayMs: 15 });
    }
  });

  it('--quiet prints nothing for a clean run, but errors still print, and the summary when a prompt failed', async () => {
    ctx.server.reset();
    const clean = await runCli([writePrompts(ctx.dir, 'qa.txt', ['fine']), '--base-url', ctx.server.url, '-q']);
    expect(clean.code).toBe(0);
    expect(clean.stderr).toBe('');
    const bad = await runCli([path.join(ROOT, 'fixtures/bad.jsonl'), '--base-url', ctx.server.url, '-q', '-o', path.join(ctx.dir, 'qbad.jsonl')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.jsonl:2: invalid JSON/);
    expect(bad.stderr.trim().split('\n').at(-1)).toMatch(/^llm-batch: \d+ ok, [1-9]\d* failed \(input \d+\)/);
  });
});

describe('summary and cost', () => {
  it('--summary-json carries the same figures as the summary line, cost included for gpt-4o-mini', async () => {
    ctx.server.reset();
    const file = writePrompts(ctx.dir, 'cost.txt', ['c1', 'c2 [[fault:503]]', 'c3']);
    const json = path.join(ctx.dir, 'summary.json');
    const r = await runCli([file, '--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '--summary-json', json, '-o', path.join(ctx.dir, 'cost.jsonl')]);
    expect(r.code).toBe(0);
    const s = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(s).toMatchObject({ ok: 3, failed: 0, retries: 1, requests: 4, model: 'gpt-4o-mini' });
    expect(s.promptTokens).toBeGreaterThan(0);
    expect(s.completionTokens).toBeGreaterThan(0);
    expect(s.tokensPerSecond).toBeGreaterThan(0);
    expect(s.estimatedCost).toMatchObject({ estimate: true, pricesAsOf: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(s.estimatedCost.usd).toBeGreaterThan(0);
    const line = r.stderr.trimEnd().split('\n').at(-1)!;
    expect(line).toContain(`${s.promptTokens.toLocaleString('en-US')} tokens in / ${s.completionTokens.toLocaleString('en-US')} out`);
    // The figure itself, however small (two significant digits under $0.0001), as --summary-json has it.
    const shown = / · est\. \$(0\.\d{4,}) at \d{4}-\d{2}-\d{2} prices · /.exec(line)?.[1];
    expect(shown, line).toBeDefined();
    expect(Math.abs(Number(shown) - s.estimatedCost.usd)).toBeLessThanOrEqual(Math.max(s.estimatedCost.usd * 0.05, 0.00005));
  });

  it('shows tokens only for a model with no known price', async () => {
    ctx.server.reset();
    const json = path.join(ctx.dir, 'summary-unknown.json');
    const r = await runCli([writePrompts(ctx.dir, 'unk.txt', ['u1']), '--base-url', ctx.server.url, '-m', 'llama3.2', '--summary-json', json]);
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(json, 'utf8')).estimatedCost).toBeNull();
    expect(r.stderr).toMatch(/tokens in \/ \d+ out/);
    expect(r.stderr).not.toMatch(/\$|est\./);
  });

  it.each([
    ['a missing directory', () => path.join(ctx.dir, 'no-such-dir', 's.json'), /--summary-json .*s\.json: no such directory /],
    ['a directory', () => ctx.dir, /--summary-json .*: is a directory$/],
    // The rows go to a file, so stdout is free: the line does not blame the rows, it names stdout's name.
    ['-', () => '-', /^llm-batch: --summary-json needs a file path \("-" is none: for stdout, name \/dev\/stdout\)$/],
    ['empty (an unset variable)', () => '', /^llm-batch: --summary-json needs a file path; it was empty$/],
  ])('an unwritable --summary-json (%s) is refused before anything is sent: exit 2, one line', async (_what, target, message) => {
    ctx.server.reset();
    const out = path.join(ctx.dir, `sj-${ctx.server.requests.length}-${Math.random().toString(36).slice(2)}.jsonl`);
    const r = await runCli([writePrompts(ctx.dir, 'sj.txt', ['s1', 's2']), '--base-url', ctx.server.url, '--summary-json', target(), '-o', out]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(ctx.server.requests).toHaveLength(0);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('startup and --help', () => {
  /** Environment that makes the CLI record what it ran in the directory `trace` (see moduleTraceEnv). */
  const traceModules = (trace: string) => moduleTraceEnv(trace);
  /** Whether a traced run loaded package `name`. */
  const loaded = (trace: string, name: string) => loadedPackages(trace, ROOT).has(name);

  it('loads the terminal libraries only for a terminal display', async () => {
    const helpTrace = path.join(ctx.dir, 'help.trace');
    const help = await runCli(['--help'], { env: traceModules(helpTrace) });
    expect(help.code).toBe(0);
    expect(loaded(helpTrace, 'commander')).toBe(true); // the trace works, and maps chunks to packages
    for (const name of ['ora', 'cli-progress', 'openai', 'gpt-tokenizer']) expect(loaded(helpTrace, name), name).toBe(false);

    const pipedTrace = path.join(ctx.dir, 'piped.trace');
    const piped = await runCli([path.join(ROOT, 'fixtures/prompts.txt'), '--mock'], { env: traceModules(pipedTrace) });
    expect(piped.code).toBe(0);
    expect(loaded(pipedTrace, 'ora') || loaded(pipedTrace, 'cli-progress')).toBe(false);

    const ttyTrace = path.join(ctx.dir, 'tty.trace');
    const tty = await runPty([path.join(ROOT, 'fixtures/prompts.txt'), '--mock'], { env: traceModules(ttyTrace) });
    expect(tty.code).toBe(0);
    expect(loaded(ttyTrace, 'ora') && loaded(ttyTrace, 'cli-progress')).toBe(true);
  });

  it('--help shows grouped options with defaults, and examples for every common use', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const group of ['Input:', 'Model:', 'Pacing and retries:', 'Output:', 'Display:', 'Examples:', 'Environment:', 'Exit codes:']) {
      expect(r.stdout).toContain(group);
    }
    expect(r.stdout).toMatch(/--concurrency <n>[\s\S]*\(default: 8\)/);
    expect(r.stdout).toMatch(/\$ llm-batch \S+\.txt /); // a text file
    expect(r.stdout).toMatch(/\$ llm-batch \S+\.csv --template '[^']*\{\{\w+\}\}/); // a CSV with a template
    expect(r.stdout).toMatch(/\| llm-batch .*\|/); // stdin in a pipeline
    expect(r.stdout).toMatch(/^\s*[\d*/,-]+( [\d*/,-]+){4} .*llm-batch .*--resume/m); // a cron line
    expect(r.stdout).toMatch(/--base-url http:\/\/(localhost|127\.0\.0\.1)[:\d]*\/v1/); // a local server
    expect(r.stdout).toMatch(/--dry-run/);
    for (const line of r.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });
});
