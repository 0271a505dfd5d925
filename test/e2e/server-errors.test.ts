/**
 * Servers that are OpenAI-compatible until they fail: their error bodies come in other shapes
 * (vLLM, Express, a proxy's HTML page). The built CLI against a server that answers every request
 * with one such body: the row says what the server said, once, without markup.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonl, runCli, tempDir, writePrompts } from '../helpers/run-cli.js';

const NGINX_502 = `<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n`;

let reply: { status: number; type: string; body: string } = { status: 500, type: 'text/plain', body: '' };
let server: Server;
let url: string;
const tmp = tempDir();

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(reply.status, { 'content-type': reply.type, 'content-length': Buffer.byteLength(reply.body) });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  tmp.cleanup();
});

describe('error bodies that are not OpenAI-shaped', () => {
  it.each([
    [
      'vLLM',
      400,
      'application/json',
      '{"object":"error","message":"This model\'s maximum context length is 4096 tokens. However, you requested 5000 tokens.","type":"BadRequestError","param":null,"code":400}',
      "HTTP 400: This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.",
    ],
    [
      'an Express app',
      400,
      'application/json',
      '{"error":"SyntaxError","message":"Unexpected token } in JSON at position 12"}',
      'HTTP 400: SyntaxError: Unexpected token } in JSON at position 12',
    ],
    ['nginx', 502, 'text/html', NGINX_502, 'HTTP 502: Bad Gateway — nginx/1.25.3'],
  ])("%s: the row carries the server's words", async (_name, status, type, body, message) => {
    reply = { status, type, body };
    for (const stream of [[], ['--no-stream']]) {
      const out = path.join(tmp.dir, `rows-${status}-${Math.random().toString(36).slice(2)}.jsonl`);
      const r = await runCli([writePrompts(tmp.dir, 'one.txt', ['hello']), '--base-url', url, '--retries', '0', '-o', out, ...stream]);
      expect(r.code).toBe(1);
      const [row] = parseJsonl(fs.readFileSync(out, 'utf8'));
      expect(row.error).toMatchObject({ type: 'http', status, message });
      expect(r.stderr).not.toMatch(/[<>]|status code \(no body\)/);
    }
  });
});
