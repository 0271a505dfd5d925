import { describe, expect, it } from 'vitest';
import { KeyHold, MAX_HELD } from '../../src/provider/trace-key-hold.js';

const KEY = 'sk-LEAKCHECK-1234567890abcdef';
/** An SSE event as OpenAI streams one: the piece in `delta.content`, and in its logprobs token with its bytes. */
const event = (piece: string) =>
  `data: ${JSON.stringify({ id: 'c', model: 'm', choices: [{ index: 0, delta: { content: piece }, logprobs: { content: [{ token: piece, bytes: [...Buffer.from(piece)] }] } }] })}`;
const contentOf = (line: string) => JSON.parse(line.slice(6)).choices[0].delta.content as string;

/** Every line pushed, then the end: what was written, in order. */
function run(lines: string[]): { written: string[]; waits: number[] } {
  const hold = new KeyHold(KEY);
  const written: string[] = [];
  const waits: number[] = [];
  lines.forEach((line, i) => {
    written.push(...hold.push(line));
    if (written.length <= i) waits.push(i);
  });
  written.push(...hold.end());
  return { written, waits };
}

describe('KeyHold', () => {
  it('lines with no start of the key in sight are written at once, as they came', () => {
    const lines = ['Hello', ' world', '!', ' The end'].map(event);
    expect(run([...lines, 'data: [DONE]'])).toEqual({ written: [...lines, 'data: [DONE]'], waits: [] });
  });

  it('a key spread over events: its events wait, then come with [redacted] where it starts and nothing after', () => {
    const pieces = ['Your', ' key is s', 'k-', 'LEA', 'KCH', 'ECK-1234567890', 'abc', 'def', '. Bye'];
    const { written, waits } = run([...pieces.map(event), 'data: {"choices":[],"usage":{}}']);
    expect(waits).toEqual([1, 2, 3, 4, 5, 6]);
    expect(written.map((l) => (l.includes('"delta"') ? contentOf(l) : l))).toEqual([
      'Your',
      ' key is [redacted]',
      '',
      '',
      '',
      '',
      '',
      '',
      '. Bye',
      'data: {"choices":[],"usage":{}}',
    ]);
    // The logprobs token says what the content says; the bytes of a rewritten event go.
    const rewritten = JSON.parse(written[1]!.slice(6)).choices[0].logprobs.content[0];
    expect(rewritten).toEqual({ token: ' key is [redacted]', bytes: [] });
    expect(written.join('\n')).not.toMatch(/LEA|KCH|abc/);
  });

  it.each([
    [
      "a function call's arguments",
      (piece: string) => ({ tool_calls: [{ index: 0, function: { arguments: piece } }] }),
      (d: any) => d.tool_calls[0].function.arguments,
    ],
    ["a reasoning model's reasoning_content", (piece: string) => ({ reasoning_content: piece }), (d: any) => d.reasoning_content],
    ["a reasoning model's reasoning", (piece: string) => ({ reasoning: piece }), (d: any) => d.reasoning],
  ])('a key spread over the events of %s is held and rewritten as in the answer text', (_what, delta, textOf) => {
    const pieces = ['{"k":"', 'sk-LEA', 'KCH', 'ECK-12345', '67890ab', 'cdef', '"}'];
    const lines = pieces.map((piece) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: delta(piece) }] })}`);
    const { written } = run(lines);
    expect(written.map((l) => textOf(JSON.parse(l.slice(6)).choices[0].delta))).toEqual(['{"k":"', '[redacted]', '', '', '', '', '"}']);
    expect(written.join('\n')).not.toMatch(/LEA|KCH|cdef/);
  });

  it('a key ending in an event that ends as the key begins (`…def u`, `ses s`): nothing of it is written (its last characters were)', () => {
    const pieces = `${KEY} uses sk-learn ok`.match(/.{1,5}/g)!;
    const { written } = run(pieces.map(event));
    expect(written.map(contentOf).join('')).toBe('[redacted] uses sk-learn ok');
    expect(written.join('\n')).not.toMatch(/LEA|KCH|def/);
    const twice = `${KEY}${KEY} twice`.match(/.{1,11}/g)!;
    expect(run(twice.map(event)).written.map(contentOf).join('')).toBe('[redacted][redacted] twice');
  });

  it.each([
    ['percent-encoded', (k: string) => [...k].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')],
    ['\\u-escaped', (k: string) => [...k].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')],
    ['as HTML entities', (k: string) => [...k].map((c) => `&#${c.charCodeAt(0)};`).join('')],
  ])('a key %s, spread over events: held and rewritten as the key itself (it was written whole)', (_, escaped) => {
    const text = `a ${escaped(KEY)} b`;
    const { written } = run(text.match(/.{1,3}/g)!.map(event));
    expect(written.map(contentOf).join('')).toBe('a [redacted] b');
  });

  it('a refusal spread over events is held as the answer is (it was written in pieces)', () => {
    const refusal = (piece: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { refusal: piece } }] })}`;
    const { written } = run(['I refuse ', ...KEY.match(/.{1,3}/g)!].map(refusal));
    expect(written.map((l) => JSON.parse(l.slice(6)).choices[0].delta.refusal).join('')).toBe('I refuse [redacted]');
    expect(written.join('\n')).not.toMatch(/LEA|KCH/);
  });

  it('text that only began like the key: its events come as they were once it goes another way', () => {
    const lines = ['This', ' is', ' sk', 'ipped', ' now'].map(event);
    const { written, waits } = run(lines);
    expect(written).toEqual(lines);
    // `This` ends as the key begins (`s`): its event waits for the next, as long as the text could be it.
    expect(waits).toEqual([0, 1, 2]);
  });

  it('a whole key in one event, escaped as a server may write it: rewritten at once', () => {
    const line = String.raw`data: {"choices":[{"delta":{"content":"it is sk\u002dLEAKCHECK-1234567890abcdef ok"},"logprobs":{"content":[{"token":"x","bytes":[1,2]}]}}]}`;
    expect(run([line])).toEqual({
      written: ['data: {"choices":[{"delta":{"content":"it is [redacted] ok"},"logprobs":{"content":[{"token":"x","bytes":[]}]}}]}'],
      waits: [],
    });
  });

  it('the end of the body writes what still waits, as it was', () => {
    const lines = ['The end is sk-LEA'].map(event);
    expect(run(lines).written).toEqual(lines);
  });

  it(`more than ${MAX_HELD} events while the key may still come: written with that tail [redacted], and what follows matched on`, () => {
    const quiet = 'data: {"choices":[{"delta":{"tool_calls":[]}}]}';
    const hold = new KeyHold(KEY);
    expect(hold.push(event('Your key is sk-LEA'))).toEqual([]);
    for (let i = 1; i < MAX_HELD; i++) expect(hold.push(quiet)).toEqual([]);
    const written = hold.push(quiet);
    expect(written).toHaveLength(MAX_HELD + 1);
    expect(contentOf(written[0]!)).toBe('Your key is [redacted]');
    // The rest of the key, later: nothing of it either.
    expect(hold.push(event('KCHECK-1234567890abcdef.')).map(contentOf)).toEqual(['.']);
    expect(hold.push(event(' Bye')).map(contentOf)).toEqual([' Bye']);
  });
});
