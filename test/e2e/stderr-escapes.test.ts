/**
 * Messages on stderr quote what others wrote: a server's error body, a file name. Their control
 * characters (an escape sequence that retitles or clears the terminal) are shown as `\uFFFD`, as
 * the answers printed on a terminal already are; before, they reached the terminal, or a log read
 * later with `cat`, as they came. Through the BUILT CLI against a small server of the test's own.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, writePrompts } from '../helpers/run-cli.js';

const root = tempDir('llm-batch-stderr-escapes-');
let server: http.Server;
let url = '';
const HOSTILE = 'Bad key \u001b]0;PWNED\u0007\u001b[2J';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: HOSTILE, code: 'invalid_api_key' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  writePrompts(root.dir, 'p.txt', ['one']);
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  root.cleanup();
});

describe('control characters in stderr messages', () => {
  it("a server's error message: shown with \uFFFD in place of each control character, exit 2", async () => {
    const r = await runCli(['p.txt', '--base-url', url, '--no-cache', '-o', 'out.jsonl'], { cwd: root.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Bad key \uFFFD]0;PWNED\uFFFD\uFFFD[2J');
    expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });

  it('a file name in a refusal: the same', async () => {
    const r = await runCli(['no\u001b[2Jfile.txt', '--mock'], { cwd: root.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('llm-batch: cannot read input file no\uFFFD[2Jfile.txt: no such file\n');
  });
});
