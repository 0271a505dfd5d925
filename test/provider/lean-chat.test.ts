import fs from 'node:fs';
import http from 'node:http';
import zlib from 'node:zlib';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSdkComplete } from '../../src/provider/sdk-complete.js';
import { createHttpFetch } from '../../src/provider/http-fetch.js';
import { withDeadlines } from '../../src/engine/deadlines.js';
import { createRedactor } from '../../src/redact.js';
import { AttemptError, type Complete } from '../../src/provider/completion.js';
import { MAX_EVENT_CHARS } from '../../src/provider/lean-chat.js';
import { FAULT_KIND_LIST, startMockServer, type MockServer } from '../helpers/mock-server.js';
import { startProxyServer, type ProxyServer } from '../helpers/proxy-server.js';

/**
 * The lean chat transport against the SDK path it replaced (`createHttpFetch` under the SDK), on
 * the same mock: the same rows, the same error types, messages, statuses, codes, stops and
 * rate-limit headers, for every fault the mock injects.
 */
const KEY = 'sk-lean-chat-test-0123456789';
const TLS_DIR = path.join(import.meta.dirname, '..', 'helpers', 'tls');
let mock: MockServer;
let tlsMock: MockServer;
let proxy: ProxyServer;
let refusingProxy: ProxyServer;
let authProxy: ProxyServer;
let redirector: http.Server;
let redirectorUrl: string;

beforeAll(async () => {
  mock = await startMockServer({ apiKey: KEY, stallMs: 150, rateLimit: { requests: 1000, headers: true } });
  tlsMock = await startMockServer({
    apiKey: KEY,
    tls: { key: fs.readFileSync(path.join(TLS_DIR, 'key.pem')), cert: fs.readFileSync(path.join(TLS_DIR, 'cert.pem')) },
  });
  proxy = await startProxyServer();
  refusingProxy = await startProxyServer({ refuseConnect: 403 });
  authProxy = await startProxyServer({ credentials: 'me:secret' });
  // /v1/307/chat/completions → the mock (a 307 keeps the POST); /v1/302/… answers a bare 302;
  // /v1/cross/… sends it to the mock under another origin (localhost), which must not get the key.
  redirector = http.createServer((req, res) => {
    req.resume();
    const to = (base: string) => `${base}/chat/completions`;
    if (req.url?.startsWith('/v1/307/')) res.writeHead(307, { location: to(mock.url) });
    else if (req.url?.startsWith('/v1/cross/')) res.writeHead(308, { location: to(mock.url.replace('127.0.0.1', 'localhost')) });
    else if (req.url?.startsWith('/v1/loop/')) res.writeHead(307, { location: `${req.url.replace(/\?.*/, '')}?token=sk-from-the-server` });
    else res.writeHead(302, { location: to(mock.url) });
    res.end();
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await Promise.all([mock.close(), tlsMock.close(), proxy.close(), refusingProxy.close(), authProxy.close()]);
  redirector.closeAllConnections();
  await new Promise((resolve) => redirector.close(resolve));
});

interface Pair {
  sdk: Complete;
  lean: Complete;
}

function pair(baseURL: string, proxyUrl?: string, apiKey = KEY, ids: { organization?: string; project?: string } = {}): Pair {
  const options = { apiKey, baseURL, proxyFor: proxyUrl ? () => proxyUrl : undefined, redact: createRedactor([apiKey]), ...ids };
  return {
    sdk: createSdkComplete({ ...options, fetch: createHttpFetch(globalThis.fetch, { proxyFor: options.proxyFor, failRedirectLoops: true }) }),
    lean: createSdkComplete(options),
  };
}

/**
 * What a row and the scheduler see of an attempt: its result, or its error with the headers it read.
 * The idle timeout is long enough for a first call on a loaded machine (a 2 s one timed out the SDK
 * path's first request once in a full run); the fault cases that hang pass FAULT_IDLE_MS.
 */
async function outcome(complete: Complete, prompt: string, stream: boolean, idleMs = 15_000): Promise<unknown> {
  const deltas: string[] = [];
  try {
    // As the engine calls it: the lean path hears of an abort through `aborts`, not a listener.
    const r = await withDeadlines(
      (signal, onActivity, aborts) =>
        complete({ model: 'm', messages: [{ role: 'user', content: prompt }], stream }, { signal, onActivity, onDelta: (d) => deltas.push(d), aborts }),
      { idleTimeoutMs: idleMs },
    );
    return {
      text: r.text,
      finishReason: r.finishReason,
      usage: r.usage,
      model: r.model,
      deltas: deltas.join(''),
      refusal: r.refusal,
      limit: r.headers?.get('x-ratelimit-limit-requests'),
    };
  } catch (err) {
    if (!(err instanceof AttemptError)) return { thrown: String(err) };
    const h = err.info.headers;
    return {
      type: err.type,
      message: err.message,
      status: err.info.status,
      code: err.info.code,
      stop: err.info.stop,
      retryAfter: h?.get('retry-after'),
      retryAfterMs: h?.get('Retry-After-Ms'),
      limit: h?.get('x-ratelimit-remaining-requests') !== null && h?.get('x-ratelimit-remaining-requests') !== undefined,
    };
  }
}

async function same(p: Pair, prompt: string, stream: boolean, idleMs?: number): Promise<unknown> {
  const sdk = await outcome(p.sdk, prompt, stream, idleMs);
  const lean = await outcome(p.lean, prompt, stream, idleMs);
  expect(lean).toEqual(sdk);
  return lean;
}

/** The idle timeout that ends the fault cases that hang or stall. */
const FAULT_IDLE_MS = 2000;

/** Every fault the mock can inject: a new one is compared on both paths without a word here. */
const FAULTS = FAULT_KIND_LIST;

const ODD_BODIES: Record<string, { status: number; type: string; body: string }> = {
  vllm: {
    status: 400,
    type: 'application/json',
    body: '{"object":"error","message":"This model\'s maximum context length is 4096 tokens.","type":"BadRequestError","code":400}',
  },
  express: { status: 400, type: 'application/json', body: '{"error":"SyntaxError","message":"Unexpected token } in JSON"}' },
  page: {
    status: 502,
    type: 'text/html',
    body: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>',
  },
  text: { status: 500, type: 'text/plain', body: 'upstream connect error or disconnect/reset before headers' },
  empty: { status: 503, type: 'text/plain', body: '' },
  ollama: { status: 404, type: 'application/json', body: '{"error":"model \'llama9\' not found"}' },
  gemini: {
    status: 429,
    type: 'application/json',
    body: '[{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}]',
  },
};

/** What each odd body's row says, where it says more than its status. */
const ODD_WORDS: Record<string, object> = {
  // Not "HTTP 429: no body": the first error of Google's list.
  gemini: { type: 'rate_limit', message: 'HTTP 429: Resource has been exhausted (e.g. check quota).', code: 'RESOURCE_EXHAUSTED' },
};

describe('lean chat transport: error bodies in other shapes, as the SDK path reads them', () => {
  it.each(Object.keys(ODD_BODIES))('%s', async (kind) => {
    const odd = http.createServer((req, res) => {
      req.resume();
      const b = ODD_BODIES[kind]!;
      res.writeHead(b.status, { 'content-type': b.type }).end(b.body);
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    try {
      const p = pair(`http://127.0.0.1:${(odd.address() as AddressInfo).port}/v1`);
      expect(await same(p, 'odd', true)).toMatchObject({ status: ODD_BODIES[kind]!.status, ...ODD_WORDS[kind] });
      expect(await same(p, 'odd', false)).toMatchObject({ status: ODD_BODIES[kind]!.status, ...ODD_WORDS[kind] });
    } finally {
      odd.closeAllConnections();
      await new Promise((resolve) => odd.close(resolve));
    }
  });
});

/**
 * A 200 to a streamed request that is not a stream: judged by its body as without streaming, on
 * both paths; only a whole chat completion is `not_streamed` (the one --no-stream mends).
 */
const NOT_STREAMS: Record<string, { type: string; body: string; expected: Record<string, unknown> }> = {
  'error body': {
    type: 'application/json',
    body: '{"error":{"message":"The server had an error processing your request.","type":"server_error"}}',
    expected: { type: 'bad_response', code: 'error_response', message: 'server error in body: The server had an error processing your request.' },
  },
  'empty body': { type: 'application/json', body: '', expected: { type: 'bad_response', code: 'empty_response' } },
  'unparsable JSON': {
    type: 'application/json',
    body: '{"id": not json',
    expected: { type: 'bad_response', code: undefined, message: expect.stringMatching(/^unparsable response body/) },
  },
  'whole answer': {
    type: 'application/json; charset=utf-8',
    body: '{"object":"chat.completion","model":"m","choices":[{"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}',
    expected: { type: 'bad_response', code: 'not_streamed' },
  },
  'page as JSON': { type: 'application/json', body: '<html><title>Login</title></html>', expected: { type: 'bad_response', code: 'html_response' } },
  'long JSON': { type: 'application/json', body: `{"pad":"${'x'.repeat(300_000)}"}`, expected: { type: 'bad_response', code: 'not_streamed' } },
  // Labelled an event stream, with no event in it: judged as the same body would be, unless SSE.
  'error body as an event stream': {
    type: 'text/event-stream',
    body: '{"error":{"message":"model overloaded","type":"server_error"}}\n',
    expected: { type: 'bad_response', code: 'error_response', message: 'server error in body: model overloaded' },
  },
  'empty event stream': { type: 'text/event-stream', body: '', expected: { type: 'bad_response', code: 'empty_response' } },
  'only comments': {
    type: 'text/event-stream',
    body: ': ping\n\n: ping\n\n',
    expected: { type: 'connection', message: 'stream ended before the answer finished' },
  },
  'an event cut short': {
    type: 'text/event-stream',
    body: 'data: {"choices":[{"delta":{"content":"hel',
    expected: { type: 'connection', message: 'stream ended before the answer finished' },
  },
};

describe('lean chat transport: a 200 that is not a stream, judged by its body on both paths', () => {
  it.each(Object.keys(NOT_STREAMS))('%s', async (kind) => {
    const odd = http.createServer((req, res) => {
      req.resume();
      const b = NOT_STREAMS[kind]!;
      res.writeHead(200, { 'content-type': b.type }).end(b.body);
    });
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    try {
      const p = pair(`http://127.0.0.1:${(odd.address() as AddressInfo).port}/v1`);
      expect(await same(p, 'odd', true)).toMatchObject(NOT_STREAMS[kind]!.expected);
    } finally {
      odd.closeAllConnections();
      await new Promise((resolve) => odd.close(resolve));
    }
  });
});

/** A server on 127.0.0.1 that answers with `handler`, for `run` to ask at its /v1, then closed. */
async function withServer(handler: http.RequestListener, run: (baseURL: string) => Promise<void>): Promise<void> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** A server that answers every request 200 with `body` of `type`, for `run` to ask, then closed. */
function answering(type: string, body: string, run: (baseURL: string) => Promise<void>): Promise<void> {
  return withServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': type }).end(body);
  }, run);
}

const event = (choices: object[]) => `data: ${JSON.stringify({ model: 'm', choices })}\n\n`;
const HELLO = event([{ index: 0, delta: { role: 'assistant', content: 'hello' }, finish_reason: null }]);

/**
 * A stream with no finish_reason: whole once its `[DONE]` came (some servers never send the
 * reason), kept with finish_reason null as the same answer without streaming is; cut short without
 * it. Both paths; a body not labelled an event stream too (the SDK path reads it from a copy).
 */
const NO_FINISH: Record<string, { type: string; body: string; expected: Record<string, unknown> }> = {
  '[DONE]': { type: 'text/event-stream', body: `${HELLO}data: [DONE]\n\n`, expected: { text: 'hello', deltas: 'hello', finishReason: null } },
  '[DONE], not labelled': { type: 'text/plain', body: `${HELLO}data: [DONE]\n\n`, expected: { text: 'hello', finishReason: null } },
  'no [DONE]': { type: 'text/event-stream', body: HELLO, expected: { type: 'connection', message: 'stream ended before the answer finished' } },
  'only [DONE]': { type: 'text/event-stream', body: 'data: [DONE]\n\n', expected: { type: 'bad_response', message: 'response has no choices' } },
  'no choice, then [DONE]': {
    type: 'text/event-stream',
    body: `${event([])}data: [DONE]\n\n`,
    expected: { type: 'bad_response', message: 'response has no choices' },
  },
};

describe('lean chat transport: a stream with no finish_reason, on both paths', () => {
  it.each(Object.keys(NO_FINISH))('%s', async (kind) => {
    const { type, body, expected } = NO_FINISH[kind]!;
    await answering(type, body, async (baseURL) => {
      expect(await same(pair(baseURL), 'no finish', true)).toMatchObject(expected);
    });
  });
});

const STOPPED = event([{ index: 0, delta: {}, finish_reason: 'stop' }]);
const CUDA = { message: 'CUDA error: an illegal memory access was encountered', type: 'InternalServerError', param: null, code: 500 };

/**
 * An event that fails the answer, then `[DONE]` (vLLM sends an error event so): the attempt fails
 * on both paths, `[DONE]` after it notwithstanding; after a finish_reason the answer is kept.
 */
const FAILED_EVENTS: Record<string, { body: string; expected: Record<string, unknown> }> = {
  'an error event': {
    body: `${HELLO}data: ${JSON.stringify({ error: CUDA })}\n\ndata: [DONE]\n\n`,
    expected: { type: 'http', status: 500, message: `error in stream: ${CUDA.message}` },
  },
  'an error event with no message': {
    body: `data: {"error":{"code":500}}\n\ndata: [DONE]\n\n`,
    expected: { type: 'http', message: 'error in stream: {"code":500}' },
  },
  'an event of plain words': {
    body: `${HELLO}data: Internal Server Error: CUDA out of memory\n\n`,
    expected: { type: 'bad_response', message: 'the server sent an event that is not JSON: Internal Server Error: CUDA out of memory' },
  },
  'an event of words that start with a status': {
    body: `${HELLO}data: 503 Service Unavailable: upstream connect error\n\n`,
    expected: { type: 'bad_response', message: 'the server sent an event that is not JSON: 503 Service Unavailable: upstream connect error' },
  },
  'a named error event of words': {
    body: `${HELLO}event: error\ndata: upstream timed out\n\n`,
    expected: { type: 'http', message: 'error in stream: upstream timed out' },
  },
  'a named error event without an error key': {
    body: `${HELLO}event: error\ndata: {"message":"overloaded","code":503}\n\n`,
    expected: { type: 'http', status: 503, message: 'error in stream: overloaded' },
  },
  'an unparsable event': {
    body: `${HELLO}data: {"choices": nope\n\ndata: [DONE]\n\n`,
    expected: { type: 'bad_response', message: expect.stringMatching(/^unparsable response body/) },
  },
  'an error event after the finish_reason': {
    body: `${HELLO}${STOPPED}data: ${JSON.stringify({ error: CUDA })}\n\ndata: [DONE]\n\n`,
    expected: { text: 'hello', finishReason: 'stop' },
  },
};

describe('lean chat transport: an event that fails the answer, then [DONE], on both paths', () => {
  it.each(Object.keys(FAILED_EVENTS))('%s', async (kind) => {
    const { body, expected } = FAILED_EVENTS[kind]!;
    await answering('text/event-stream', body, async (baseURL) => {
      expect(await same(pair(baseURL), 'failed event', true)).toMatchObject(expected);
    });
  });
});

describe('lean chat transport: a 200 whose body is an error in words alone, on both paths', () => {
  it.each([true, false])('stream %s: LM Studio on a path it does not serve', async (stream) => {
    await answering('application/json; charset=utf-8', '{"error":"Unexpected endpoint or method. (POST /chat/completions)"}', async (baseURL) => {
      expect(await same(pair(baseURL), 'lm studio', stream)).toMatchObject({
        type: 'bad_response',
        code: 'error_response',
        message: 'server error in body: Unexpected endpoint or method. (POST /chat/completions)',
      });
    });
  });
});

const STREAMED_ANYWAY = { type: 'bad_response', code: 'streamed_anyway', message: expect.stringMatching(/drop --no-stream/) };

/**
 * An event stream to a request without streaming (a server that always streams): its own code on
 * both paths, whatever its content-type, as a whole answer to a streamed one is `not_streamed`; a
 * JSON error labelled text/event-stream is still that error.
 */
const STREAMS_UNASKED: Record<string, { type: string; body: string; expected: Record<string, unknown> }> = {
  'an event stream': { type: 'text/event-stream', body: `${HELLO}${STOPPED}data: [DONE]\n\n`, expected: STREAMED_ANYWAY },
  'labelled JSON': { type: 'application/json', body: `${HELLO}${STOPPED}data: [DONE]\n\n`, expected: STREAMED_ANYWAY },
  'a comment first': { type: 'text/event-stream', body: `: ping\n\n${HELLO}`, expected: STREAMED_ANYWAY },
  'a named event': { type: 'text/event-stream', body: `event: message\n${HELLO}`, expected: STREAMED_ANYWAY },
  'a JSON error labelled an event stream': {
    type: 'text/event-stream',
    body: '{"error":{"message":"model overloaded"}}',
    expected: { type: 'bad_response', code: 'error_response', message: 'server error in body: model overloaded' },
  },
};

describe('lean chat transport: a stream to a request without streaming, on both paths', () => {
  it.each(Object.keys(STREAMS_UNASKED))('%s', async (kind) => {
    const { type, body, expected } = STREAMS_UNASKED[kind]!;
    await answering(type, body, async (baseURL) => {
      expect(await same(pair(baseURL), 'streamed anyway', false)).toMatchObject(expected);
    });
  });
});

describe('lean chat transport: a 200 whose body is JSON null, on both paths', () => {
  it.each([true, false])('stream %s', async (stream) => {
    await answering('application/json', 'null', async (baseURL) => {
      expect(await same(pair(baseURL), 'null', stream)).toEqual(expect.objectContaining({ type: 'bad_response', message: 'response has no choices' }));
    });
  });
});

const AZURE_MODEL = 'gpt-4o-mini-2024-07-18';
const WHOLE = JSON.stringify({
  object: 'chat.completion',
  model: AZURE_MODEL,
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
});
/** Azure's first streamed chunk: no choices, its prompt's filter results, and every name empty. */
const AZURE_HEAD = `data: ${JSON.stringify({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] })}\n\n`;
const azureEvent = (delta: object, finish: string | null) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: AZURE_MODEL, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

describe('lean chat transport: bodies as some servers shape them, on both paths', () => {
  it('a whole answer after a byte order mark is read as without it', async () => {
    await answering('application/json; charset=utf-8', `\uFEFF${WHOLE}`, async (baseURL) => {
      expect(await same(pair(baseURL), 'bom', false)).toMatchObject({ text: 'hi', finishReason: 'stop', model: AZURE_MODEL });
    });
  });

  it('a stream whose first chunk has model "" (Azure) is named by the next chunk\'s model', async () => {
    const body = `${AZURE_HEAD}${azureEvent({ role: 'assistant', content: 'hi' }, null)}${azureEvent({}, 'stop')}data: [DONE]\n\n`;
    await answering('text/event-stream', body, async (baseURL) => {
      expect(await same(pair(baseURL), 'azure', true)).toMatchObject({ text: 'hi', finishReason: 'stop', model: AZURE_MODEL });
    });
  });
});

describe('lean chat transport: events with no data, on both paths', () => {
  it('an empty `data:` between two chunks is skipped, not an unparsable body', async () => {
    const body = `${HELLO}data: \n\ndata:\n\ndata:  \r\n\r\n${STOPPED}data: [DONE]\n\n`;
    await answering('text/event-stream', body, async (baseURL) => {
      expect(await same(pair(baseURL), 'empty data', true)).toMatchObject({ text: 'hello', finishReason: 'stop' });
    });
  });
});

/** A server that answers every request with `status` and no body, for `run` to ask, then closed. */
function bodiless(status: number, run: (baseURL: string) => Promise<void>): Promise<void> {
  return withServer((req, res) => {
    req.resume();
    res.writeHead(status).end();
  }, run);
}

describe('lean chat transport: a 204 or 205, on both paths', () => {
  it.each([
    [204, true],
    [204, false],
    [205, true],
    [205, false],
  ])('HTTP %s, stream %s: the empty body, with its status', async (status, stream) => {
    await bodiless(status, async (baseURL) => {
      expect(await same(pair(baseURL), 'no content', stream)).toMatchObject({
        type: 'bad_response',
        code: 'empty_response',
        status,
        message: `the server answered HTTP ${status} with no body`,
      });
    });
  });
});

describe('lean chat transport: a whole answer whose headers come first, on both paths', () => {
  it('headers at once and the body after longer than the idle timeout: answered, not cut', async () => {
    const headersFirst: http.RequestListener = (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      setTimeout(() => res.end(WHOLE), 600);
    };
    await withServer(headersFirst, async (baseURL) => {
      expect(await same(pair(baseURL), 'headers first', false, 200)).toMatchObject({ text: 'hi', finishReason: 'stop' });
    });
  });
});

describe('lean chat transport: an error status whose body never comes', () => {
  // The lean path only: the SDK's fetch reads an error's body before it answers (withReadableErrors),
  // with no word of the headers, and -v waits for it as for a whole answer, as it did before.
  it('a 503 with its headers at once: cut by the idle timeout, not awaited as a whole answer', async () => {
    const stalled: http.RequestListener = (req, res) => {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json' });
      res.flushHeaders();
    };
    await withServer(stalled, async (baseURL) => {
      expect(await outcome(pair(baseURL).lean, 'stalled error', false, 200)).toMatchObject({ type: 'timeout' });
    });
  });
});

describe('lean chat transport: a refusal (structured outputs), as the SDK path reads it', () => {
  it.each([true, false])('stream %s', async (stream) => {
    const refusing = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => {
        if (!(JSON.parse(body) as { stream?: boolean }).stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              model: 'm',
              choices: [{ message: { role: 'assistant', content: null, refusal: "I can't help with that." }, finish_reason: 'stop' }],
            }),
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const event = (delta: object, finish: string | null) => `data: ${JSON.stringify({ model: 'm', choices: [{ delta, finish_reason: finish }] })}\n\n`;
        res.end(
          `${event({ role: 'assistant', refusal: '' }, null)}${event({ refusal: "I can't " }, null)}${event({ refusal: 'help.' }, null)}${event({}, 'stop')}data: [DONE]\n\n`,
        );
      });
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const p = pair(`http://127.0.0.1:${(refusing.address() as AddressInfo).port}/v1`);
      expect(await same(p, 'refuse', stream)).toMatchObject({ refusal: expect.stringContaining("I can't") });
    } finally {
      refusing.closeAllConnections();
      await new Promise((resolve) => refusing.close(resolve));
    }
  });
});

describe('lean chat transport: the same request as the SDK path', () => {
  // Less the SDK's x-stainless-* telemetry: the lean path does not load the SDK's client to ask it.
  const withoutTelemetry = (r: (typeof seen)[number]) => ({
    ...r,
    headers: Object.fromEntries(Object.entries(r.headers).filter(([name]) => !name.startsWith('x-stainless-'))),
  });
  let seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

  it('sends the same method, path, headers and body, organization and project included', async () => {
    seen = [];
    const capture = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"captured"}}');
      });
    });
    await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
    try {
      const p = pair(`http://127.0.0.1:${(capture.address() as AddressInfo).port}/v1`, undefined, KEY, { organization: 'org-lean', project: 'proj-lean' });
      await same(p, 'what is sent', true);
      expect(seen).toHaveLength(2);
      expect(seen[0]!.headers['x-stainless-lang']).toBe('js'); // the SDK's request: the first of the pair
      expect(withoutTelemetry(seen[1]!)).toEqual(withoutTelemetry(seen[0]!));
      expect(seen[1]).toMatchObject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${KEY}`, 'openai-organization': 'org-lean', 'openai-project': 'proj-lean' },
      });
    } finally {
      capture.closeAllConnections();
      await new Promise((resolve) => capture.close(resolve));
    }
  });
});

describe('lean chat transport: response headers, as the SDK path reads them', () => {
  it('in any case, repeated ones joined, absent ones null', async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        // Raw header lines: names in mixed case, one name twice, a name that is a prefix of another.
        res.writeHead(
          200,
          [
            ['Content-Type', 'application/json'],
            ['X-RateLimit-Limit-Requests', '500'],
            ['x-ratelimit-remaining-requests', '499'],
            ['X-Seen', 'a'],
            ['x-seen', 'b'],
            ['X-Seen-Not', 'c'],
          ].flat(),
        );
        res.end(JSON.stringify({ model: 'm', choices: [{ message: { content: 'hi' }, finish_reason: 'stop' }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const p = pair(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`);
      const read = async (complete: Complete) => {
        const r = await withDeadlines(
          (signal, onActivity) => complete({ model: 'm', messages: [{ role: 'user', content: 'h' }], stream: false }, { signal, onActivity }),
          {},
        );
        const names = [
          'content-type',
          'X-RATELIMIT-LIMIT-REQUESTS',
          'x-ratelimit-remaining-requests',
          'x-seen',
          'x-seen-not',
          'x-ratelimit-reset-requests',
          'x-see',
        ];
        return Object.fromEntries(names.map((n) => [n, r.headers?.get(n) ?? null]));
      };
      const sdk = await read(p.sdk);
      const lean = await read(p.lean);
      expect(lean).toEqual(sdk);
      expect(lean).toEqual({
        'content-type': 'application/json',
        'X-RATELIMIT-LIMIT-REQUESTS': '500',
        'x-ratelimit-remaining-requests': '499',
        'x-seen': 'a, b',
        'x-seen-not': 'c',
        'x-ratelimit-reset-requests': null,
        'x-see': null,
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/**
 * A server on a raw socket that answers each request with `parts`, written `gapMs` apart (so that
 * they reach the client in separate reads), then `end` (a string to send, or 'cut' to destroy the socket).
 */
async function rawServer(responses: Array<{ parts: string[]; gapMs?: number; end?: 'cut' }>): Promise<{ url: string; close: () => Promise<void> }> {
  let served = 0;
  const server = net.createServer((socket) => {
    let got = '';
    socket.on('data', async (chunk) => {
      got += chunk.toString('latin1');
      const head = got.indexOf('\r\n\r\n');
      if (head < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(got.slice(0, head))?.[1] ?? 0);
      if (got.length < head + 4 + length) return;
      got = '';
      const { parts, gapMs = 30, end } = responses[served++ % responses.length]!;
      for (const [i, part] of parts.entries()) {
        if (i > 0) await new Promise((r) => setTimeout(r, gapMs));
        socket.write(part);
      }
      if (end === 'cut') socket.destroy();
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('lean chat transport: responses that arrive in pieces', () => {
  it('headers split across reads, in the middle of a value, read as when they come at once', async () => {
    const body = JSON.stringify({ model: 'm', choices: [{ message: { content: 'hi' }, finish_reason: 'stop' }] });
    const server = await rawServer([
      {
        parts: [
          'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-RateLimit-Limit-Requests: 5',
          `00\r\nx-ratelimit-remaining-requests: 499\r\nX-Seen: a\r\nx-se`,
          `en: b\r\nX-Seen-Not: c\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        ],
      },
    ]);
    try {
      const { lean } = pair(server.url);
      const r = await withDeadlines(
        (signal, onActivity) => lean({ model: 'm', messages: [{ role: 'user', content: 'h' }], stream: false }, { signal, onActivity }),
        {},
      );
      const names = ['content-type', 'X-RATELIMIT-LIMIT-REQUESTS', 'x-ratelimit-remaining-requests', 'x-seen', 'x-seen-not', 'x-see'];
      expect(r.text).toBe('hi');
      expect(Object.fromEntries(names.map((n) => [n, r.headers?.get(n) ?? null]))).toEqual({
        'content-type': 'application/json',
        'X-RATELIMIT-LIMIT-REQUESTS': '500',
        'x-ratelimit-remaining-requests': '499',
        'x-seen': 'a, b',
        'x-seen-not': 'c',
        'x-see': null,
      });
    } finally {
      await server.close();
    }
  });

  it('a stream cut in the middle of an event leaves nothing behind for the next stream', async () => {
    const head = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n';
    const event = (delta: object) => `data: ${JSON.stringify({ model: 'm', choices: [{ delta, finish_reason: null }] })}\n\n`;
    const server = await rawServer([
      // Cut after half an event: its text waits in the SSE parser for the rest of its line.
      { parts: [head, event({ content: 'first ' }), 'data: {"model":"m","choices":[{"delta":{"content":"HALF'], end: 'cut' },
      {
        parts: [
          head,
          `${event({ content: 'whole' })}data: ${JSON.stringify({ model: 'm', choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`,
        ],
        end: 'cut',
      },
    ]);
    try {
      const { lean } = pair(server.url);
      const ask = () =>
        withDeadlines((signal, onActivity) => lean({ model: 'm', messages: [{ role: 'user', content: 'h' }], stream: true }, { signal, onActivity }), {});
      await expect(ask()).rejects.toMatchObject({ type: 'connection' });
      const second = await ask();
      expect(second.text).toBe('whole');
      expect(second.finishReason).toBe('stop');
    } finally {
      await server.close();
    }
  });
});

describe('lean chat transport: events after the usage that followed the finish_reason', () => {
  it('are still read when they come (a late content-filter verdict, a second usage), then `[DONE]`', async () => {
    const head = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n';
    const data = (chunk: object) => `data: ${JSON.stringify({ model: 'm', ...chunk })}\n\n`;
    const server = await rawServer([
      {
        parts: [
          head,
          data({ choices: [{ delta: { content: 'hello' }, finish_reason: null }] }) + data({ choices: [{ delta: {}, finish_reason: 'stop' }] }),
          data({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 0 } }),
          data({ choices: [{ delta: {}, finish_reason: 'content_filter' }] }),
          `${data({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } })}data: [DONE]\n\n`,
        ],
        end: 'cut',
      },
    ]);
    try {
      const { lean } = pair(server.url);
      const r = await withDeadlines(
        (signal, onActivity) => lean({ model: 'm', messages: [{ role: 'user', content: 'h' }], stream: true }, { signal, onActivity }),
        {},
      );
      expect([r.text, r.finishReason, r.usage]).toEqual(['hello', 'content_filter', { prompt_tokens: 3, completion_tokens: 2 }]);
    } finally {
      await server.close();
    }
  });
});

describe('lean chat transport: an event that never ends', () => {
  it(`fails as bad_response past ${MAX_EVENT_CHARS} characters, and the next stream is read whole`, async () => {
    const head = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n';
    const server = await rawServer([
      // No line break after it: held whole, it grew until the heap ran out.
      { parts: [head, 'data: {"model":"m","choices":[{"delta":{"content":"', 'x'.repeat(MAX_EVENT_CHARS + 1)] },
      {
        parts: [head, `data: ${JSON.stringify({ model: 'm', choices: [{ delta: { content: 'whole' }, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`],
        end: 'cut',
      },
    ]);
    try {
      const { lean } = pair(server.url);
      const ask = () =>
        withDeadlines((signal, onActivity) => lean({ model: 'm', messages: [{ role: 'user', content: 'h' }], stream: true }, { signal, onActivity }), {});
      await expect(ask()).rejects.toMatchObject({ type: 'bad_response', info: { code: 'event_too_long' } });
      expect((await ask()).text).toBe('whole');
    } finally {
      await server.close();
    }
  });
});

describe.each([true, false])('lean chat transport, stream %s: the same outcome as the SDK path', (stream) => {
  it('answers', async () => {
    const got = await same(pair(mock.url), 'hello there', stream);
    expect(got).toMatchObject({ text: 'ECHO hello there', finishReason: 'stop', limit: '60000' });
  });

  it.each(FAULTS)('fault %s', async (fault) => {
    // Each side gets the fault on its first attempt only: a prompt of its own per side.
    const p = pair(mock.url);
    const a = await outcome(p.sdk, `sdk ${fault} ${stream} [[fault:${fault}]]`, stream, FAULT_IDLE_MS);
    const b = await outcome(p.lean, `lean ${fault} ${stream} [[fault:${fault}]]`, stream, FAULT_IDLE_MS);
    // A success echoes its prompt, which names its side; a cut body's parse error the place of
    // its cut (position, and column on node 22+), which moves with the length of the mock's
    // completion id (its request count).
    const seen = (o: unknown, side: string) =>
      JSON.parse(
        JSON.stringify(o)
          .replaceAll(side, 'side ')
          .replace(/position \d+/g, 'position N')
          .replace(/column \d+/g, 'column N'),
      );
    expect(seen(b, 'lean ')).toEqual(seen(a, 'sdk '));
    // 'length' is an answer cut at max_tokens, 'modellength' at the model's context, 'filtered' one the content filter stopped; 'finclose' and 'finstall' cut a stream after its
    // finish_reason ('usagestall' after its usage too), 'donestall' and 'donecut' after its `[DONE]` (whole); 'nostream' and 'pingstall'
    // only fail a streamed request, 'alwaysstream' only one that is not. 'quoting400' names stream_options in its 400: a streamed request
    // is sent again without it, and answered. 'gzip' is decoded.
    const answers =
      ['length', 'modellength', 'filtered', 'finclose', 'finstall', 'usagestall', 'usagedrip', 'donestall', 'donecut', 'gzip'].includes(fault) ||
      (!stream && ['nostream', 'pingstall'].includes(fault)) ||
      (stream && fault === 'alwaysstream') ||
      (stream && fault === 'quoting400');
    if (answers) expect(b).toHaveProperty('finishReason');
    else expect(b).toHaveProperty('type');
    expect(JSON.stringify(b)).not.toContain(KEY);
  });

  it('a refused connection', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = http.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    expect(await same(pair(`http://127.0.0.1:${closed}/v1`), 'x', stream)).toMatchObject({ type: 'connection', message: 'connection failed (ECONNREFUSED)' });
  });

  it('a self-signed certificate', async () => {
    expect(await same(pair(tlsMock.url), 'x', stream)).toMatchObject({ type: 'connection' });
  });

  it.each(['307', 'cross', 'loop', '302'])('redirect %s', async (kind) => {
    await same(pair(`${redirectorUrl}/${kind}`), `redirect ${kind}`, stream);
  });

  it('a redirect loop: too many redirects, where the last went (no query), not "HTTP 307: no body"', async () => {
    const got = await same(pair(`${redirectorUrl}/loop`), 'loop', stream);
    expect(got).toEqual(
      expect.objectContaining({
        type: 'http',
        status: 307,
        message: `HTTP 307: too many redirects: followed 5, and ${redirectorUrl}/loop/chat/completions redirected again (a redirect loop? check --base-url)`,
      }),
    );
    // The SDK path as -v / --trace set it up (its own fetch, not the test's): the same.
    const traced = createSdkComplete({ apiKey: KEY, baseURL: `${redirectorUrl}/loop`, trace: () => {} });
    expect(await outcome(traced, 'loop', stream)).toEqual(got);
  });

  it('through a proxy, and its refusals', async () => {
    expect(await same(pair(mock.url, proxy.url), 'proxied', stream)).toMatchObject({ text: 'ECHO proxied' });
    expect(await same(pair(tlsMock.url, refusingProxy.url), 'refused', stream)).toMatchObject({ stop: 'proxy' });
    expect(await same(pair(mock.url, authProxy.url), 'no credentials', stream)).toMatchObject({ status: 407, stop: 'proxy' });
  });
});

describe.each([true, false])('usage with cached prompt tokens (stream %s)', (stream) => {
  it('keeps cached_tokens, as the SDK path did (they are priced lower)', async () => {
    const usage = { prompt_tokens: 1000, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 600 } };
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (!stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ model: 'm', choices: [{ message: { content: 'hi' }, finish_reason: 'stop' }], usage }));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify({ model: 'm', choices: [{ delta: { content: 'hi' }, finish_reason: 'stop' }] })}\n\n`);
        res.write(`data: ${JSON.stringify({ model: 'm', choices: [], usage })}\n\n`);
        res.end('data: [DONE]\n\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const got = await same(pair(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`), 'cached', stream);
      expect(got).toMatchObject({ text: 'hi', usage: { prompt_tokens: 1000, completion_tokens: 5, cached_tokens: 600 } });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** A compressor for `coding`, as a gateway that compresses unasked would use (`deflate-raw`: deflate without zlib's wrapping). */
function compressor(coding: string): zlib.Gzip | zlib.Deflate | zlib.DeflateRaw | zlib.BrotliCompress {
  if (coding === 'deflate-raw') return zlib.createDeflateRaw();
  return coding === 'gzip' ? zlib.createGzip() : coding === 'deflate' ? zlib.createDeflate() : zlib.createBrotliCompress();
}

/** A server that answers with `coding`, flushing after each event, or the body's bytes given; `label` is the header's. */
function compressing(coding: string, raw?: Buffer, label = coding): http.RequestListener {
  return (req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      const stream = JSON.parse(body).stream === true;
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json', 'content-encoding': label });
      if (raw) return void res.end(raw);
      const z = compressor(coding);
      z.pipe(res);
      const pieces = stream
        ? [HELLO, event([{ index: 0, delta: { content: ' wörld' }, finish_reason: 'stop' }]), 'data: [DONE]\n\n']
        : [JSON.stringify({ model: 'm', choices: [{ message: { content: 'hello wörld' }, finish_reason: 'stop' }] })];
      for (const piece of pieces) {
        z.write(piece);
        await new Promise<void>((resolve) => z.flush(() => resolve()));
      }
      z.end();
    });
  };
}

describe.each(['gzip', 'deflate', 'br'])('a body sent with content-encoding %s, unasked', (coding) => {
  it.each([true, false])('is decoded on both transports, direct and through a proxy (stream %s)', async (stream) => {
    await withServer(compressing(coding), async (url) => {
      for (const via of [undefined, proxy.url]) {
        expect(await same(pair(url, via), 'zipped', stream)).toMatchObject({ text: 'hello wörld', deltas: 'hello wörld', finishReason: 'stop' });
      }
    });
  });

  it.each([true, false])('that is not what the header says: a bad_response naming it, on both transports (stream %s)', async (stream) => {
    await withServer(compressing(coding, Buffer.from('data: plain text, not compressed\n\n')), async (url) => {
      for (const via of [undefined, proxy.url]) {
        expect(await same(pair(url, via), 'not zipped', stream)).toMatchObject({
          type: 'bad_response',
          code: 'encoded_response',
          message: expect.stringMatching(new RegExp(`^the server's ${coding} body could not be decoded \\(`)),
        });
      }
    });
  });
});

it.each([true, false])('raw deflate sent as content-encoding deflate is decoded, as fetch decodes it (stream %s)', async (stream) => {
  // Inflated as zlib's wrapping, it failed every request: "incorrect header check", the run stopped.
  await withServer(compressing('deflate-raw', undefined, 'deflate'), async (url) => {
    for (const via of [undefined, proxy.url]) {
      expect(await same(pair(url, via), 'raw deflate', stream)).toMatchObject({ text: 'hello wörld', deltas: 'hello wörld', finishReason: 'stop' });
    }
  });
});

describe.each(['UTF-8', 'none'])('a body labelled content-encoding %s, which names no compression', (label) => {
  it.each([true, false])('is read as it came, as fetch reads it (stream %s)', async (stream) => {
    // Refused as a coding llm-batch cannot decode, it failed every request of a misconfigured gateway.
    const plain =
      (chunks: string[]): http.RequestListener =>
      (req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json', 'content-encoding': label });
          res.end(chunks.join(''));
        });
      };
    const body = stream
      ? [HELLO, event([{ index: 0, delta: { content: ' wörld' }, finish_reason: 'stop' }]), 'data: [DONE]\n\n']
      : [JSON.stringify({ model: 'm', choices: [{ message: { content: 'hello wörld' }, finish_reason: 'stop' }] })];
    await withServer(plain(body), async (url) => {
      for (const via of [undefined, proxy.url]) {
        expect(await same(pair(url, via), label, stream)).toMatchObject({ text: 'hello wörld', finishReason: 'stop' });
      }
    });
  });
});

it.each([
  ['zstd', Buffer.from(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } }))],
  ['gzip', Buffer.from('not gzip at all')],
])('a 401 whose body is %s it cannot decode: still a 401 that stops the run, on both transports, direct and through a proxy', async (coding, raw) => {
  const handler: http.RequestListener = (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(401, { 'content-type': 'application/json', 'content-encoding': coding }).end(raw));
  };
  await withServer(handler, async (url) => {
    for (const via of [undefined, proxy.url]) {
      for (const stream of [true, false])
        expect(await same(pair(url, via), 'undecodable 401', stream)).toMatchObject({ type: 'auth', status: 401, stop: 'auth' });
    }
  });
});

it.each([true, false])('a coding none decodes (zstd): a bad_response naming it, on both transports (stream %s)', async (stream) => {
  await withServer(compressing('zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0])), async (url) => {
    for (const via of [undefined, proxy.url]) {
      expect(await same(pair(url, via), 'zstd', stream)).toMatchObject({
        type: 'bad_response',
        code: 'encoded_response',
        message: 'the server sent its body with content-encoding "zstd", which llm-batch cannot decode',
      });
    }
  });
});

describe('usage in Groq’s x_groq object', () => {
  it('is the answer’s usage on both transports when no top-level usage comes', async () => {
    const usage = { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 };
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify({ model: 'm', choices: [{ delta: { content: 'hi' } }], x_groq: { id: 'req_1' } })}\n\n`);
        res.write(`data: ${JSON.stringify({ model: 'm', choices: [{ delta: {}, finish_reason: 'stop' }], x_groq: { id: 'req_1', usage } })}\n\n`);
        res.end('data: [DONE]\n\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const got = await same(pair(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`), 'groq', true);
      expect(got).toMatchObject({ text: 'hi', usage: { prompt_tokens: 12, completion_tokens: 3 } });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("lean chat transport: the context's abort watch", () => {
  it('a complete that wraps ours with a signal of its own: that signal cuts the request, not only the deadline', async () => {
    let closed = false;
    await withServer(
      (req) => {
        req.resume();
        req.socket.on('close', () => (closed = true));
      },
      async (baseURL) => {
        const { lean } = pair(baseURL);
        const mine = new AbortController();
        const attempt = withDeadlines(
          (signal, onActivity, aborts) => {
            setTimeout(() => mine.abort(new Error('the wrapper gave up')), 50);
            // The wrapper's own signal, with the engine's `aborts` passed along in the context.
            const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], stream: true };
            return lean(request, { signal: AbortSignal.any([signal, mine.signal]), onActivity, aborts });
          },
          { timeoutMs: 60_000 },
        );
        const error = await attempt.then(
          () => undefined,
          (err: unknown) => err,
        );
        // Cut by the wrapper's signal, long before the attempt's own deadline.
        expect(error).toBeInstanceOf(AttemptError);
        expect((error as AttemptError).type).not.toBe('timeout');
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(closed).toBe(true);
      },
    );
  });
});
