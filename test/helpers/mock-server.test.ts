import { afterEach, describe, expect, it, vi } from 'vitest';
import { until } from './until.js';
import { encode } from 'gpt-tokenizer';
import { FAULT_KIND_LIST, maxInWindow, startMockServer } from './mock-server.js';
import type { MockServer, MockServerOptions } from './mock-server.js';

// Every test gets its own server (startup is ~1 ms); afterEach closes whatever was started.
const open: MockServer[] = [];
async function serve(options?: MockServerOptions): Promise<MockServer> {
  const s = await startMockServer(options);
  open.push(s);
  return s;
}
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(open.splice(0).map((s) => s.close()));
});

interface ChatOpts {
  stream?: boolean;
  usage?: boolean;
  body?: Record<string, unknown>;
  key?: string;
  signal?: AbortSignal;
}

function chat(s: MockServer, prompt: string, o: ChatOpts = {}): Promise<Response> {
  const body: Record<string, unknown> = { model: 'gpt-test', messages: [{ role: 'user', content: prompt }], ...o.body };
  if (o.stream) body.stream = true;
  if (o.usage) body.stream_options = { include_usage: true };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.key) headers.authorization = `Bearer ${o.key}`;
  return fetch(`${s.url}/chat/completions`, { method: 'POST', headers, body: JSON.stringify(body), signal: o.signal });
}

/** The `data:` payloads of an SSE body, in order. */
function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
}

/** Response.json() is typed unknown; these tests poke at OpenAI-shaped bodies freely. */
async function json(res: Response): Promise<any> {
  return res.json();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

/** Poll until no tracked resource type has more live instances than in `baseline`. */
async function backToBaseline(baseline: Record<string, number>, types: string[]): Promise<void> {
  const end = performance.now() + 1000;
  for (;;) {
    const now = resourceCounts();
    const extra = types.filter((t) => (now[t] ?? 0) > (baseline[t] ?? 0));
    if (extra.length === 0) return;
    if (performance.now() > end) throw new Error(`leaked: ${extra.map((t) => `${t} ${baseline[t] ?? 0}→${now[t]}`).join(', ')}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Records timers created with any of `delays` (pick distinctive values so only the server's own
 * match) and which handles were cleared. Counting process-wide timers instead is unreliable:
 * vitest and undici timers come and go and can mask a leak.
 */
function watchTimers(delays: number[]): { created: () => unknown[]; leaked: () => unknown[] } {
  const set = vi.spyOn(globalThis, 'setTimeout');
  const clear = vi.spyOn(globalThis, 'clearTimeout');
  const created = (): unknown[] => set.mock.results.filter((_, i) => delays.includes(set.mock.calls[i]?.[1] as number)).map((r) => r.value);
  return {
    created,
    leaked: () => {
      const cleared = new Set<unknown>(clear.mock.calls.map((c) => c[0]));
      return created().filter((t) => !cleared.has(t));
    },
  };
}

describe('responses', () => {
  it('serves a non-streaming completion with usage and a request id', async () => {
    const s = await serve();
    const res = await chat(s, 'hello world', { body: { max_tokens: 5 } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-request-id')).toMatch(/^req_mock_\d+$/);
    const body = await json(res);
    const p = encode('hello world').length + 3 + 3;
    const c = encode('ECHO hello world').length;
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-test',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ECHO hello world' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: p, completion_tokens: c, total_tokens: p + c },
    });
    expect(body.id).toMatch(/^chatcmpl-mock-\d+$/);
    expect(body.created).toBeTypeOf('number');
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]).toMatchObject({ prompt: 'hello world', attempt: 1, status: 200, tokens: p });
    expect(s.requests[0]!.fault).toBeUndefined();
  });

  it('counts every message, records the last user message and survives special tokens', async () => {
    const s = await serve({ reply: (p) => p.toUpperCase() });
    const messages = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: [{ type: 'text', text: 'second <|endoftext|>' }] },
    ];
    const res = await chat(s, '', { body: { messages } });
    const body = await json(res);
    const p = ['You are terse.', 'first', 'ok', 'second <|endoftext|>']
      .map((t) => encode(t, { disallowedSpecial: new Set() }).length)
      .reduce((a, b) => a + b, 3 + 3 * 4);
    expect(body.choices[0].message.content).toBe('SECOND <|ENDOFTEXT|>');
    expect(body.usage.prompt_tokens).toBe(p);
    expect(s.requests[0]!.prompt).toBe('second <|endoftext|>');
  });

  it('streams role, word-ish pieces, finish_reason, usage and [DONE]', async () => {
    const s = await serve();
    const prompt = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    const res = await chat(s, prompt, { stream: true, usage: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const data = sseData(await res.text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    for (const c of chunks) expect(c).toMatchObject({ object: 'chat.completion.chunk', model: 'gpt-test' });
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const usage = chunks.at(-1);
    expect(usage.choices).toEqual([]);
    expect(usage.usage.prompt_tokens).toBe(encode(prompt).length + 6);
    const finish = chunks.at(-2);
    expect(finish.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    const pieces = chunks.slice(1, -2).map((c) => c.choices[0].delta.content as string);
    expect(pieces.length).toBeGreaterThanOrEqual(4);
    expect(pieces.length).toBeLessThanOrEqual(8);
    expect(pieces.join('')).toBe(`ECHO ${prompt}`);
  });

  it('omits the usage chunk unless asked, and spaces chunks by chunkDelayMs', async () => {
    const s = await serve({ chunkDelayMs: 15 });
    const t0 = performance.now();
    const res = await chat(s, 'a b c', { stream: true });
    const reader = res.body!.getReader();
    let text = '';
    let reads = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      reads++;
      text += new TextDecoder().decode(value);
    }
    // role + 4 pieces + finish + [DONE] = 7 frames, 6 gaps.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(6 * 15 - 5);
    expect(reads).toBeGreaterThan(1);
    const data = sseData(text);
    expect(data).toHaveLength(7);
    expect(data.some((d) => d.includes('"usage"'))).toBe(false);
  });

  it('lists models and 404s unknown routes with OpenAI-shaped errors', async () => {
    const s = await serve();
    const models = await fetch(`${s.url}/models`);
    expect(await json(models)).toEqual({ object: 'list', data: [{ id: 'mock-model', object: 'model' }] });
    const missing = await fetch(`${s.url}/nope`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    expect((await json(missing)).error).toMatchObject({ type: 'invalid_request_error', param: null });
    expect(s.requests).toHaveLength(0);
  });

  it('400s an unparsable body or one without messages', async () => {
    const s = await serve();
    const bad = await fetch(`${s.url}/chat/completions`, { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatchObject({ type: 'invalid_request_error', param: null, code: expect.any(String) });
    const empty = await fetch(`${s.url}/chat/completions`, { method: 'POST', body: '{"model":"m"}' });
    expect(empty.status).toBe(400);
    await empty.text();
    expect(s.requests.map((r) => [r.status, r.body, r.prompt])).toEqual([
      [400, undefined, ''],
      [400, { model: 'm' }, ''],
    ]);
  });

  it('applies latencyMs, including later changes to options, and [[latency:MS]]', async () => {
    const s = await serve();
    await (await chat(s, 'fast')).text();
    s.options.latencyMs = 80;
    let t0 = performance.now();
    await (await chat(s, 'slow')).text();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(75);
    s.options.latencyMs = 0;
    t0 = performance.now();
    await (await chat(s, '[[latency:100]] slower')).text();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
  });
});

describe('faults', () => {
  it.each([
    ['500', 500, 'server_error'],
    ['502', 502, 'server_error'],
    ['503', 503, 'server_error'],
    ['400', 400, 'invalid_request_error'],
    ['404', 404, 'invalid_request_error'],
    ['408', 408, 'timeout'],
    ['409', 409, 'invalid_request_error'],
  ] as const)('%s answers with that status and an error body', async (kind, status, type) => {
    const s = await serve({ fault: () => kind });
    const res = await chat(s, 'x');
    expect(res.status).toBe(status);
    const body = await json(res);
    expect(body.error).toMatchObject({ type, param: null, message: expect.any(String), code: expect.any(String) });
    expect(s.requests[0]).toMatchObject({ status, fault: kind });
  });

  it('401 echoes the full key from the Authorization header', async () => {
    const s = await serve({ fault: () => '401' });
    const res = await chat(s, 'x', { key: 'sk-secret-abc123' });
    expect(res.status).toBe(401);
    const { error } = await json(res);
    expect(error.code).toBe('invalid_api_key');
    expect(error.message).toContain('Incorrect API key provided: sk-secret-abc123');
  });

  it('403 reports an unsupported region', async () => {
    const s = await serve({ fault: () => '403' });
    const res = await chat(s, 'x');
    expect(res.status).toBe(403);
    expect((await json(res)).error.code).toBe('unsupported_country_region_territory');
  });

  it('429 sends retry-after headers; quota does not', async () => {
    const s = await serve({ fault: () => '429' });
    const res = await chat(s, 'x');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('retry-after-ms')).toBe('200');
    expect((await json(res)).error.code).toBe('rate_limit_exceeded');

    s.options.fault = () => 'quota';
    const quota = await chat(s, 'x');
    expect(quota.status).toBe(429);
    expect(quota.headers.get('retry-after')).toBeNull();
    expect(quota.headers.get('retry-after-ms')).toBeNull();
    expect(await json(quota)).toEqual({
      error: {
        message: 'You exceeded your current quota, please check your plan and billing details.',
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    });
  });

  it('429 fault respects rateLimit.retryAfter and carries x-ratelimit headers', async () => {
    const s = await serve({ fault: () => '429', rateLimit: { requests: 100, retryAfter: 'seconds' } });
    const res = await chat(s, 'x');
    await res.text();
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('retry-after-ms')).toBeNull();
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('6000');
  });

  it('reset destroys the connection without a response', async () => {
    const s = await serve({ fault: () => 'reset' });
    await expect(chat(s, 'x')).rejects.toThrow();
    expect(s.requests[0]).toMatchObject({ status: 0, fault: 'reset' });
  });

  it('hang never sends headers; the client times out and the server forgets its timer', async () => {
    const timers = watchTimers([31_337]);
    const s = await serve({ stallMs: 31_337 });
    const t0 = performance.now();
    await expect(chat(s, '[[fault:hang]] x', { signal: AbortSignal.timeout(200) })).rejects.toThrow(/abort|timeout/i);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    expect(s.requests[0]).toMatchObject({ status: 0, fault: 'hang', prompt: '[[fault:hang]] x' });
    // The 60 s give-up timer must go when the client does.
    // The give-up timer must go when the client does, not linger for stallMs.
    expect(timers.created()).toHaveLength(1);
    await until(() => timers.leaked().length === 0);
  });

  it('cut ends a stream cleanly without finish_reason or [DONE]', async () => {
    const s = await serve({ fault: () => 'cut' });
    const res = await chat(s, 'one two three four five six seven eight nine ten', { stream: true });
    expect(res.status).toBe(200);
    const data = sseData(await res.text());
    expect(data.length).toBeGreaterThanOrEqual(2);
    expect(data).not.toContain('[DONE]');
    const chunks = data.map((d) => JSON.parse(d));
    expect(chunks.every((c) => c.choices[0].finish_reason === null)).toBe(true);
    expect(
      chunks
        .slice(1)
        .map((c) => c.choices[0].delta.content)
        .join('').length,
    ).toBeGreaterThan(0);
  });

  it('cut truncates a JSON body', async () => {
    const s = await serve({ fault: () => 'cut' });
    const res = await chat(s, 'x');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const text = await res.text();
    expect(text.startsWith('{"id":"chatcmpl-mock-')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
  });

  it('stall sends a little, then nothing until stallMs, then drops the connection', async () => {
    const s = await serve({ fault: () => 'stall', stallMs: 150 });
    const t0 = performance.now();
    const res = await chat(s, 'one two three four', { stream: true });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('"role":"assistant"');
    await expect(reader.read()).rejects.toThrow();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);

    const plain = await chat(s, 'x');
    expect(plain.status).toBe(200);
    await expect(plain.text()).rejects.toThrow();
    expect(s.requests.map((r) => [r.status, r.fault])).toEqual([
      [200, 'stall'],
      [200, 'stall'],
    ]);
  });

  it('garbage sends a 200 that is not JSON / not a valid event', async () => {
    const s = await serve({ fault: () => 'garbage' });
    const res = await chat(s, 'x');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('<html>502 Bad Gateway</html>');
    const stream = await chat(s, 'x', { stream: true });
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    expect((await stream.text()).split('\n')[0]).toBe('data: {"id": not json');
  });

  it('[[fault:KIND*N]] faults the first N attempts; several directives chain', async () => {
    const s = await serve();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await chat(s, 'p [[fault:500*2]]');
      statuses.push(res.status);
      await res.text();
    }
    expect(statuses).toEqual([500, 500, 200]);
    expect(s.requests.map((r) => r.attempt)).toEqual([1, 2, 3]);

    const chained: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await chat(s, '[[fault:429]][[fault:503*3]] q');
      chained.push(res.status);
      const body = await json(res);
      if (res.ok) expect(body.choices[0].message.content).toBe('ECHO [[fault:429]][[fault:503*3]] q');
    }
    expect(chained).toEqual([429, 503, 503, 200]);
  });

  it('directives win over options.fault, which gets prompt, attempt, a global index and the model', async () => {
    const seen: { prompt: string; attempt: number; index: number; model: string }[] = [];
    const s = await serve({
      fault: (r) => {
        seen.push(r);
        return r.index === 1 ? '502' : undefined;
      },
    });
    const statuses: number[] = [];
    for (const p of ['a', 'b', '[[fault:409]] c', 'a']) {
      const res = await chat(s, p);
      statuses.push(res.status);
      await res.text();
    }
    expect(statuses).toEqual([200, 502, 409, 200]);
    expect(seen).toEqual([
      { prompt: 'a', attempt: 1, index: 0, model: 'gpt-test' },
      { prompt: 'b', attempt: 1, index: 1, model: 'gpt-test' },
      { prompt: 'a', attempt: 2, index: 3, model: 'gpt-test' },
    ]);
  });
});

describe('apiKey', () => {
  it('401s a missing or wrong key before anything else, echoing the key', async () => {
    const s = await serve({ apiKey: 'sk-right', fault: () => '500', rateLimit: { requests: 0 } });
    const wrong = await chat(s, '[[fault:503]] x', { key: 'sk-wrong-xyz789' });
    expect(wrong.status).toBe(401);
    const { error } = await json(wrong);
    expect(error).toMatchObject({ code: 'invalid_api_key', param: null });
    expect(error.message).toContain('Incorrect API key provided: sk-wrong-xyz789');
    const none = await chat(s, 'x');
    expect(none.status).toBe(401);
    await none.text();
    expect((await fetch(`${s.url}/models`)).status).toBe(401);
    expect(s.requests.map((r) => [r.status, r.authorization])).toEqual([
      [401, 'Bearer sk-wrong-xyz789'],
      [401, undefined],
    ]);

    s.options.fault = undefined;
    s.options.rateLimit = undefined;
    const ok = await chat(s, 'x', { key: 'sk-right' });
    expect(ok.status).toBe(200);
    expect((await fetch(`${s.url}/models`, { headers: { authorization: 'Bearer sk-right' } })).status).toBe(200);
  });
});

describe('rate limiting', () => {
  it('rejects over the request limit with headers and an honest retry-after', async () => {
    // A window far longer than four requests take: under load two came 234 ms apart (the tokens test below).
    const s = await serve({ rateLimit: { requests: 3, windowMs: 2000 } });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await chat(s, `r${i}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit-requests')).toBe('90'); // 3 per 2 s, per minute
      expect(res.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+ms|[12](\.\d+)?s)$/); // OpenAI's "2s", "1.234s", "340ms"
      remaining.push(res.headers.get('x-ratelimit-remaining-requests'));
      await res.text();
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const limited = await chat(s, 'r3');
    expect(limited.status).toBe(429);
    expect((await json(limited)).error.code).toBe('rate_limit_exceeded');
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const waitMs = Number(limited.headers.get('retry-after-ms'));
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(2000);
    // Whole seconds, rounded up: never sooner than retry-after-ms.
    expect(limited.headers.get('retry-after')).toBe(String(Math.ceil(waitMs / 1000)));
    // The oldest accepted request leaves the window exactly when retry-after-ms says.
    const oldest = s.requests[0]!.t;
    expect(Math.abs(oldest + 2000 - (s.requests[3]!.t + waitMs))).toBeLessThanOrEqual(1);

    // Waiting retry-after-ms from the response (as a client would) must be enough.
    await sleep(waitMs);
    const after = await chat(s, 'r3');
    expect(after.status).toBe(200);
    await after.text();
    expect(s.requests.map((r) => r.status)).toEqual([200, 200, 200, 429, 200]);
  });

  it('never admits more than the limit in any window under concurrency', async () => {
    const s = await serve({ rateLimit: { requests: 4, windowMs: 1000 } });
    const results = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const res = await chat(s, `c${i}`);
        await res.text();
        return res.status;
      }),
    );
    expect(results.filter((st) => st === 200)).toHaveLength(4);
    expect(results.filter((st) => st === 429)).toHaveLength(8);
    const accepted = s.requests.filter((r) => r.status === 200).map((r) => r.t);
    expect(maxInWindow(accepted, 1000)).toBe(4);
  });

  it('limits tokens: prompt tokens + max_tokens (16 when absent)', async () => {
    // A window far longer than the test takes: under load the second request came 234 ms after the first.
    const s = await serve({ rateLimit: { tokens: 100, windowMs: 60_000 } });
    const p = encode('hi').length + 6;
    const first = await chat(s, 'hi', { body: { max_tokens: 50 } });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('100');
    expect(first.headers.get('x-ratelimit-remaining-tokens')).toBe(String(100 - p - 50));
    expect(first.headers.get('x-ratelimit-limit-requests')).toBeNull();
    await first.text();

    const second = await chat(s, 'hi', { body: { max_tokens: 50 } });
    expect(second.status).toBe(429);
    await second.text();
    expect(Number(second.headers.get('retry-after-ms'))).toBeGreaterThan(50_000);

    const small = await chat(s, 'hi', { body: { max_completion_tokens: 100 - (p + 50) - p } });
    expect(small.status).toBe(200); // fits exactly
    await small.text();
    const defaulted = await chat(s, 'hi');
    expect(defaulted.status).toBe(429); // max_tokens defaults to 16
    await defaulted.text();
  });

  it("refuses a request larger than the whole window in OpenAI's words, stating the limit a minute", async () => {
    const s = await serve({ rateLimit: { tokens: 100, windowMs: 1000, headers: false } });
    const res = await chat(s, 'hi', { body: { model: 'gpt-4o-mini', max_tokens: 200 } });
    expect(res.status).toBe(429);
    const { error } = (await res.json()) as { error: { message: string } };
    expect(error.message).toBe(
      `Request too large for gpt-4o-mini in organization org-mock on tokens per min (TPM): Limit 6000, Requested ${encode('hi').length + 6 + 200}. The input or output tokens must be reduced in order to run successfully.`,
    );
  });

  it.each([
    ['both', true, true],
    ['seconds', true, false],
    ['ms', false, true],
    ['none', false, false],
  ] as const)('retryAfter %s', async (retryAfter, seconds, hasMs) => {
    // 9.5 s left of the window when b comes less than half a second after a, as under any load yet seen.
    const s = await serve({ rateLimit: { requests: 1, windowMs: 10_000, retryAfter } });
    await (await chat(s, 'a')).text();
    const res = await chat(s, 'b');
    await res.text();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe(seconds ? '10' : null);
    expect(res.headers.get('retry-after-ms') !== null).toBe(hasMs);
  });

  it('sends no x-ratelimit headers when headers is false', async () => {
    const s = await serve({ rateLimit: { requests: 1, headers: false } });
    const ok = await chat(s, 'a');
    await ok.text();
    const limited = await chat(s, 'b');
    await limited.text();
    expect(limited.status).toBe(429);
    for (const res of [ok, limited]) {
      expect([...res.headers.keys()].filter((k) => k.startsWith('x-ratelimit'))).toEqual([]);
    }
    expect(limited.headers.get('retry-after')).toBe('1');
  });

  it.each([
    [250, '250ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
  ])('formats reset for a %i ms window as %s', async (windowMs, expected) => {
    const s = await serve({ rateLimit: { requests: 10, tokens: 10_000, windowMs } });
    const res = await chat(s, 'a');
    await res.text();
    // The first request is the oldest in its window, so reset is the whole window.
    expect(res.headers.get('x-ratelimit-reset-requests')).toBe(expected);
    expect(res.headers.get('x-ratelimit-reset-tokens')).toBe(expected);
  });

  it('does not count directive-faulted requests', async () => {
    const s = await serve({ rateLimit: { requests: 1, windowMs: 5000 } });
    const statuses: number[] = [];
    for (const p of ['[[fault:500]] a', 'b', 'c']) {
      const res = await chat(s, p);
      statuses.push(res.status);
      await res.text();
    }
    expect(statuses).toEqual([500, 200, 429]);
  });
});

describe('bookkeeping', () => {
  it('countFor and reset()', async () => {
    const s = await serve({ rateLimit: { requests: 3, windowMs: 10_000 } });
    const requests = s.requests;
    for (const p of ['a', 'a', 'b']) await (await chat(s, p)).text();
    expect([s.countFor('a'), s.countFor('b'), s.countFor('c')]).toEqual([2, 1, 0]);
    expect((await chat(s, 'a')).status).toBe(429); // still counted as an attempt
    expect(s.countFor('a')).toBe(3);

    s.reset();
    expect(s.requests).toBe(requests);
    expect(s.requests).toHaveLength(0);
    expect(s.countFor('a')).toBe(0);
    const res = await chat(s, 'a');
    expect(res.status).toBe(200); // window cleared too
    await res.text();
    expect(s.requests[0]!.attempt).toBe(1);
  });

  it('close() ends pending hangs, stalls and latencies and leaves no handles or timers', async () => {
    const baseline = resourceCounts();
    const timers = watchTimers([31_337, 31_338, 31_339]);
    const s = await startMockServer({ stallMs: 31_337, chunkDelayMs: 31_338 });
    const pending = [
      chat(s, '[[fault:hang]] h'),
      chat(s, '[[latency:31339]] l'),
      chat(s, '[[fault:stall]] s', { stream: true }).then((r) => r.text()),
      chat(s, 'slow chunks', { stream: true }).then((r) => r.text()),
    ].map((p) =>
      p.then(
        () => 'resolved',
        () => 'rejected',
      ),
    );
    await until(() => s.requests.length === 4);
    await sleep(10); // let the stall and chunked stream send their first bytes

    const t0 = performance.now();
    await s.close();
    expect(performance.now() - t0).toBeLessThan(100);
    expect(await Promise.all(pending)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    await expect(s.close()).resolves.toBeUndefined(); // idempotent
    // hang, latency, and the two streams' chunk delays were all pending at close().
    expect(timers.created()).toHaveLength(4);
    expect(timers.leaked()).toEqual([]);
    await backToBaseline(baseline, ['TCPServerWrap', 'TCPSocketWrap']);
  });
});

describe('maxInWindow', () => {
  it.each([
    [[], 1000, 0],
    [[0], 1000, 1],
    [[0, 999], 1000, 2],
    [[0, 1000], 1000, 1], // half-open: (0, 1000] excludes 0
    [[0, 1000, 1000], 1000, 2],
    [[5, 5, 5], 1, 3],
    [[300, 0, 100, 1200, 1250, 1299], 1000, 4], // unsorted input; best window is (299, 1299]
    [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, 3],
    [[0, 10, 20], 10.5, 2],
    [[0, 0.5, 1.5, 2.4], 2, 3],
  ])('%j in %d ms → %d', (times, windowMs, expected) => {
    expect(maxInWindow(times, windowMs)).toBe(expected);
  });

  it('does not reorder the caller’s array', () => {
    const times = [3, 1, 2];
    maxInWindow(times, 10);
    expect(times).toEqual([3, 1, 2]);
  });
});

// Keep the directive parser in step with FAULT_KIND_LIST, which tsc keeps in step with FaultKind.
describe('directive parsing', () => {
  it('recognises every fault kind', async () => {
    const s = await serve({ stallMs: 1 });
    const faults = await Promise.all(
      FAULT_KIND_LIST.map(async (kind) => {
        const prompt = `[[fault:${kind}]] ${kind}`;
        await chat(s, prompt)
          .then((r) => r.text())
          .catch(() => undefined);
        return s.requests.find((r) => r.prompt === prompt)?.fault;
      }),
    );
    expect(faults).toEqual(FAULT_KIND_LIST);
  });
});
