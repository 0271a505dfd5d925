import { describe, expect, it } from 'vitest';
import { createOpenAIComplete } from '../../src/provider/create-openai-complete.js';
import { AttemptError, type AttemptContext, type CompletionRequest } from '../../src/provider/completion.js';
import { createRedactor } from '../../src/redact.js';

// ---------------------------------------------------------------------------------------------
// A hand-written fetch: canned responses, no network.
// ---------------------------------------------------------------------------------------------

interface Seen {
  url: string;
  method: string | undefined;
  headers: Headers;
  body: Record<string, unknown>;
}

function fakeFetch(respond: (seen: Seen, signal: AbortSignal | null | undefined) => Response | Promise<Response>) {
  const requests: Seen[] = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const seen: Seen = {
      url,
      method: init?.method,
      headers: new Headers(init?.headers),
      body: JSON.parse(String(init?.body ?? '{}')) as Record<string, unknown>,
    };
    requests.push(seen);
    return respond(seen, init?.signal);
  }) as typeof fetch;
  return { fetch: fetchFn, requests };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const encoder = new TextEncoder();

/** An SSE response from raw text pieces (each piece one body chunk). */
function sseResponse(pieces: string[], options: { headers?: Record<string, string>; failWith?: Error } = {}): Response {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of pieces) controller.enqueue(encoder.encode(p));
      if (options.failWith) controller.error(options.failWith);
      else controller.close();
    },
  });
  return new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream', ...options.headers } });
}

const data = (obj: unknown) => `data: ${JSON.stringify(obj)}\n\n`;

function chunk(delta: Record<string, unknown>, finish: string | null = null) {
  return { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-test-2025', choices: [{ index: 0, delta, finish_reason: finish }] };
}

const usageChunk = {
  id: 'c1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-test-2025',
  choices: [],
  usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 },
};

function request(stream: boolean, extra: Partial<CompletionRequest> = {}): CompletionRequest {
  return { model: 'gpt-test', messages: [{ role: 'user', content: 'Say hi' }], stream, ...extra };
}

function context(): AttemptContext & { activity: number; deltas: string[] } {
  const ctx = {
    signal: new AbortController().signal,
    activity: 0,
    deltas: [] as string[],
    onActivity: () => {
      ctx.activity++;
    },
    onDelta: (text: string) => {
      ctx.deltas.push(text);
    },
  };
  return ctx;
}

async function failure(p: Promise<unknown>): Promise<AttemptError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AttemptError);
    return err as AttemptError;
  }
  throw new Error('expected the attempt to fail');
}

const BASE = 'http://llm.test/v1';

// ---------------------------------------------------------------------------------------------

describe('createOpenAIComplete: non-streamed', () => {
  it('returns text, finish reason, usage, model and headers from a JSON answer', async () => {
    const { fetch, requests } = fakeFetch(() =>
      json(
        200,
        {
          id: 'x',
          object: 'chat.completion',
          created: 1,
          model: 'gpt-test-2025',
          choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
        },
        { 'x-ratelimit-limit-requests': '500' },
      ),
    );
    const complete = createOpenAIComplete({ apiKey: 'sk-test-key-000000', baseURL: BASE, fetch });
    const ctx = context();
    const result = await complete(request(false, { temperature: 0.2, max_tokens: 50, extraBody: { seed: 7 } }), ctx);
    expect(result).toMatchObject({ text: 'Hi there', finishReason: 'stop', usage: { prompt_tokens: 9, completion_tokens: 2 }, model: 'gpt-test-2025' });
    expect(result.headers?.get('x-ratelimit-limit-requests')).toBe('500');
    expect(ctx.deltas).toEqual(['Hi there']);
    expect(ctx.activity).toBeGreaterThanOrEqual(2); // headers, then body chunk(s)

    expect(requests).toHaveLength(1); // the SDK's own retries are off
    const sent = requests[0]!;
    expect(sent.url).toBe(`${BASE}/chat/completions`);
    expect(sent.method).toBe('POST');
    expect(sent.headers.get('authorization')).toBe('Bearer sk-test-key-000000');
    expect(sent.body).toMatchObject({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'Say hi' }],
      temperature: 0.2,
      max_tokens: 50,
      seed: 7,
      stream: false,
    });
  });

  it('omits temperature and max_tokens when not given', async () => {
    const { fetch, requests } = fakeFetch(() => json(200, { choices: [{ index: 0, message: { content: 'ok' }, finish_reason: 'stop' }] }));
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    const result = await complete(request(false), context());
    expect(result).toMatchObject({ text: 'ok', usage: null, model: null });
    expect(requests[0]!.body).not.toHaveProperty('temperature');
    expect(requests[0]!.body).not.toHaveProperty('max_tokens');
  });

  it('a garbage body → bad_response', async () => {
    const { fetch } = fakeFetch(() => new Response('{"id": upstream exploded', { status: 200, headers: { 'content-type': 'application/json' } }));
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    const e = await failure(complete(request(false), context()));
    expect(e.type).toBe('bad_response');
    expect(e.message).toMatch(/unparsable response body/);
  });

  it.each([
    [
      'an HTML page',
      () => new Response('<html><title>Welcome to nginx!</title>', { status: 200, headers: { 'content-type': 'application/json' } }),
      'html_response',
      /HTML page \("Welcome to nginx!"\)/,
    ],
    ['an empty body', () => new Response('', { status: 200, headers: { 'content-type': 'application/json' } }), 'empty_response', /empty body/],
  ])('%s → bad_response with a code the circuit breaker knows', async (_name, respond, code, message) => {
    const { fetch } = fakeFetch(respond);
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    const e = await failure(complete(request(false), context()));
    expect(e.type).toBe('bad_response');
    expect(e.info.code).toBe(code);
    expect(e.message).toMatch(message);
  });

  it('a JSON body without choices → bad_response, naming a server error when there is one', async () => {
    const { fetch } = fakeFetch(() => json(200, { error: { message: 'model overloaded' } }));
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    const e = await failure(complete(request(false), context()));
    expect(e.type).toBe('bad_response');
    expect(e.message).toMatch(/server error in body: model overloaded/);

    const empty = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch: fakeFetch(() => json(200, { choices: [] })).fetch });
    expect((await failure(empty(request(false), context()))).message).toMatch(/no choices/);
  });

  it('HTTP 500 → http 500, tried once', async () => {
    const { fetch, requests } = fakeFetch(() => json(500, { error: { message: 'The server had an error', type: 'server_error' } }));
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    const e = await failure(complete(request(false), context()));
    expect(e.type).toBe('http');
    expect(e.info.status).toBe(500);
    expect(requests).toHaveLength(1);
  });

  it('HTTP 429 keeps its headers for the rate governor', async () => {
    const { fetch } = fakeFetch(() => json(429, { error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } }, { 'retry-after-ms': '1200' }));
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    const e = await failure(complete(request(true), context()));
    expect(e.type).toBe('rate_limit');
    expect(e.info.headers?.get('retry-after-ms')).toBe('1200');
  });

  it('a refused connection → connection error', async () => {
    const fetch = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });
    }) as typeof globalThis.fetch;
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    const e = await failure(complete(request(false), context()));
    expect(e.type).toBe('connection');
    expect(e.info.code).toBe('ECONNREFUSED');
  });

  it('an already aborted signal → aborted, nothing sent', async () => {
    const { fetch, requests } = fakeFetch(() => json(200, {}));
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const e = await failure(complete(request(false), { ...context(), signal: controller.signal }));
    expect(e.type).toBe('aborted');
    expect(requests).toHaveLength(0);
  });
});

describe('createOpenAIComplete: streamed', () => {
  it('collects deltas (each reaching onDelta), the finish reason and the usage chunk', async () => {
    const { fetch, requests } = fakeFetch(() =>
      sseResponse(
        [
          data(chunk({ role: 'assistant', content: '' })),
          data(chunk({ content: 'Hel' })),
          data(chunk({ content: 'lo, ' })),
          // an event split across two body chunks
          data(chunk({ content: 'world' })).slice(0, 20),
          data(chunk({ content: 'world' })).slice(20),
          data(chunk({}, 'stop')),
          data(usageChunk),
          'data: [DONE]\n\n',
        ],
        { headers: { 'x-ratelimit-remaining-tokens': '999' } },
      ),
    );
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    const ctx = context();
    const result = await complete(request(true), ctx);
    expect(result).toMatchObject({
      text: 'Hello, world',
      finishReason: 'stop',
      usage: { prompt_tokens: 11, completion_tokens: 3 },
      model: 'gpt-test-2025',
    });
    expect(result.headers?.get('x-ratelimit-remaining-tokens')).toBe('999');
    expect(ctx.deltas).toEqual(['Hel', 'lo, ', 'world']);
    expect(ctx.activity).toBeGreaterThanOrEqual(6);
    expect(requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('a stream that ends without a finish_reason → connection (the answer may be cut)', async () => {
    const { fetch } = fakeFetch(() => sseResponse([data(chunk({ content: 'Half an ans' }))]));
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    const ctx = context();
    const e = await failure(complete(request(true), ctx));
    expect(e.type).toBe('connection');
    expect(e.message).toMatch(/stream ended before the answer finished/);
    expect(ctx.deltas).toEqual(['Half an ans']);
  });

  it('[DONE] without a finish_reason ends a whole answer, its finish_reason null (as without streaming)', async () => {
    const { fetch } = fakeFetch(() => sseResponse([data(chunk({ content: 'Hi' })), 'data: [DONE]\n\n']));
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    expect(await complete(request(true), context())).toMatchObject({ text: 'Hi', finishReason: null });
  });

  it('a body that breaks mid-stream → connection', async () => {
    const { fetch } = fakeFetch(() => sseResponse([data(chunk({ content: 'Hi' }))], { failWith: new TypeError('terminated') }));
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    const e = await failure(complete(request(true), context()));
    expect(e.type).toBe('connection');
  });

  it('an error event inside the stream → http "error in stream", retryable', async () => {
    const { fetch } = fakeFetch(() =>
      sseResponse([data(chunk({ content: 'Hi' })), data({ error: { message: 'The server is overloaded', type: 'server_error' } })]),
    );
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    const e = await failure(complete(request(true), context()));
    expect(e.type).toBe('http');
    expect(e.info.status).toBeUndefined();
    expect(e.message).toMatch(/error in stream: The server is overloaded/);
  });

  it('a garbage SSE payload → bad_response', async () => {
    const { fetch } = fakeFetch(() => sseResponse(['data: {not json\n\n']));
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    const e = await failure(complete(request(true), context()));
    expect(e.type).toBe('bad_response');
  });
});

describe('createOpenAIComplete: a field the server refused', () => {
  /** Azure before api-version 2024-09-01-preview: a 400 for `stream_options`. */
  const refusing = () =>
    fakeFetch((seen) =>
      seen.body.stream_options !== undefined
        ? json(400, { error: { message: 'Unrecognized request argument supplied: stream_options', type: 'invalid_request_error' } })
        : sseResponse([data(chunk({ content: 'hi' }, 'stop')), 'data: [DONE]\n\n']),
    );

  it("under the engine (a context with resend): the refusal says how to send it again, and the engine's resend is sent so", async () => {
    const { fetch, requests } = refusing();
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    const e = await failure(complete(request(true), { ...context(), resend: true }));
    // Not sent again at once, outside the engine's pacing and deadline.
    expect(requests).toHaveLength(1);
    expect(e.info).toMatchObject({ status: 400, resend: { streamUsage: false, limitField: 'max_tokens', tried: 1 } });
    expect(await complete(request(true), { ...context(), resend: e.info.resend! })).toMatchObject({ text: 'hi', usage: null });
    // Answered without it: every later request goes without it.
    expect(await complete(request(true), { ...context(), resend: true })).toMatchObject({ text: 'hi' });
    expect(requests.map((q) => q.body.stream_options !== undefined)).toEqual([true, false, false]);
  });

  it('called on its own (no resend in the context): sent again at once without it', async () => {
    const { fetch, requests } = refusing();
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    expect(await complete(request(true), context())).toMatchObject({ text: 'hi', usage: null });
    expect(requests.map((q) => q.body.stream_options !== undefined)).toEqual([true, false]);
  });
});

describe('createOpenAIComplete: an answer sent as one long event', () => {
  it('4 MB in one event, 1 KB a chunk: read whole, in time linear in its size', async () => {
    const content = 'x'.repeat(4 << 20);
    const event = data(chunk({ role: 'assistant', content }, 'stop'));
    const pieces: string[] = [];
    for (let at = 0; at < event.length; at += 1024) pieces.push(event.slice(at, at + 1024));
    const { fetch } = fakeFetch(() => sseResponse([...pieces, 'data: [DONE]\n\n']));
    const complete = createOpenAIComplete({ apiKey: 'k', baseURL: BASE, fetch });
    const started = performance.now();
    const result = await complete(request(true), context());
    // The SDK's own event stream copied and searched the whole open event with every chunk: ~55 s here.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(result.text.length).toBe(content.length);
    expect(result.finishReason).toBe('stop');
  }, 60_000);
});

describe('createOpenAIComplete: secrets', () => {
  const KEY = 'sk-proj-REALsecretKEY_0123456789abcdef';

  it.each([true, false])('a 401 echoing the key is redacted (stream: %s)', async (stream) => {
    const { fetch } = fakeFetch(() =>
      json(401, {
        error: {
          message: `Incorrect API key provided: ${KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      }),
    );
    const complete = createOpenAIComplete({ apiKey: KEY, baseURL: BASE, fetch, redact: createRedactor([KEY]) });
    const e = await failure(complete(request(stream), context()));
    expect(e.type).toBe('auth');
    expect(e.info).toMatchObject({ status: 401, stop: 'auth', code: 'invalid_api_key' });
    expect(e.message).toMatch(/^HTTP 401: Incorrect API key provided: \[redacted\]/);
    expect(e.message).not.toContain(KEY);
    expect(e.message).not.toContain('REALsecret');
    expect(JSON.stringify({ ...e.info, headers: undefined })).not.toContain(KEY);
  });

  it('a key of any shape is redacted when the server echoes it', async () => {
    const odd = 'local-token-4f9a2c77';
    const { fetch } = fakeFetch(() => json(403, { error: { message: `token ${odd} may not use this model` } }));
    const complete = createOpenAIComplete({ apiKey: odd, baseURL: BASE, fetch, redact: createRedactor([odd]) });
    const e = await failure(complete(request(false), context()));
    expect(e.type).toBe('auth');
    expect(e.message).not.toContain(odd);
    expect(e.message).toMatch(/token \[redacted\] may not use this model/);
  });
});
