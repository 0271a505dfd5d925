import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDirectDispatcher, type DirectDispatcher } from '../../src/provider/direct-dispatcher.js';
import { dispatchChat } from '../../src/provider/chat-dispatch.js';
import { UnsendableHeaderError, unsendableAt, unsendableHeader } from '../../src/provider/sendable-headers.js';

/**
 * A request undici refuses before sending (a header value it cannot write) used to cost its pool a
 * connection for good: after `connections` such refusals every later request waited forever.
 */
let origin: string;
let seen = 0;

/** A server on 127.0.0.1 for the suite it is called in, answering `{}` once it has read each request; its origin. */
function serve(headersFor: (req: http.IncomingMessage, res: http.ServerResponse) => void = () => {}): () => string {
  let server: http.Server;
  let at = '';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      headersFor(req, res);
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    at = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return () => at;
}

const served = serve(() => seen++);
beforeAll(() => {
  origin = served();
});

const GOOD = ['content-type', 'application/json', 'authorization', 'Bearer sk-test'];
const SMART_QUOTES = ['content-type', 'application/json', 'openai-organization', '\u201corg-1\u201d'];

/** Settles within `ms` or says it did not (the old code never settled). */
function within<T>(p: Promise<T>, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const send = (direct: DirectDispatcher, headers: string[]) =>
  dispatchChat(direct.dispatcher, new URL(`${origin}/v1/chat/completions`), headers, '{}', new AbortController().signal, () => new Error('aborted'));

describe('dispatchChat: headers undici would refuse', () => {
  it('fails them without costing the pool a connection: later requests still go', async () => {
    const direct = createDirectDispatcher(origin, 2);
    try {
      const before = seen;
      // More refusals than connections: each one used to leave a connection waiting for a 'drain'.
      for (let i = 0; i < 3; i++) {
        const err = await within(send(direct, SMART_QUOTES)).catch((e: unknown) => e);
        // (undici's own refusal said "invalid openai-organization header" too.)
        expect((err as Error).message).toMatch(/openai-organization header/);
        expect((err as Error).message).not.toMatch(/org-1/);
      }
      const response = await within(send(direct, GOOD));
      expect(response.status).toBe(200);
      response.discard();
      // Twice in a row (the list found sendable is remembered) and again after a refusal.
      (await within(send(direct, GOOD))).discard();
      await expect(within(send(direct, SMART_QUOTES))).rejects.toBeInstanceOf(UnsendableHeaderError);
      // Refused before undici: nothing of it reached the server, and no request was left waiting.
      (await within(send(direct, GOOD))).discard();
      expect(seen - before).toBe(3);
    } finally {
      await direct.close();
    }
  });

  it('hands the refusal to `failed`, as any failure before the response', async () => {
    const direct = createDirectDispatcher(origin, 1);
    try {
      const url = new URL(`${origin}/v1/chat/completions`);
      const failed = (err: unknown) => new Error(`wrapped: ${(err as { code?: string }).code}`);
      const refused = dispatchChat(direct.dispatcher, url, SMART_QUOTES, '{}', new AbortController().signal, () => new Error('aborted'), failed);
      await expect(within(refused)).rejects.toThrow('wrapped: ERR_INVALID_CHAR');
    } finally {
      await direct.close();
    }
  });
});

describe('unsendableHeader', () => {
  it.each([
    ['a smart quote', ['openai-organization', '\u201cSECRET\u201d'], /invalid character in the openai-organization header/],
    ['a line break', ['openai-project', 'SECRET\n'], /invalid character in the openai-project header/],
    ['a NUL', ['authorization', 'Bearer SECRET\u0000'], /invalid character in the authorization header/],
    ['a DEL', ['authorization', 'Bearer SECRET\u007f'], /invalid character in the authorization header/],
    ['a name with a space', ['x y', 'v'], /header name "x y" cannot be sent/],
    ['a name undici writes itself', ['Content-Length', '2'], /header name "Content-Length" cannot be sent/],
    ['a name undici refuses', ['transfer-encoding', 'chunked'], /header name "transfer-encoding" cannot be sent/],
  ])('refuses %s, never showing the value', (_, list, message) => {
    const err = unsendableHeader(['accept', 'application/json', ...list]);
    expect(err?.message).toMatch(message);
    expect(err?.message).not.toMatch(/SECRET|chunked/);
  });

  it('lets through what undici sends: visible ASCII, spaces, tabs and Latin-1', () => {
    expect(unsendableHeader(['authorization', 'Bearer sk-abc', 'user-agent', 'OpenAI/JS 4.0\tx', 'openai-organization', 'org-\u00e9'])).toBeUndefined();
    expect(unsendableHeader([])).toBeUndefined();
  });

  it.each([
    ['org-1', -1],
    ['\u201corg', 0],
    ['org\r\n', 3],
    ['\u00ff', -1],
    ['\u0100', 0],
  ])('unsendableAt(%j) is %i', (value, at) => {
    expect(unsendableAt(value)).toBe(at);
  });
});

describe("dispatchChat: a response's headers", () => {
  const named = serve((req, res) => {
    // Names as servers write them: OpenAI's in lower case, others capitalized.
    if (req.url?.endsWith('/limits')) res.setHeader('X-RateLimit-Limit-Requests', '60');
    res.setHeader('x-r', 'short');
  });

  it('say whether any name starts with a prefix, in any case, as `get` finds them', async () => {
    const at = named();
    const direct = createDirectDispatcher(at, 1);
    try {
      const ask = (path: string) =>
        within(dispatchChat(direct.dispatcher, new URL(`${at}/v1${path}`), GOOD, '{}', new AbortController().signal, () => new Error('aborted')));
      const limits = await ask('/limits');
      expect(limits.headers.hasPrefix?.('x-ratelimit-')).toBe(true);
      expect(limits.headers.get('x-ratelimit-limit-requests')).toBe('60');
      limits.discard();
      const none = await ask('/none');
      // `x-r` is shorter than the prefix: no match, and no read past its end.
      expect(none.headers.hasPrefix?.('x-ratelimit-')).toBe(false);
      expect(none.headers.hasPrefix?.('x-r')).toBe(true);
      expect(none.headers.get('x-ratelimit-limit-requests')).toBeNull();
      none.discard();
    } finally {
      await direct.close();
    }
  });
});
