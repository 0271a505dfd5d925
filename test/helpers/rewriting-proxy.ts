/**
 * A reverse proxy in front of the mock server that rewrites response bodies: for what the mock does
 * not model (another reported model name, as Azure deployments and aliases answer; a `refusal`).
 * Whole bodies are buffered, rewritten and sent with their new length, streamed answers included.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RewritingProxy {
  /** Base URL including /v1. */
  url: string;
  close(): Promise<void>;
}

/** `rewrite(body, path, request)`: the response text as the client will see it (`request`: the request's body). */
export async function startRewritingProxy(target: string, rewrite: (body: string, path: string, request: string) => string): Promise<RewritingProxy> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = { ...req.headers, host: upstream.host };
      const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => {
          const body = Buffer.from(rewrite(Buffer.concat(parts).toString('utf8'), req.url ?? '', Buffer.concat(chunks).toString('utf8')), 'utf8');
          const out = { ...answer.headers, 'content-length': String(body.length) };
          delete out['transfer-encoding'];
          res.writeHead(answer.statusCode ?? 502, out);
          res.end(body);
        });
      });
      forward.on('error', () => res.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
