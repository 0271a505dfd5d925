import { describe, expect, it } from 'vitest';
import { bodyErrorWords, errorWords, providerErrorMessage } from '../../src/provider/error-body.js';

const NGINX_502 = `<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n`;

describe('errorWords', () => {
  it.each([
    [
      'vLLM',
      '{"object":"error","message":"This model\'s maximum context length is 4096 tokens.","type":"BadRequestError","param":null,"code":400}',
      null,
      { message: "This model's maximum context length is 4096 tokens.", type: 'BadRequestError' },
    ],
    [
      'an Express error',
      '{"error":"SyntaxError","message":"Unexpected token } in JSON at position 12"}',
      'application/json',
      { message: 'SyntaxError: Unexpected token } in JSON at position 12', type: 'SyntaxError' },
    ],
    [
      'Ollama',
      '{"error":"model \\"llama9\\" not found, try pulling it first"}',
      'application/json',
      { message: 'model "llama9" not found, try pulling it first' },
    ],
    [
      "Google's OpenAI endpoint (a list)",
      '[{"error":{"code":400,"message":"Invalid JSON payload received. Unknown name \\"stream_options\\"","status":"INVALID_ARGUMENT"}}]',
      'application/json',
      { message: 'Invalid JSON payload received. Unknown name "stream_options"', code: 'INVALID_ARGUMENT' },
    ],
    ['a list of another shape', '[{"detail":"Not allowed"}]', 'application/json', { message: 'Not allowed' }],
    [
      'FastAPI',
      '{"detail":[{"loc":["body","model"],"msg":"field required","type":"value_error.missing"}]}',
      'application/json',
      { message: 'model: field required' },
    ],
    [
      "Mistral's 422 (FastAPI's list in message)",
      '{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","stream_options","include_usage"],"msg":"Extra inputs are not permitted","input":true}]},"type":"invalid_request_error","param":null,"code":null}',
      'application/json',
      { message: 'stream_options.include_usage: Extra inputs are not permitted', type: 'invalid_request_error' },
    ],
    ['nginx', NGINX_502, 'text/html', { message: '502 Bad Gateway — nginx/1.25.3' }],
    [
      'a heading that repeats the title without its status',
      '<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1><p>upstream crashed</p></body></html>',
      'text/html',
      { message: '500 Internal Server Error — upstream crashed' },
    ],
    [
      'an HTML page with no content type',
      '<!DOCTYPE html><html><head><style>p{}</style><script>x()</script></head><body><p>Service &amp; API down</p></body></html>',
      null,
      { message: 'Service & API down' },
    ],
    [
      'plain text',
      'upstream connect error or disconnect/reset before headers.\n  reset reason: overflow',
      'text/plain',
      { message: 'upstream connect error or disconnect/reset before headers. reset reason: overflow' },
    ],
  ])("%s: the server's words, one plain line", (_name, raw, type, words) => {
    expect(errorWords(raw, type)).toEqual(words);
  });

  it('leaves OpenAI-shaped and empty bodies to the SDK', () => {
    expect(errorWords('{"error":{"message":"Invalid model","type":"invalid_request_error"}}', 'application/json')).toBeUndefined();
    expect(errorWords('  \n', 'text/html')).toBeUndefined();
    expect(errorWords('[]', 'application/json')).toBeUndefined();
  });

  it('caps a long page', () => {
    const words = errorWords(`<html><body>${'word '.repeat(500)}</body></html>`, 'text/html');
    expect(words!.message.length).toBeLessThanOrEqual(300);
  });
});

describe('bodyErrorWords: the error a 200 holds in place of an answer', () => {
  it.each([
    [
      'OpenAI-shaped',
      { error: { message: 'The server had an error\n processing your request.', type: 'server_error' } },
      'The server had an error processing your request.',
    ],
    [
      'a string (LM Studio on a path it does not serve)',
      { error: 'Unexpected endpoint or method. (POST /chat/completions)' },
      'Unexpected endpoint or method. (POST /chat/completions)',
    ],
    ['a name and a message', { error: 'SyntaxError', message: 'Unexpected token' }, 'SyntaxError: Unexpected token'],
    ['no words', { error: { code: 500 } }, '{"code":500}'],
    ['an empty message', { error: { message: '', code: 500 } }, '{"message":"","code":500}'],
  ])('%s', (_name, body, words) => {
    expect(bodyErrorWords(body)).toBe(words);
  });

  it.each([null, [], 'text', { choices: [] }, { error: null }])('no error in %j', (body) => {
    expect(bodyErrorWords(body)).toBeUndefined();
  });
});

describe("providerErrorMessage: OpenRouter's upstream cause", () => {
  const raw = '{"error":{"message":"context length 8192 exceeded"}}';
  it.each([
    [
      'raw as a JSON string',
      { message: 'Provider returned error', code: 400, metadata: { raw, provider_name: 'Groq' } },
      'Provider returned error (Groq): context length 8192 exceeded',
    ],
    [
      'raw as an object, no provider',
      { message: 'Provider returned error', metadata: { raw: { error: { message: 'overloaded' } } } },
      'Provider returned error: overloaded',
    ],
    [
      'raw as text',
      { message: 'Provider returned error', metadata: { raw: 'upstream\n timed out', provider_name: 'X' } },
      'Provider returned error (X): upstream timed out',
    ],
    ["raw in vLLM's shape", { message: 'Provider returned error', metadata: { raw: '{"object":"error","message":"bad"}' } }, 'Provider returned error: bad'],
    ['no raw (moderation)', { message: 'flagged', metadata: { reasons: ['x'], flagged_input: 'y' } }, 'flagged'],
    [
      'a cause the message already says',
      { message: 'Provider returned error: overloaded', metadata: { raw: 'overloaded' } },
      'Provider returned error: overloaded',
    ],
    ['no metadata', { message: 'Invalid\n model' }, 'Invalid model'],
  ])('%s', (_name, error, said) => {
    expect(providerErrorMessage(error)).toBe(said);
  });

  it('in a 200 holding an error', () => {
    expect(bodyErrorWords({ error: { message: 'Provider returned error', code: 502, metadata: { raw, provider_name: 'Groq' } } })).toBe(
      'Provider returned error (Groq): context length 8192 exceeded',
    );
  });

  it("a 429, 402, 403 or 413: the message alone, whose words the run's pace, budget and stops read (one provider's limit is not the run's)", () => {
    const groq = JSON.stringify({ error: { message: 'Rate limit reached on tokens per minute (TPM): Limit 600, Used 590, Requested 265.' } });
    const error = { message: 'Provider returned error', code: 429, metadata: { raw: groq, provider_name: 'Groq' } };
    expect(providerErrorMessage(error)).toBe('Provider returned error');
    expect(providerErrorMessage({ ...error, code: '429' })).toBe('Provider returned error');
    for (const status of [402, 403, 413, 429]) expect(providerErrorMessage({ ...error, code: undefined }, status)).toBe('Provider returned error');
    expect(providerErrorMessage({ ...error, code: undefined }, 400)).toMatch(/^Provider returned error \(Groq\): Rate limit reached/);
  });

  it('no message: undefined', () => {
    expect(providerErrorMessage({ code: 500 })).toBeUndefined();
    expect(providerErrorMessage('text')).toBeUndefined();
  });
});
