import { describe, expect, it } from 'vitest';
import { LogprobParts, ToolCallParts, wholeLogprobs, wholeToolCalls } from '../../src/provider/answer-parts.js';
import { StreamedAnswer, wholeAnswer } from '../../src/provider/streamed-answer.js';

const headers = { get: () => null };
const signal = new AbortController().signal;

describe('ToolCallParts', () => {
  it('assembles interleaved parallel calls by index: id/type/name from the first piece, arguments joined', () => {
    const parts = new ToolCallParts();
    parts.add([{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }]);
    parts.add([{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"tz"' } }]);
    parts.add([{ index: 0, function: { arguments: '{"city":' } }]);
    parts.add([
      { index: 1, function: { arguments: ':"CET"}' } },
      { index: 0, function: { arguments: '"Paris"}' } },
    ]);
    expect(parts.result()).toEqual([
      { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"tz":"CET"}' } },
    ]);
  });

  it('a server that repeats id and name in every piece does not double them', () => {
    const parts = new ToolCallParts();
    parts.add([{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a"' } }]);
    parts.add([{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: ':1}' } }]);
    expect(parts.result()).toEqual([{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }]);
  });

  it('pieces without an index are one call each, in order; no pieces, no calls', () => {
    const parts = new ToolCallParts();
    parts.add([
      { id: 'x', function: { name: 'f', arguments: '{}' } },
      { id: 'y', function: { name: 'g', arguments: '{}' } },
    ]);
    expect(parts.result()?.map((c) => c.id)).toEqual(['x', 'y']);
    expect(new ToolCallParts().result()).toBeUndefined();
  });
});

describe('LogprobParts', () => {
  it('joins the chunks content (and refusal) arrays; a null array stays null until one comes', () => {
    const parts = new LogprobParts();
    parts.add({ content: [{ token: 'a', logprob: -1 }], refusal: null });
    parts.add({
      content: [
        { token: 'b', logprob: -2 },
        { token: 'c', logprob: -3 },
      ],
      refusal: null,
    });
    expect(parts.result()).toEqual({
      content: [
        { token: 'a', logprob: -1 },
        { token: 'b', logprob: -2 },
        { token: 'c', logprob: -3 },
      ],
      refusal: null,
    });
    const refused = new LogprobParts();
    refused.add({ content: null, refusal: [{ token: 'no' }] });
    refused.add({ content: null, refusal: [{ token: '!' }] });
    expect(refused.result()).toEqual({ content: null, refusal: [{ token: 'no' }, { token: '!' }] });
  });
});

describe('answers', () => {
  it('a streamed answer carries the calls and logprobs its chunks had, and none when they had none', () => {
    const answer = new StreamedAnswer();
    answer.add({
      choices: [
        { delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'f', arguments: '' } }] } as never },
      ],
    });
    answer.add({ choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '{}' } }] }, logprobs: { content: [{ token: 't' }] } }] });
    answer.add({ choices: [{ delta: {}, logprobs: { content: [{ token: 'u' }] }, finish_reason: 'tool_calls' }] });
    const result = answer.finish(headers, signal);
    expect(result).toMatchObject({ text: '', finishReason: 'tool_calls' });
    expect(result.toolCalls).toEqual([{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }]);
    expect(result.logprobs).toEqual({ content: [{ token: 't' }, { token: 'u' }] });

    const plain = new StreamedAnswer();
    plain.add({ choices: [{ delta: { content: 'hi' }, finish_reason: 'stop' }] });
    expect(Object.keys(plain.finish(headers, signal))).not.toContain('toolCalls');
  });

  it('a whole answer carries the message tool_calls and the choice logprobs', () => {
    const body = {
      choices: [
        {
          message: { content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }] },
          logprobs: { content: [] },
          finish_reason: 'tool_calls',
        },
      ],
    };
    const result = wholeAnswer(JSON.stringify(body), { get: () => 'application/json' });
    expect(result.text).toBe('');
    expect(result.toolCalls).toEqual(body.choices[0]!.message.tool_calls);
    expect(result.logprobs).toEqual({ content: [] });
    expect(wholeToolCalls([])).toBeUndefined();
    expect(wholeLogprobs(null)).toBeUndefined();
  });
});
