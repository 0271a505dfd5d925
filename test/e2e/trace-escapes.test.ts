/**
 * `-v` writes what a server sent to stderr: its raw bytes, control characters and all, reached the
 * terminal (an error page that clears the screen or retitles the window) or a log read later with
 * `cat`. They are shown as `\uFFFD`, as in every other stderr message; `--trace FILE` keeps the bytes.
 * Through the BUILT CLI against a small server of the test's own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, writePrompts } from '../helpers/run-cli.js';
import { useReplyServer } from '../helpers/reply-server.js';
import { runPty } from '../helpers/run-pty.js';

const HOSTILE = 'boom \u001b]0;PWNED\u0007\u001b[2J\u001b[31mred';

const server = useReplyServer('llm-batch-trace-escapes-', (_body, res) => {
  res.writeHead(500, { 'content-type': 'text/plain' });
  res.end(HOSTILE);
});
beforeAll(() => {
  writePrompts(server.dir, 'p.txt', ['one']);
});

describe('control characters in a trace', () => {
  it('-v: the body of an error page shows \uFFFD for each control character; nothing reaches stderr raw', async () => {
    const r = await runCli(['p.txt', '--base-url', server.url, '--no-cache', '--retries', '0', '-v', '-o', 'out.jsonl'], { cwd: server.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^#1 < 500 /m);
    expect(r.stderr).toContain('#1 < boom \uFFFD]0;PWNED\uFFFD\uFFFD[2J\uFFFD[31mred');
    expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });

  it('--trace FILE keeps the bytes as they came', async () => {
    const trace = path.join(server.dir, 'wire.log');
    const r = await runCli(['p.txt', '--base-url', server.url, '--no-cache', '--retries', '0', '--trace', trace, '-o', 'out2.jsonl'], { cwd: server.dir });
    expect(r.code).toBe(1);
    expect(fs.readFileSync(trace, 'utf8')).toContain(`#1 < ${HOSTILE}`);
  });

  it.each(['/dev/stderr', '/dev/tty', '-', '/dev/stdout'])('--trace %s on a terminal: shown as -v shows it, with no bar drawn into it', async (target) => {
    const out = path.join(server.dir, `tty-${path.basename(target)}.jsonl`);
    const r = await runPty([path.join(server.dir, 'p.txt'), '--base-url', server.url, '--no-cache', '--retries', '0', '--trace', target, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.raw).toContain('#1 < boom \uFFFD]0;PWNED\uFFFD\uFFFD[2J\uFFFD[31mred');
    expect(r.raw).not.toContain('\u001b]0;PWNED');
    expect(r.raw).not.toMatch(/[█░]|ETA/);
  });

  it('--trace naming the terminal by its device (`--trace $(tty)`, a link to it): no bar drawn into it', async () => {
    const link = path.join(server.dir, 'my-tty');
    const out = path.join(server.dir, 'tty-link.jsonl');
    const r = await runPty([path.join(server.dir, 'p.txt'), '--base-url', server.url, '--no-cache', '--retries', '0', '--trace', link, '-o', out], {
      setup: `ln -sf "$(tty)" ${link}`,
    });
    expect(r.code).toBe(1);
    expect(r.raw).toContain('#1 < boom');
    expect(r.raw).not.toMatch(/[█░]|ETA/);
  });

  it.each(['/dev/stderr', '/dev/tty', '-', '/dev/stdout'])(
    '--batch-api --trace %s on a terminal: the trace with no status line drawn into it',
    async (target) => {
      const out = path.join(server.dir, `batch-${path.basename(target)}.jsonl`);
      const r = await runPty([path.join(server.dir, 'p.txt'), '--mock', '--batch-api', '--poll', '0.05', '--trace', target, '-o', out]);
      expect(r.code, r.raw).toBe(0);
      expect(r.raw).toMatch(/#b1 > POST /);
      // The status line is drawn in place: a carriage return and an erase of the line before each redraw.
      expect(r.raw).not.toMatch(/\r\u001b\[K|batches \d+\/\d+ · /);
    },
  );
});
