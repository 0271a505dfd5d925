/**
 * An event stream that opens with a byte order mark (SSE says to ignore it): the answer is read
 * the same by both transports. The SDK's reader (-v) dropped it; the lean one took the first event
 * for junk and failed every attempt with "stream ended before the answer finished". Through the
 * BUILT CLI against a small server of the test's own.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { useReplyServer } from '../helpers/reply-server.js';

const server = useReplyServer('llm-batch-stream-bom-', (_body, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  const chunk = { id: 'c', model: 'm', choices: [{ index: 0, delta: { content: 'an answer' }, finish_reason: 'stop' }] };
  res.write(`\uFEFFdata: ${JSON.stringify(chunk)}\n\n`);
  res.end('data: [DONE]\n\n');
});
beforeAll(() => {
  writePrompts(server.dir, 'p.txt', ['one', 'two']);
});

describe('a stream that starts with a byte order mark', () => {
  it.each([
    ['the lean transport', []],
    ['the SDK transport (-v)', ['-v']],
  ])('%s: every answer read, exit 0', async (_name, extra) => {
    const r = await runCli(['p.txt', '--base-url', server.url, '--no-cache', '--retries', '0', '-o', '-', ...extra], { cwd: server.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(parseJsonl(r.stdout).map((row) => row.response)).toEqual(['an answer', 'an answer']);
  });
});
