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

describe('ToolCallParts: non-standard servers (review s9 F14)', () => {
  it('streamed pieces without index: a bare fragment continues the previous call', () => {
    const parts = new ToolCallParts();
    parts.add([{ id: 'c1', type: 'function', function: { name: 'f', arguments: '' } }]);
    parts.add([{ function: { arguments: '{"a":' } }]);
    parts.add([{ function: { arguments: '1}' } }]);
    parts.add([{ id: 'c2', type: 'function', function: { name: 'g', arguments: '' } }]);
    parts.add([{ function: { arguments: '{}' } }]);
    expect(parts.result()).toEqual([
      { id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
      { id: 'c2', type: 'function', function: { name: 'g', arguments: '{}' } },
    ]);
  });

  it('without index: a repeated id continues its call; a name the previous call lacks fills it; another name starts a call', () => {
    const parts = new ToolCallParts();
    parts.add([{ id: 'c1', type: 'function' }]);
    parts.add([{ function: { name: 'f' } }]);
    parts.add([{ id: 'c1', function: { arguments: '{"a"' } }]);
    parts.add([{ id: 'c1', function: { arguments: ':1}' } }]);
    parts.add([{ function: { name: 'f', arguments: '{}' } }]);
    expect(parts.result()).toEqual([
      { id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
      { id: '', type: 'function', function: { name: 'f', arguments: '{}' } },
    ]);
  });

  it.each([
    ['an object', { city: 'Paris', n: 2 }, '{"city":"Paris","n":2}'],
    ['an empty object', {}, '{}'],
    ['an array', [1, 2], '[1,2]'],
  ])('arguments sent as %s become its JSON text, streamed or whole', (_name, args, text) => {
    const streamed = new ToolCallParts();
    streamed.add([{ index: 0, id: 'c', type: 'function', function: { name: 'f', arguments: args } }]);
    expect(streamed.result()![0]!.function.arguments).toBe(text);
    const whole = wholeToolCalls([{ id: 'c', type: 'function', function: { name: 'f', arguments: args } }]);
    expect(whole).toEqual([{ id: 'c', type: 'function', function: { name: 'f', arguments: text } }]);
    expect(JSON.parse(whole![0]!.function.arguments)).toEqual(args);
  });

  it('a whole answer with object arguments, read as either transport reads it', () => {
    const body = {
      model: 'm',
      choices: [
        { message: { content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: { a: 1 } } }] }, finish_reason: 'tool_calls' },
      ],
    };
    const result = wholeAnswer(JSON.stringify(body), { get: (name: string) => (name === 'content-type' ? 'application/json' : null) });
    expect(result.toolCalls).toEqual([{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }]);
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

  it('a long streamed answer is every delta in order, across the flattenings of its text', () => {
    // An emoji's two halves in two deltas, at and around the 32nd delta where the text is first flattened.
    const deltas = Array.from({ length: 3000 }, (_, i) => (i % 32 === 31 ? '\ud83d' : i % 32 === 0 && i > 0 ? '\ude00' : `w${i} `));
    const seen: string[] = [];
    const answer = new StreamedAnswer((delta) => seen.push(delta));
    for (const content of deltas) answer.add({ choices: [{ delta: { content } }] });
    answer.add({ choices: [{ delta: {}, finish_reason: 'stop' }] });
    const { text } = answer.finish(headers, signal);
    expect(text).toBe(deltas.join(''));
    expect(text).toContain('w30 \ud83d\ude00w33 ');
    expect(seen).toEqual(deltas);
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

  it('a whole answer with `"model": ""` names no model, as a stream whose chunks all say "" does', () => {
    const body = (model: string) => JSON.stringify({ model, choices: [{ message: { content: 'hi' }, finish_reason: 'stop' }] });
    expect(wholeAnswer(body(''), { get: () => 'application/json' }).model).toBeNull();
    expect(wholeAnswer(body('gpt-4o-mini-2024-07-18'), { get: () => 'application/json' }).model).toBe('gpt-4o-mini-2024-07-18');
    const streamed = new StreamedAnswer();
    streamed.add({ model: '', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: 'stop' }] } as never);
    expect(streamed.finish({ get: () => 'text/event-stream' }, new AbortController().signal).model).toBeNull();
  });
});
