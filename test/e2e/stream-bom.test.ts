/**
 * An event stream that opens with a byte order mark (SSE says to ignore it): the answer is read
 * the same by both transports. The SDK's reader (-v) dropped it; the lean one took the first event
 * for junk and failed every attempt with "stream ended before the answer finished". Through the
 * BUILT CLI against a small server of the test's own.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonl, runCli, tempDir, writePrompts } from '../helpers/run-cli.js';

const root = tempDir('llm-batch-stream-bom-');
let server: http.Server;
let url = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      const chunk = { id: 'c', model: 'm', choices: [{ index: 0, delta: { content: 'an answer' }, finish_reason: 'stop' }] };
      res.write(`\uFEFFdata: ${JSON.stringify(chunk)}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  writePrompts(root.dir, 'p.txt', ['one', 'two']);
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  root.cleanup();
});

describe('a stream that starts with a byte order mark', () => {
  it.each([
    ['the lean transport', []],
    ['the SDK transport (-v)', ['-v']],
  ])('%s: every answer read, exit 0', async (_name, extra) => {
    const r = await runCli(['p.txt', '--base-url', url, '--no-cache', '--retries', '0', '-o', '-', ...extra], { cwd: root.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(parseJsonl(r.stdout).map((row) => row.response)).toEqual(['an answer', 'an answer']);
  });
});
