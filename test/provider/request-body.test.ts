import { describe, expect, it } from 'vitest';
import { tokenLimitField, toCompletionRequest, wireBody } from '../../src/provider/request-body.js';
import { JSON_INSTRUCTIONS } from '../../src/structured/instructions.js';
import type { CompletionRequest } from '../../src/provider/completion.js';

const request: CompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 100, stream: false };

describe('the answer-length cap on the wire', () => {
  it('is max_completion_tokens for OpenAI itself and Azure OpenAI (their reasoning models reject max_tokens)', () => {
    expect(tokenLimitField(undefined)).toBe('max_completion_tokens');
    expect(tokenLimitField('https://api.openai.com/v1')).toBe('max_completion_tokens');
    expect(tokenLimitField('https://my-res.openai.azure.com/openai/v1/')).toBe('max_completion_tokens');
    expect(tokenLimitField('https://my-res.cognitiveservices.azure.com/openai/v1/')).toBe('max_completion_tokens');
    // A Foundry resource's host serves Azure OpenAI's API too.
    expect(tokenLimitField('https://my-res.services.ai.azure.com/openai/v1/')).toBe('max_completion_tokens');
  });

  it('is max_tokens for any other OpenAI-compatible server', () => {
    for (const url of [
      'http://localhost:11434/v1',
      'https://openrouter.ai/api/v1',
      'https://openai.azure.com.example.org/v1',
      'https://services.ai.azure.com.example.org/v1',
      'not a url',
    ]) {
      expect(tokenLimitField(url)).toBe('max_tokens');
    }
  });

  it('is sent under the chosen name only, and only when set', () => {
    expect(wireBody(request, 'max_completion_tokens')).toMatchObject({ max_completion_tokens: 100 });
    expect(wireBody(request, 'max_completion_tokens')).not.toHaveProperty('max_tokens');
    expect(wireBody(request)).toMatchObject({ max_tokens: 100 });
    const { max_tokens: _, ...uncapped } = request;
    expect(wireBody(uncapped, 'max_completion_tokens')).not.toHaveProperty('max_completion_tokens');
  });
});

describe('the wire body', () => {
  it('keeps the extra fields first, ours after, in a fixed order (--dry-run shows exactly this)', () => {
    const body = wireBody(
      {
        model: 'm',
        messages: request.messages,
        temperature: 0,
        max_tokens: 9,
        stream: true,
        extraBody: { seed: 1, model: 'overridden', stream_options: { x: 1 } },
      },
      'max_tokens',
    );
    expect(JSON.stringify(body)).toBe(
      '{"seed":1,"model":"m","stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}],"temperature":0,"max_tokens":9,"stream":true}',
    );
    expect(JSON.stringify(wireBody(request))).toBe('{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":100,"stream":false}');
  });
});

describe('structured requests through the one body builder', () => {
  const record = {
    id: 'r',
    line: 1,
    source: 's',
    prompt: 'p',
    messages: [{ role: 'user', content: 'list the colours' }],
    params: {},
    extraBody: { response_format: { type: 'text' }, seed: 7 },
  };
  const format = { type: 'json_schema', json_schema: { name: 'n', schema: { type: 'object' }, strict: true } };

  it("response_format goes into the wire body (and wins over a Batch API line's own)", () => {
    const body = wireBody(toCompletionRequest(record, { model: 'm', stream: false, structured: { responseFormat: format } }));
    expect(body).toMatchObject({ response_format: format, seed: 7, messages: record.messages });
  });

  it("instructions: a system message before the record's messages, which stay as they are", () => {
    const req = toCompletionRequest(record, { model: 'm', stream: false, structured: { instructions: 'S' } });
    expect(req.messages).toEqual([{ role: 'system', content: 'S' }, ...record.messages]);
    expect(req.response_format).toBeUndefined();
  });

  it('JSON mode says "JSON" in a system message only when no message does', () => {
    const hint = { responseFormat: { type: 'json_object' }, jsonHint: true };
    expect(toCompletionRequest(record, { model: 'm', stream: false, structured: hint }).messages[0]).toEqual({ role: 'system', content: JSON_INSTRUCTIONS });
    const saysJson = { ...record, messages: [{ role: 'user', content: 'answer in JSON' }] };
    expect(toCompletionRequest(saysJson, { model: 'm', stream: false, structured: hint }).messages).toEqual(saysJson.messages);
  });

  it('without structured options nothing changes', () => {
    const req = toCompletionRequest(record, { model: 'm', stream: false });
    expect(req.messages).toBe(record.messages);
    expect('response_format' in req).toBe(false);
  });
});
