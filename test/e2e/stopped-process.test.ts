/**
 * Ctrl-Z, then `fg` after longer than a deadline: the answer the server finished sending while the
 * process was stopped is read and kept, not thrown away and asked (and paid) again. On SIGCONT libuv
 * runs the timers that came due before it polls the sockets, so the deadline fired with the whole
 * answer unread in the socket: the attempt was an idle timeout, and a second request was sent and
 * billed (`requests: 2, retries: 1`, the row's `attempts` 2). Through the BUILT CLI, stopped and
 * continued with SIGSTOP / SIGCONT, against a small server of the test's own that sends the rest of
 * the answer only once the CLI is stopped.
 */
import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseJsonl, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { useReplyServer } from '../helpers/reply-server.js';
import { until } from '../helpers/until.js';

const PIECES = Array.from({ length: 20 }, (_, i) => `w${i} `);

const frame = (choices: object[], extra: object = {}): string =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm', choices, ...extra })}\n\n`;

/** The rest of the stream after its first frame: 19 pieces, the finish, the usage and [DONE]. */
const REST = [
  ...PIECES.slice(1).map((content) => frame([{ index: 0, delta: { content }, finish_reason: null }])),
  frame([{ index: 0, delta: {}, finish_reason: 'stop' }]),
  frame([], { usage: { prompt_tokens: 7, completion_tokens: 20, total_tokens: 27 } }),
  'data: [DONE]\n\n',
].join('');

const FIRST = frame([{ index: 0, delta: { role: 'assistant', content: PIECES[0] }, finish_reason: null }]);

/** The response held for the test to send; `hold` holds the next request's. */
const held: { hold: boolean; res: ServerResponse | undefined } = { hold: false, res: undefined };

/** A held request is answered by the test; any other (a retry) gets the whole answer at once. */
const server = useReplyServer('llm-batch-stopped-process-', (_, res) => {
  if (!held.hold) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    return void res.end(FIRST + REST);
  }
  held.hold = false;
  held.res = res;
});
beforeAll(() => {
  writePrompts(server.dir, 'one.txt', ['tell me']);
});

/** The process's state letter in /proc (`T`: stopped). */
const stateOf = (pid: number): string => fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0]!;

/**
 * Whether the CLI's main thread sleeps in epoll_wait (true where the kernel does not say), and how
 * many times it went to sleep so far. Stopped there, it wakes on SIGCONT in the state the bug needs:
 * its due timers run before the sockets are polled. Stopped mid-turn instead, it may poll first.
 */
function mainThread(pid: number): { polling: boolean; sleeps: number } {
  const wchan = fs.readFileSync(`/proc/${pid}/wchan`, 'utf8');
  const sleeps = Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return { polling: /epoll|ep_poll/.test(wchan) || !/[a-z]/.test(wchan), sleeps };
}

describe.skipIf(process.platform !== 'linux')('a process stopped past its deadline, then continued', () => {
  it.each([
    ['--idle-timeout', ['--idle-timeout', '1']],
    ['--timeout', ['--timeout', '1']],
  ])('%s: the answer sent meanwhile is kept; one request, no retry', async (_, deadline) => {
    const before = server.requests;
    const name = deadline[0]!.slice(2);
    const out = path.join(server.dir, `${name}.jsonl`);
    const summary = path.join(server.dir, `${name}.json`);
    Object.assign(held, { hold: true, res: undefined });
    const child = spawnCli(['one.txt', '--base-url', server.url, '--no-cache', '-o', out, '--summary-json', summary, ...deadline], { cwd: server.dir });
    const exit = waitForExit(child, 30_000);
    const pid = child.pid!;
    await until(() => held.res !== undefined && mainThread(pid).polling, 'the request sent');
    const res = held.res!;
    // The first piece, read by the CLI: it has slept in epoll_wait again since.
    const asleep = mainThread(pid).sleeps;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    await new Promise<void>((resolve, reject) => res.write(FIRST, (err) => (err ? reject(err) : resolve())));
    await until(() => {
      const now = mainThread(pid);
      return now.polling && now.sleeps > asleep;
    }, 'the first piece read');
    child.kill('SIGSTOP');
    await until(() => stateOf(pid) === 'T', 'the CLI stopped');
    // The whole answer into the socket while the CLI cannot read it, then past its deadline (1 s
    // from the request at most): a wait the stopped CLI cannot cut short, so no race.
    await new Promise<void>((resolve) => res.end(REST, resolve));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    child.kill('SIGCONT');
    const r = await exit;
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests - before).toBe(1);
    const rows = parseJsonl(fs.readFileSync(out, 'utf8'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ response: PIECES.join(''), error: null, attempts: 1 });
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ ok: 1, requests: 1, retries: 0, completionTokens: 20 });
  });
});
