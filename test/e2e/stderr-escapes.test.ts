/**
 * Messages on stderr quote what others wrote: a server's error body, a file name. Their control
 * characters (an escape sequence that retitles or clears the terminal) are shown as `\uFFFD`, as
 * the answers printed on a terminal already are; before, they reached the terminal, or a log read
 * later with `cat`, as they came. Through the BUILT CLI against a small server of the test's own.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, writePrompts } from '../helpers/run-cli.js';
import { useReplyServer } from '../helpers/reply-server.js';

const HOSTILE = 'Bad key \u001b]0;PWNED\u0007\u001b[2J';

const server = useReplyServer('llm-batch-stderr-escapes-', (_body, res) => {
  res.writeHead(401, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message: HOSTILE, code: 'invalid_api_key' } }));
});
beforeAll(() => {
  writePrompts(server.dir, 'p.txt', ['one']);
});

describe('control characters in stderr messages', () => {
  it("a server's error message: shown with \uFFFD in place of each control character, exit 2", async () => {
    const r = await runCli(['p.txt', '--base-url', server.url, '--no-cache', '-o', 'out.jsonl'], { cwd: server.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Bad key \uFFFD]0;PWNED\uFFFD\uFFFD[2J');
    expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });

  it('a file name in a refusal: the same', async () => {
    const r = await runCli(['no\u001b[2Jfile.txt', '--mock'], { cwd: server.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('llm-batch: cannot read input file no\uFFFD[2Jfile.txt: no such file\n');
  });
});
