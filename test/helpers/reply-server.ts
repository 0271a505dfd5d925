import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { tempDir } from './run-cli.js';

/** How a reply server answers one request: its body as text, the response to write and end. */
export type Reply = (body: string, res: http.ServerResponse) => void;

/**
 * One bare HTTP server per test file, for replies the mock server does not make (a body of another
 * shape, a byte order mark, control characters, usage that is no number), with a temp dir for the
 * file's inputs; both go after the file. Read `url` and `requests` inside tests, not at import time.
 */
export function useReplyServer(prefix: string, reply: Reply): { readonly url: string; readonly dir: string; requests: number } {
  const tmp = tempDir(prefix);
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      state.requests++;
      reply(body, res);
    });
  });
  const state = { url: '', dir: tmp.dir, requests: 0 };
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    tmp.cleanup();
  });
  return state;
}
