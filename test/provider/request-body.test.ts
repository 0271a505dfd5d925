import { describe, expect, it } from 'vitest';
import { tokenLimitField, wireBody } from '../../src/provider/request-body.js';
import type { CompletionRequest } from '../../src/provider/completion.js';

const request: CompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 100, stream: false };

describe('the answer-length cap on the wire', () => {
  it('is max_completion_tokens for OpenAI itself and Azure OpenAI (their reasoning models reject max_tokens)', () => {
    expect(tokenLimitField(undefined)).toBe('max_completion_tokens');
    expect(tokenLimitField('https://api.openai.com/v1')).toBe('max_completion_tokens');
    expect(tokenLimitField('https://my-res.openai.azure.com/openai/v1/')).toBe('max_completion_tokens');
    expect(tokenLimitField('https://my-res.cognitiveservices.azure.com/openai/v1/')).toBe('max_completion_tokens');
  });

  it('is max_tokens for any other OpenAI-compatible server', () => {
    for (const url of ['http://localhost:11434/v1', 'https://openrouter.ai/api/v1', 'https://openai.azure.com.example.org/v1', 'not a url']) {
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
