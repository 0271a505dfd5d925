import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDirectDispatcher, type DirectDispatcher } from '../../src/provider/direct-dispatcher.js';
import { dispatchChat } from '../../src/provider/chat-dispatch.js';

/**
 * The chat path's pool picks a free connection from those that drained last (free-client-pool.ts)
 * rather than undici's scan: it must still open no more than its cap, reuse what is open, queue
 * what finds none free, and never hand a request to a connection that failed.
 */
const HEADERS = ['content-type', 'application/json', 'authorization', 'Bearer sk-test'];

let server: http.Server | undefined;
let direct: DirectDispatcher | undefined;

afterEach(async () => {
  await direct?.close();
  direct = undefined;
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  }
});

/** A server answering `{}` once it has read each request, after `delayMs`; counts the sockets it accepted and the requests in flight. */
async function serve(delayMs: number, port = 0) {
  const seen = { sockets: new Set<Socket>(), inFlight: 0, most: 0, requests: 0 };
  server = http.createServer((req, res) => {
    seen.sockets.add(req.socket);
    seen.requests++;
    seen.most = Math.max(seen.most, ++seen.inFlight);
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        seen.inFlight--;
        res.end('{}');
      }, delayMs),
    );
  });
  await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
  return { seen, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function ask(origin: string): Promise<number> {
  const response = await dispatchChat(
    direct!.dispatcher,
    new URL(`${origin}/v1/chat/completions`),
    HEADERS,
    '{}',
    new AbortController().signal,
    () => new Error('aborted'),
  );
  response.discard();
  return response.status;
}

describe('the chat path connection pool', () => {
  it('opens at most its cap, queues the rest, and reuses what it opened', async () => {
    const { seen, origin } = await serve(20);
    direct = createDirectDispatcher(origin, 3);
    // Ten at once against three connections: seven wait in the pool for one to drain.
    expect(await Promise.all(Array.from({ length: 10 }, () => ask(origin)))).toEqual(Array(10).fill(200));
    expect(seen.sockets.size).toBe(3);
    expect(seen.most).toBe(3);
    // One at a time, then a few at once: the same connections serve them.
    for (let i = 0; i < 5; i++) expect(await ask(origin)).toBe(200);
    expect(await Promise.all([ask(origin), ask(origin)])).toEqual([200, 200]);
    expect(seen.sockets.size).toBe(3);
    expect(seen.requests).toBe(17);
  });

  it('drops a connection that failed to open and opens another once the server is back', async () => {
    const { origin } = await serve(0);
    const port = Number(new URL(origin).port);
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    direct = createDirectDispatcher(origin, 1);
    await expect(ask(origin)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const back = await serve(0, port);
    expect(await ask(origin)).toBe(200);
    expect(await ask(origin)).toBe(200);
    expect(back.seen.sockets.size).toBe(1);
  });
});
