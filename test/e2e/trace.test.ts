/**
 * `-v` and `--trace FILE` on the built CLI against the mock server: every request and raw response,
 * as `curl -v` shows them, and the key nowhere.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRET_KEY, parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { useServer } from '../helpers/mock-server-hooks.js';

const ctx = useServer('llm-batch-trace-', { apiKey: SECRET_KEY });

describe('seeing what went over the wire', () => {
  it('--trace FILE: each request and its raw response (a 500 body, then the stream), the key redacted', async () => {
    ctx.server.reset();
    const trace = path.join(ctx.dir, 'wire.log');
    const out = path.join(ctx.dir, 'trace.jsonl');
    const r = await runCli([writePrompts(ctx.dir, 'trace.txt', ['flaky [[fault:500]]']), '--base-url', ctx.server.url, '--trace', trace, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(parseJsonl(fs.readFileSync(out, 'utf8'))[0]).toMatchObject({ error: null, attempts: 2 });
    const log = fs.readFileSync(trace, 'utf8');
    expect(log).toContain(`#1 > POST ${ctx.server.url}/chat/completions`);
    expect(log).toMatch(/^#1 > authorization: \[redacted\]$/m);
    expect(log).toMatch(/^#1 > \{"model":"gpt-4o-mini","messages":\[\{"role":"user","content":"flaky \[\[fault:500\]\]"\}\]/m);
    expect(log).toMatch(/^#1 < 500 Internal Server Error \(\d+ ms to headers\)$/m);
    expect(log).toMatch(/^#1 < \{"error":\{"message":"The server had an error/m);
    expect(log).toMatch(/^#2 < 200 OK /m);
    expect(log).toMatch(/^#2 < data: \{.*"finish_reason":"stop"/m);
    expect(log).toMatch(/^#2 < data: \[DONE\]$/m);
    expect(log).not.toContain(SECRET_KEY);
    expect(r.stderr).not.toMatch(/#1 /); // the trace went to the file only
  });

  it('-v: the same on stderr, rows still on stdout, the key nowhere', async () => {
    ctx.server.reset();
    const r = await runCli(['--base-url', ctx.server.url, '-v', '--no-stream'], { stdin: 'hello\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(parseJsonl(r.stdout)).toHaveLength(1);
    expect(r.stderr).toMatch(/^#1 > POST /m);
    expect(r.stderr).toMatch(/^#1 < \{"id":"chatcmpl-/m);
    expect(r.stdout + r.stderr).not.toContain(SECRET_KEY);
  });

  it('--trace into a file that cannot be written (/dev/full): the trace stops, said once; the rows are answers, exit 0', async () => {
    ctx.server.reset();
    const out = path.join(ctx.dir, 'full.jsonl');
    const input = writePrompts(ctx.dir, 'full.txt', ['full q1', 'full q2', 'full q3']);
    const r = await runCli([input, '--base-url', ctx.server.url, '--trace', '/dev/full', '-o', out, '-c', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(parseJsonl(fs.readFileSync(out, 'utf8')).map((row) => row.error)).toEqual([null, null, null]);
    expect(ctx.server.requests).toHaveLength(3);
    expect(r.stderr.match(/--trace \/dev\/full: no space left on the device: the trace stops here, the run goes on/g)).toHaveLength(1);
  });

  it.each([
    ['--trace FILE', ['--trace', 'TRACE']],
    ['-v', ['-v']],
  ])('%s: a key streamed three characters an event is in no line, nor spelled by the events together', async (tag, extra) => {
    ctx.server.reset();
    const options = ctx.server.options;
    Object.assign(options, { reply: () => `Your key: ${SECRET_KEY}, it seems`, pieceChars: 3 });
    try {
      const trace = path.join(ctx.dir, `pieces-${tag.length}.log`);
      const input = writePrompts(ctx.dir, 'pieces.txt', ['hello']);
      const args = extra.map((a) => a.replace('TRACE', trace));
      const r = await runCli([input, '--base-url', ctx.server.url, '--param', 'logprobs=true', '--no-cache', '-o', `${trace}.jsonl`, ...args]);
      expect(r.code, r.stderr).toBe(0);
      const log = extra[0] === '-v' ? r.stderr : fs.readFileSync(trace, 'utf8');
      const events = log.split('\n').filter((l) => /^#1 < data: \{/.test(l));
      const said = (field: string) => events.map((l) => JSON.parse(l.slice('#1 < data: '.length)).choices[0]?.[field]);
      // Every event is there, in order; those that carried a piece of the key now carry nothing of it.
      const pieces = said('delta').map((d) => d?.content ?? '');
      expect(pieces.join('')).toBe('Your key: [redacted], it seems');
      expect(pieces.slice(0, 6)).toEqual(['', 'You', 'r k', 'ey:', ' [redacted]', '']);
      expect(events).toHaveLength(1 + Math.ceil(`Your key: ${SECRET_KEY}, it seems`.length / 3) + 2);
      const tokens = said('logprobs').flatMap((lp) => lp?.content ?? []);
      expect(tokens.map((t: { token: string }) => t.token).join('')).toBe('Your key: [redacted], it seems');
      expect(Buffer.from(tokens.flatMap((t: { bytes: number[] }) => t.bytes)).toString()).toBe('Your key: it seems');
      expect(log).not.toContain(SECRET_KEY.slice(3, 9));
    } finally {
      for (const name of ['reply', 'pieceChars'] as const) delete options[name];
    }
  });

  it('--trace into a missing directory: exit 2 before anything is sent', async () => {
    ctx.server.reset();
    const r = await runCli([writePrompts(ctx.dir, 'nodir.txt', ['x']), '--base-url', ctx.server.url, '--trace', path.join(ctx.dir, 'nope', 'wire.log')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^llm-batch: --trace .*wire\.log: no such directory$/);
    expect(ctx.server.requests).toHaveLength(0);
  });

  it('--trace DIR: "is a directory", as -o and --summary-json say it, exit 2 before anything is sent', async () => {
    ctx.server.reset();
    const dir = path.join(ctx.dir, 'trace-dir');
    fs.mkdirSync(dir, { recursive: true });
    const r = await runInWorker([writePrompts(ctx.dir, 'dir.txt', ['x']), '--base-url', ctx.server.url, '--trace', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`llm-batch: --trace ${dir}: is a directory`);
    expect(ctx.server.requests).toHaveLength(0);
  });

  it.runIf(fs.existsSync('/proc/self'))('--trace /proc/x.log: /proc is there but takes no file, and the line says so (not "no such directory")', async () => {
    ctx.server.reset();
    const r = await runInWorker([writePrompts(ctx.dir, 'proc.txt', ['x']), '--base-url', ctx.server.url, '--trace', '/proc/x.log']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('llm-batch: --trace /proc/x.log: cannot create a file in /proc (ENOENT)');
    expect(ctx.server.requests).toHaveLength(0);
  });
});
