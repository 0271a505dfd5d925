import { describe, expect, it } from 'vitest';
import { cappedReply, createMockFetch, structuredReply } from '../../src/provider/mock-fetch.js';
import { JSON_IN_PROMPT_INSTRUCTIONS } from '../../src/structured/instructions.js';

describe('structuredReply (--mock)', () => {
  it('answers JSON mode asked for in a system message (--json --schema-in-prompt) as it answers json_object', () => {
    const user = { role: 'user', content: 'three colours' };
    const inPrompt = JSON.parse(structuredReply({ messages: [{ role: 'system', content: JSON_IN_PROMPT_INSTRUCTIONS }, user] }, 'three colours')!);
    expect(inPrompt).toEqual(JSON.parse(structuredReply({ response_format: { type: 'json_object' }, messages: [user] }, 'three colours')!));
    expect(inPrompt).toEqual({ answer: expect.stringContaining('three colours') });
    // A plain request, or the words elsewhere than a first system message, stays free text.
    expect(structuredReply({ messages: [user, { role: 'system', content: JSON_IN_PROMPT_INSTRUCTIONS }] }, 'three colours')).toBeUndefined();
  });
});

describe('createMockFetch', () => {
  it('answers a conversation with an assistant turn that has no content (only tool calls), or null', async () => {
    const fetch = createMockFetch({ latencyMs: 0 });
    const messages = [
      { role: 'user', content: 'weather?' },
      { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'w', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
      { role: 'assistant', content: null },
      { role: 'user', content: 'so?' },
    ];
    const res = await fetch('http://mock/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'm', messages }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { usage: { prompt_tokens: number } };
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
  });
});

describe('createMockFetch with a schema no finite answer satisfies', () => {
  it('answers 400 saying so (a stack overflow read as a lost connection, retried, before)', async () => {
    const fetch = createMockFetch({ latencyMs: 0 });
    const node = { type: 'object', properties: { next: { $ref: '#/$defs/N' } }, required: ['next'], additionalProperties: false };
    const schema = { type: 'object', properties: { node: { $ref: '#/$defs/N' } }, required: ['node'], additionalProperties: false, $defs: { N: node } };
    const response_format = { type: 'json_schema', json_schema: { name: 'loop', schema, strict: true } };
    const res = await fetch('http://mock/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], response_format }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message:
          'mock: the schema has no finite value: #/$defs/N requires itself at every level (let the property that recurses be null, or an array that may be empty)',
        type: 'invalid_request_error',
      },
    });
  });
});

describe('cappedReply (--mock under --max-tokens)', () => {
  it('cuts at four characters a token with finish_reason length, never inside a character', () => {
    expect(cappedReply('abcdefghij', { max_tokens: 2 })).toEqual({ text: 'abcdefgh', finishReason: 'length', tokens: 2 });
    expect(cappedReply('abcdefghij', { max_completion_tokens: 3, max_tokens: 1 })).toEqual({ text: 'abcdefghij', finishReason: 'stop', tokens: 3 });
    expect(cappedReply('abcdefghij', {})).toEqual({ text: 'abcdefghij', finishReason: 'stop', tokens: 3 });
    // An emoji is two UTF-16 units: the cut at 8 would keep the first alone, a lone surrogate.
    const cut = cappedReply('abc😀😀😀 and more', { max_tokens: 2 });
    expect(cut.text).toBe('abc😀😀');
    expect(cut.text).not.toMatch(/[\ud800-\udbff]$/);
  });
});
