import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFetch } from '../../src/provider/http-fetch.js';
import { TooManyRedirects } from '../../src/provider/too-many-redirects.js';
import { classifyError } from '../../src/provider/classify-error.js';
import { startMockServer, type MockServer } from '../helpers/mock-server.js';

const KEY = 'sk-http-fetch-test';
let server: MockServer;

beforeAll(async () => {
  server = await startMockServer({ apiKey: KEY, stallMs: 5_000 });
});
afterAll(() => server.close());

function chat(prompt: string, stream: boolean): RequestInit {
  return {
    method: 'POST',
    headers: new Headers({ authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }),
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: prompt }], stream }),
  };
}

async function text(body: ReadableStream<Uint8Array> | null): Promise<string> {
  let out = '';
  const decoder = new TextDecoder();
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) out += decoder.decode(chunk, { stream: true });
  return out + decoder.decode();
}

describe('createHttpFetch', () => {
  it('returns the same status, headers and body as the built-in fetch', async () => {
    const ours = await createHttpFetch()(`${server.url}/chat/completions`, chat('same', true));
    const theirs = await fetch(`${server.url}/chat/completions`, chat('same', true));
    expect(ours).toBeInstanceOf(Response);
    expect(ours.status).toBe(200);
    expect(ours.ok).toBe(true);
    expect(ours.headers.get('content-type')).toBe(theirs.headers.get('content-type'));
    const a = (await text(ours.body)).replace(/"(id|created)":("[^"]*"|\d+)/g, '');
    const b = (await text(theirs.body)).replace(/"(id|created)":("[^"]*"|\d+)/g, '');
    expect(a).toBe(b);
    expect(a).toContain('data: [DONE]');
  });

  it('sends the method, headers and body (the server checks the key and reads the prompt)', async () => {
    const res = await createHttpFetch()(`${server.url}/chat/completions`, chat('echo me', false));
    const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]!.message.content).toBe('ECHO echo me');
    expect(server.requests.at(-1)!.authorization).toBe(`Bearer ${KEY}`);
  });

  it('gives error statuses as responses with a readable body, not as rejections', async () => {
    const init = chat('x', false);
    (init.headers as Headers).set('authorization', 'Bearer wrong');
    const res = await createHttpFetch()(`${server.url}/chat/completions`, init);
    expect(res.status).toBe(401);
    expect(res.ok).toBe(false);
    expect(await res.text()).toContain('invalid_api_key');
  });

  it('rejects a reset connection like the built-in fetch (TypeError with the socket error as cause)', async () => {
    const err = await createHttpFetch()(`${server.url}/chat/completions`, chat('[[fault:reset]]', false)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(classifyError(err).type).toBe('connection');
  });

  it('rejects with the signal reason when aborted before the response', async () => {
    const controller = new AbortController();
    const pending = createHttpFetch()(`${server.url}/chat/completions`, { ...chat('[[fault:hang]]', false), signal: controller.signal });
    const reason = new Error('deadline');
    setTimeout(() => controller.abort(reason), 50);
    await expect(pending).rejects.toBe(reason);
  });

  it('errors the body with the signal reason when aborted mid-stream', async () => {
    const controller = new AbortController();
    const res = await createHttpFetch()(`${server.url}/chat/completions`, { ...chat('[[fault:stall]]', true), signal: controller.signal });
    expect(res.status).toBe(200);
    const reason = new Error('idle');
    const reading = text(res.body);
    setTimeout(() => controller.abort(reason), 50);
    await expect(reading).rejects.toBe(reason);
  });

  it('rejects at once when the signal is already aborted, sending nothing', async () => {
    const before = server.requests.length;
    const reason = new Error('already');
    await expect(createHttpFetch()(`${server.url}/chat/completions`, { ...chat('y', false), signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(server.requests.length).toBe(before);
  });

  it('errors the body when the server cuts the stream off', async () => {
    const res = await createHttpFetch()(`${server.url}/chat/completions`, chat('[[fault:cut]]', true));
    // A cut that ends the response cleanly just ends the body early; the provider notices the
    // missing finish_reason. Either way no [DONE] arrives.
    const out = await text(res.body).catch(() => '');
    expect(out).not.toContain('[DONE]');
  });

  it('leaves other schemes and body types to the fallback fetch', async () => {
    const seen: string[] = [];
    const fallback = (async (input: string | URL | Request) => {
      seen.push(String(input));
      return new Response('fallback');
    }) as typeof fetch;
    const f = createHttpFetch(fallback);
    expect(await (await f('data:,hello')).text()).toBe('fallback');
    expect(await (await f(`${server.url}/chat/completions`, { method: 'POST', body: new FormData() })).text()).toBe('fallback');
    expect(seen).toHaveLength(2);
  });
});

/** A server that answers `/old` with `status` → `location(server)` and echoes what reached `/new`. */
async function redirector(status: number, location: (base: string) => string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/old') {
        res.writeHead(status, { location: location(base) });
        res.end('moved');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, path: req.url, body, authorization: req.headers.authorization ?? null }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: base, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('createHttpFetch redirects', () => {
  const post = { method: 'POST', headers: { authorization: 'Bearer sk-redirect', 'content-type': 'application/json' }, body: '{"x":1}' };

  it('follows 307/308 with the same method, body and key on the same origin', async () => {
    for (const status of [307, 308]) {
      const a = await redirector(status, (base) => `${base}/new`);
      try {
        const res = await createHttpFetch()(`${a.url}/old`, post);
        expect(await res.json()).toEqual({ method: 'POST', path: '/new', body: '{"x":1}', authorization: 'Bearer sk-redirect' });
      } finally {
        await a.close();
      }
    }
  });

  it('drops the key when a redirect leaves the origin', async () => {
    const target = await redirector(200, () => '');
    const a = await redirector(308, () => `${target.url}/new`);
    try {
      const res = await createHttpFetch()(`${a.url}/old`, post);
      expect(await res.json()).toMatchObject({ method: 'POST', body: '{"x":1}', authorization: null });
    } finally {
      await a.close();
      await target.close();
    }
  });

  it('returns 301/302/303 as they are (following would turn the POST into a GET)', async () => {
    const a = await redirector(301, (base) => `${base}/new`);
    try {
      const res = await createHttpFetch()(`${a.url}/old`, post);
      expect(res.status).toBe(301);
    } finally {
      await a.close();
    }
  });

  it('gives up on a redirect loop after a few hops, with the last redirect as the response', async () => {
    const loop = await redirector(308, (base) => `${base}/old`);
    try {
      expect((await createHttpFetch()(`${loop.url}/old`, post)).status).toBe(308);
    } finally {
      await loop.close();
    }
  });

  it('with failRedirectLoops, fails a redirect loop with TooManyRedirects naming the last URL', async () => {
    const loop = await redirector(307, (base) => `${base}/old`);
    try {
      const failed = createHttpFetch(globalThis.fetch, { failRedirectLoops: true })(`${loop.url}/old`, post);
      await expect(failed).rejects.toBeInstanceOf(TooManyRedirects);
      await expect(failed).rejects.toThrow(`HTTP 307: too many redirects: followed 5, and ${loop.url}/old redirected again`);
    } finally {
      await loop.close();
    }
  });
});

describe('createHttpFetch: a streamed request body (Batch API uploads)', () => {
  it('is piped as it is read, never through the built-in fetch, and arrives whole; a 307 is not followed', async () => {
    const received: Buffer[] = [];
    let redirect = false;
    const local = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(Buffer.concat(chunks));
        if (redirect) res.writeHead(307, { location: '/elsewhere' }).end();
        else res.writeHead(200, { 'content-type': 'text/plain' }).end(`got ${Buffer.concat(chunks).length}`);
      });
    });
    await new Promise<void>((r) => local.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(local.address() as AddressInfo).port}/upload`;
    const piece = new Uint8Array(64 * 1024).fill(120);
    const body = () => {
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 32) controller.enqueue(piece);
          else controller.close();
        },
      });
    };
    let fallbackCalls = 0;
    const ours = createHttpFetch(async (...args) => {
      fallbackCalls++;
      return fetch(...args);
    });
    try {
      const res = await ours(url, { method: 'POST', body: body(), duplex: 'half' } as RequestInit);
      expect(await res.text()).toBe(`got ${32 * 64 * 1024}`);
      expect(received[0]!.length).toBe(32 * 64 * 1024);
      redirect = true;
      const moved = await ours(url, { method: 'POST', body: body(), duplex: 'half' } as RequestInit);
      expect(moved.status).toBe(307);
      expect(received).toHaveLength(2);
      expect(fallbackCalls).toBe(0);
    } finally {
      await new Promise((r) => local.close(r));
    }
  });
});
