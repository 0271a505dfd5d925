import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, AuthenticationError, OpenAIError, RateLimitError } from 'openai';
import { describe, expect, it } from 'vitest';
import { classifyError, fundsAdvice } from '../../src/provider/classify-error.js';
import { AttemptError } from '../../src/provider/completion.js';
import { isRegionRefusal } from '../../src/provider/region-refusal.js';
import { isRetryable } from '../../src/schedule/retry-policy.js';

/** What the SDK builds from an HTTP error response (`{"error": {...}}` body). */
function statusError(status: number, error: Record<string, unknown>, headers: Record<string, string> = {}): APIError {
  return APIError.generate(status, { error }, undefined, new Headers(headers));
}

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyError: HTTP statuses', () => {
  it('401 → auth, stops the run', () => {
    const err = statusError(401, { message: 'Incorrect API key provided: sk-abc***xyz.', type: 'invalid_request_error', code: 'invalid_api_key' });
    expect(err).toBeInstanceOf(AuthenticationError);
    const e = classifyError(err);
    expect(e).toBeInstanceOf(AttemptError);
    expect(e.type).toBe('auth');
    expect(e.info).toMatchObject({ status: 401, code: 'invalid_api_key', stop: 'auth' });
    expect(e.message).toMatch(/^HTTP 401: Incorrect API key provided/);
  });

  it('403 → auth, stops the run (a server may refuse a wrong key with it)', () => {
    const e = classifyError(statusError(403, { message: 'You have insufficient permissions for this operation.', code: null }));
    expect(e.type).toBe('auth');
    expect(e.info).toMatchObject({ status: 403, stop: 'auth' });
    expect(e.message).toBe('HTTP 403: You have insufficient permissions for this operation.');
    expect(isRegionRefusal(e.message)).toBe(false);
  });

  it('403 for a key past its spending cap (OpenRouter\'s "Key limit exceeded") → quota: stops, --resume continues', () => {
    const e = classifyError(
      statusError(403, { message: 'Key limit exceeded (monthly limit). Manage it using https://openrouter.ai/settings/keys', code: 403 }),
    );
    expect(e.type).toBe('quota');
    expect(e.info).toMatchObject({ status: 403, stop: 'quota' });
    expect(e.message).toBe('HTTP 403: Key limit exceeded (monthly limit). Manage it using https://openrouter.ai/settings/keys');
  });

  it.each([
    [
      "a model the project may not use (OpenAI's model_not_found)",
      { message: 'Project `proj_abc` does not have access to model `o1`', type: 'invalid_request_error', param: null, code: 'model_not_found' },
    ],
    [
      "an input OpenRouter's moderation flagged",
      {
        code: 403,
        message: 'openai/gpt-4o-mini requires moderation on OpenRouter. Your input was flagged for "harassment". No credits were charged.',
        metadata: { reasons: ['harassment'], flagged_input: 'item 7', provider_name: 'OpenAI', model_slug: 'openai/gpt-4o-mini' },
      },
    ],
  ])("403 for %s → that prompt's own failed row (http 403), never the key's", (_label, body) => {
    const e = classifyError(statusError(403, body));
    expect(e.type).toBe('http');
    expect(e.info.status).toBe(403);
    expect(e.info.stop).toBeUndefined();
    expect(e.message).toBe(`HTTP 403: ${body.message}`);
  });

  it.each([
    ['by its code', { message: 'Country, region, or territory not supported', type: 'request_forbidden', code: 'unsupported_country_region_territory' }],
    ['by its wording alone (a gateway that drops the code)', { message: 'Country, region, or territory not supported', code: null }],
  ])('403 refusing the country or region, %s → worded as that, not as the key; still auth and a stop', (_label, body) => {
    const e = classifyError(statusError(403, body));
    expect(e.type).toBe('auth');
    expect(e.info).toMatchObject({ status: 403, stop: 'auth' });
    expect(e.message).toBe('the server does not serve the country or region the requests come from (HTTP 403: Country, region, or territory not supported)');
    expect(e.message).not.toMatch(/key/i);
    expect(isRegionRefusal(e.message)).toBe(true);
  });

  it("a model missing in an Azure deployment's region is no refusal of where requests come from", () => {
    const e = classifyError(statusError(403, { message: 'The model gpt-x is not supported in this region.', code: 'OperationNotSupported' }));
    expect(e.message).toMatch(/^HTTP 403: The model/);
  });

  it('429 rate limit → rate_limit with its headers, retryable, no stop', () => {
    const err = statusError(429, { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' }, { 'retry-after-ms': '250' });
    expect(err).toBeInstanceOf(RateLimitError);
    const e = classifyError(err);
    expect(e.type).toBe('rate_limit');
    expect(e.info.status).toBe(429);
    expect(e.info.code).toBe('rate_limit_exceeded');
    expect(e.info.stop).toBeUndefined();
    expect(e.info.headers?.get('retry-after-ms')).toBe('250');
    expect(e.message).toMatch(/^HTTP 429: Rate limit reached/);
    expect(isRetryable(e.type, e.info.status)).toBe(true);
  });

  it('429 insufficient_quota (by code) → quota, stops the run', () => {
    const e = classifyError(
      statusError(429, {
        message: 'You exceeded your current quota, please check your plan and billing details.',
        type: 'insufficient_quota',
        code: 'insufficient_quota',
      }),
    );
    expect(e.type).toBe('quota');
    expect(e.info).toMatchObject({ status: 429, code: 'insufficient_quota', stop: 'quota' });
    expect(e.message).toMatch(/insufficient_quota: You exceeded your current quota/);
  });

  it('429 insufficient_quota given only as the error type → quota', () => {
    const e = classifyError(statusError(429, { message: 'quota gone', type: 'insufficient_quota', code: null }));
    expect(e.type).toBe('quota');
    expect(e.info.stop).toBe('quota');
  });

  it('402 out of credits (OpenRouter) → quota, stops the run (not a failed row per prompt)', () => {
    const e = classifyError(statusError(402, { message: 'Insufficient credits. Add more using https://openrouter.ai/credits', code: 402 }));
    expect(e.type).toBe('quota');
    expect(e.info).toMatchObject({ status: 402, stop: 'quota' });
    expect(e.message).toBe('HTTP 402: Insufficient credits. Add more using https://openrouter.ai/credits');
  });

  it.each([429, 400])("a LiteLLM proxy's key over its budget (%i budget_exceeded) → quota: stops, --resume continues", (status) => {
    const message = 'Budget has been exceeded! Current cost: 10.52, Max budget: 10.0';
    const e = classifyError(statusError(status, { message, type: 'budget_exceeded', param: null, code: String(status) }));
    expect(e.type).toBe('quota');
    expect(e.info).toMatchObject({ status, stop: 'quota' });
    expect(e.message).toBe(`HTTP ${status} budget_exceeded: ${message}`);
    expect(fundsAdvice(message, 'budget_exceeded')).toMatch(/raise the key's budget/);
  });

  it('429 with no body → rate_limit', () => {
    const err = APIError.generate(429, undefined, undefined, new Headers());
    const e = classifyError(err);
    expect(e.type).toBe('rate_limit');
    expect(e.message).toMatch(/HTTP 429/);
  });

  it.each([500, 502, 503, 504])('%i → http, retryable', (status) => {
    const e = classifyError(statusError(status, { message: 'The server had an error while processing your request.' }));
    expect(e.type).toBe('http');
    expect(e.info.status).toBe(status);
    expect(e.info.stop).toBeUndefined();
    expect(e.message).toMatch(new RegExp(`^HTTP ${status}: The server had an error`));
    expect(isRetryable(e.type, e.info.status)).toBe(true);
  });

  it.each([
    ['Ollama', 500, 'the input length exceeds the context length'],
    ['a proxy', 502, "This model's maximum context length is 8192 tokens."],
    ['llama.cpp', 503, 'the request exceeds the available context size, try increasing it'],
    // A 4xx is not retried anyway: the code names the failure as OpenAI's own does (rows grouped by code).
    ['vLLM', 400, "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens."],
    ["llama.cpp's exceed_context_size_error", 400, 'the request exceeds the available context size, try increasing it'],
  ])('%s: a %i that says the prompt is past the context → context_length_exceeded, not retried', (_, status, message) => {
    const e = classifyError(statusError(status, { message, type: 'api_error', code: null }));
    expect(e.type).toBe('http');
    expect(e.info).toMatchObject({ status, code: 'context_length_exceeded' });
    expect(isRetryable(e.type, e.info.status, e.info.code)).toBe(false);
  });

  it("an error event without a status that says so too; the server's own code and words of other failures stay", () => {
    // What the SDK throws for `data: {"error": {...}}` in an SSE stream.
    const event = (message: string) => new APIError(undefined, { message, type: 'api_error', code: null }, undefined, new Headers());
    const inStream = classifyError(event('the input length exceeds the context length'));
    expect(inStream.info).toEqual({ code: 'context_length_exceeded' });
    expect(isRetryable(inStream.type, inStream.info.status, inStream.info.code)).toBe(false);
    const other = classifyError(event('model overloaded'));
    expect(isRetryable(other.type, other.info.status, other.info.code)).toBe(true);
    const named = classifyError(statusError(500, { message: 'the input length exceeds the context length', code: 'engine_error' }));
    expect(named.info.code).toBe('engine_error');
    // A 429 is a rate limit whatever it says, and keeps its own code.
    const limited = classifyError(statusError(429, { message: 'exceeds the context length' }));
    expect([limited.type, limited.info.code]).toEqual(['rate_limit', undefined]);
  });

  it.each([
    ["vLLM's through Xinference", 500, 'The decoder prompt (length 66501) is longer than the maximum model length of 65536.'],
    [
      "LM Studio's",
      500,
      'Trying to keep the first 5000 tokens when context the overflows. However, the model is loaded with context length of only 4096 tokens',
    ],
  ])('%s wording of a context overflow in a %i: not retried', (_, status, message) => {
    const e = classifyError(statusError(status, { message }));
    expect([e.info.code, isRetryable(e.type, e.info.status, e.info.code)]).toEqual(['context_length_exceeded', false]);
  });

  it('LiteLLM\'s status as a string code: the words still decide; a stream event\'s "400" is a 400', () => {
    const overflow = classifyError(statusError(500, { message: 'OllamaException - the input length exceeds the context length', code: '500' }));
    expect([overflow.info.code, isRetryable(overflow.type, overflow.info.status, overflow.info.code)]).toEqual(['context_length_exceeded', false]);
    const flaky = classifyError(statusError(500, { message: 'litellm.InternalServerError', code: '500' }));
    expect([flaky.info.code, isRetryable(flaky.type, flaky.info.status, flaky.info.code)]).toEqual(['500', true]);
    const event = classifyError(new APIError(undefined, { message: 'litellm.BadRequestError: bad value', code: '400' }, undefined, new Headers()));
    expect([event.info.status, isRetryable(event.type, event.info.status, event.info.code)]).toEqual([400, false]);
  });

  it('a stream event whose code is a 5xx and whose words say the context: its status and the code, not retried', () => {
    const e = classifyError(new APIError(undefined, { message: 'the input length exceeds the context length', code: 500 }, undefined, new Headers()));
    expect(e.info).toEqual({ status: 500, code: 'context_length_exceeded', inStream: true });
    expect(isRetryable(e.type, e.info.status, e.info.code)).toBe(false);
  });

  it('400 → http, not retryable, with its code', () => {
    const e = classifyError(
      statusError(400, { message: "Invalid value for 'temperature'", type: 'invalid_request_error', code: 'invalid_value', param: 'temperature' }),
    );
    expect(e.type).toBe('http');
    expect(e.info).toMatchObject({ status: 400, code: 'invalid_value' });
    expect(e.info.stop).toBeUndefined();
    expect(isRetryable(e.type, e.info.status)).toBe(false);
  });

  it.each([
    [
      301,
      'https://api.example.test/v1/chat/completions?key=sk-x#f',
      'HTTP 301 to https://api.example.test/v1/chat/completions: llm-batch does not follow 301/302/303 for a POST; set --base-url to https://api.example.test/v1',
    ],
    [
      302,
      'https://user:pw@gw.example.test/login?next=%2Fv1',
      'HTTP 302 to https://gw.example.test/login: llm-batch does not follow 301/302/303 for a POST; set --base-url to where it points',
    ],
    [303, '/v2/chat/completions?x=1', 'HTTP 303 to /v2/chat/completions: llm-batch does not follow 301/302/303 for a POST; set --base-url to where it points'],
    [
      301,
      '//user:secretpw@gw.example.test/v1/chat/completions?token=abc',
      'HTTP 301 to //gw.example.test/v1/chat/completions: llm-batch does not follow 301/302/303 for a POST; set --base-url to where it points',
    ],
  ])('a %s is not followed for a POST: the row names where it points (no query, no credentials), not retried', (status, location, message) => {
    const e = classifyError(APIError.generate(status, undefined, 'status code (no body)', new Headers({ location })));
    expect(e.type).toBe('http');
    expect(e.info.status).toBe(status);
    expect(e.message).toBe(message);
    expect(isRetryable(e.type, e.info.status)).toBe(false);
  });

  it('a 301 with no Location says only its status', () => {
    expect(classifyError(APIError.generate(301, undefined, 'status code (no body)', new Headers())).message).toBe('HTTP 301: no body');
  });

  it('a non-JSON error body (an HTML proxy page) still gives a one-line message', () => {
    const err = APIError.generate(502, undefined, '<html>\n  <body>Bad   Gateway</body>\n</html>', new Headers());
    const e = classifyError(err);
    expect(e.type).toBe('http');
    expect(e.message).not.toMatch(/\n/);
    expect(e.message).toMatch(/^HTTP 502: /);
  });

  it('caps very long server messages', () => {
    const e = classifyError(statusError(400, { message: 'x'.repeat(5000) }));
    expect(e.message.length).toBeLessThanOrEqual(520);
  });
});

describe('classifyError: network and SDK errors', () => {
  it('connection reset (code in the cause) → connection with the code', () => {
    const err = new APIConnectionError({ cause: withCode('read ECONNRESET', 'ECONNRESET') });
    const e = classifyError(err);
    expect(e.type).toBe('connection');
    expect(e.info.code).toBe('ECONNRESET');
    expect(e.message).toMatch(/connection failed \(ECONNRESET\)/);
    expect(isRetryable(e.type)).toBe(true);
  });

  it('a code deeper in the cause chain (undici: TypeError fetch failed ← SocketError) is found', () => {
    const socket = withCode('other side closed', 'UND_ERR_SOCKET');
    const fetchFailed = Object.assign(new TypeError('fetch failed'), { cause: socket });
    const e = classifyError(new APIConnectionError({ cause: fetchFailed }));
    expect(e.type).toBe('connection');
    expect(e.info.code).toBe('UND_ERR_SOCKET');
  });

  it('names TLS and stream codes too (a self-signed certificate, a body cut off)', () => {
    const tls = Object.assign(new TypeError('fetch failed'), { cause: withCode('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT') });
    const e = classifyError(new APIConnectionError({ cause: tls }));
    expect(e.message).toBe('connection failed (DEPTH_ZERO_SELF_SIGNED_CERT)');
    const cut = classifyError(withCode('Premature close', 'ERR_STREAM_PREMATURE_CLOSE'));
    expect(cut).toMatchObject({ type: 'connection', info: { code: 'ERR_STREAM_PREMATURE_CLOSE' } });
  });

  it('connection refused without an SDK wrapper → connection', () => {
    const e = classifyError(withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'));
    expect(e.type).toBe('connection');
    expect(e.info.code).toBe('ECONNREFUSED');
  });

  it('a bare "terminated" TypeError (body cut mid-stream) → connection', () => {
    const e = classifyError(new TypeError('terminated'));
    expect(e.type).toBe('connection');
    expect(e.message).toMatch(/terminated/);
  });

  it('the SDK timeout (a subclass of its connection error) → timeout, not connection', () => {
    const err = new APIConnectionTimeoutError();
    expect(err).toBeInstanceOf(APIConnectionError);
    const e = classifyError(err);
    expect(e.type).toBe('timeout');
    expect(isRetryable(e.type)).toBe(true);
  });

  it('user abort → aborted', () => {
    const e = classifyError(new APIUserAbortError());
    expect(e.type).toBe('aborted');
    expect(isRetryable(e.type)).toBe(false);
  });

  it('SyntaxError (unparsable body) → bad_response', () => {
    let syntax: unknown;
    try {
      JSON.parse('<html>oops');
    } catch (err) {
      syntax = err;
    }
    const e = classifyError(syntax);
    expect(e.type).toBe('bad_response');
    expect(e.message).toMatch(/unparsable response body/);
    expect(isRetryable(e.type)).toBe(true);
  });

  it('an error event inside a stream (APIError without status) → http with the server message, retryable', () => {
    // What the SDK throws for `data: {"error": {...}}` in an SSE stream.
    const err = new APIError(undefined, { message: 'The server is overloaded', type: 'server_error', code: 'overloaded' }, undefined, new Headers());
    const e = classifyError(err);
    expect(e.type).toBe('http');
    expect(e.info.status).toBeUndefined();
    expect(e.info.code).toBe('overloaded');
    expect(e.info.stop).toBeUndefined();
    expect(e.message).toMatch(/^error in stream: The server is overloaded/);
    expect(isRetryable(e.type, e.info.status)).toBe(true);
  });

  it.each([
    // llama.cpp's prompt longer than the context: as its 400 without streaming, not retried.
    [400, 'http', false],
    [500, 'http', true],
    // A rate limit said in the stream is one: waited for and retried, as a 429's.
    [429, 'rate_limit', true],
  ])('an error event whose code is a status, %i → %s with that status, retryable %s', (code, type, retryable) => {
    const e = classifyError(new APIError(undefined, { message: 'said in the stream', code }, undefined, new Headers()));
    expect(e).toMatchObject({ type, message: 'error in stream: said in the stream', info: { status: code } });
    expect(isRetryable(e.type, e.info.status)).toBe(retryable);
  });

  it('other SDK errors → bad_response', () => {
    const e = classifyError(new OpenAIError('Attempted to iterate over a response with no body'));
    expect(e.type).toBe('bad_response');
    expect(e.message).toMatch(/no body/);
  });

  it('an AttemptError passes through unchanged', () => {
    const original = new AttemptError('timeout', 'attempt exceeded --timeout 5s');
    expect(classifyError(original)).toBe(original);
  });

  it('anything else → connection with its message (never throws)', () => {
    expect(classifyError('a string')).toMatchObject({ type: 'connection', message: 'a string' });
    expect(classifyError(undefined).type).toBe('connection');
    expect(classifyError(new Error('weird')).message).toBe('weird');
  });
});
