/**
 * A reverse proxy in front of the mock server that serves it under a path prefix, as gateways that
 * take a token in the path do (`https://gateway/TOKEN/v1`): `/PREFIX/v1/…` is forwarded as `/v1/…`.
 * Bodies stream through untouched, both ways.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PathPrefixProxy {
  /** Base URL: `http://127.0.0.1:PORT/PREFIX/v1`. */
  url: string;
  close(): Promise<void>;
}

export async function startPathPrefixProxy(target: string, prefix: string): Promise<PathPrefixProxy> {
  const upstream = new URL(target);
  const strip = `/${prefix}`;
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith(`${strip}/`)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no such path ${url}`, type: 'invalid_request_error' } }));
      return;
    }
    const headers = { ...req.headers, host: upstream.host };
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: url.slice(strip.length), headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${prefix}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
