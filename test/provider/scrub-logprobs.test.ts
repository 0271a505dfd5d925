import { describe, expect, it } from 'vitest';
import { createKeyRedactor } from '../../src/redact.js';
import { scrubLogprobs } from '../../src/provider/scrub-logprobs.js';
import { answerScrubber } from '../../src/provider/answer-scrubber.js';
import type { CompletionResult } from '../../src/provider/completion.js';

const KEY = 'sk-LEAKCHECK-1234567890abcdef';
const clean = createKeyRedactor(KEY);
const entry = (token: string, top: string[] = []) => ({
  token,
  logprob: -0.1,
  bytes: [...Buffer.from(token)],
  top_logprobs: top.map((t) => ({ token: t, logprob: -2, bytes: [...Buffer.from(t)] })),
});
const tokensOf = (logprobs: Record<string, unknown>, field = 'content') => (logprobs[field] as Array<{ token: string }>).map((e) => e.token);
const scrub = (logprobs: Record<string, unknown>) => scrubLogprobs(logprobs, KEY, clean);

describe('scrubLogprobs', () => {
  it('an answer without the key: the same object', () => {
    const logprobs = { content: ['Your', ' sk', '-learn', ' is', ' fine'].map((t) => entry(t, ['sk'])), refusal: null };
    expect(scrub(logprobs)).toBe(logprobs);
  });

  it('a key spread over tokens: the first of them keeps [redacted], the others nothing; the text joins as the answer', () => {
    const pieces = ['Your', ' key', ' is ', 'sk-', 'LEA', 'KCH', 'ECK', '-12', '345', '678', '90a', 'bcd', 'ef.', ' Bye'];
    const logprobs = { content: pieces.map((t) => entry(t, [t.toUpperCase()])), refusal: null };
    const out = scrub(logprobs);
    expect(tokensOf(out)).toEqual(['Your', ' key', ' is ', '[redacted]', '', '', '', '', '', '', '', '', '.', ' Bye']);
    const content = out.content as Array<ReturnType<typeof entry>>;
    // Unchanged tokens are the same entries; changed ones spell nothing in bytes or alternatives.
    expect(content[2]).toBe(logprobs.content[2]);
    expect(content[13]).toBe(logprobs.content[13]);
    for (const e of content.slice(3, 13)) expect(e).toMatchObject({ bytes: [], top_logprobs: [], logprob: -0.1 });
    expect(logprobs.content[4]!.token).toBe('LEA');
  });

  it('a token that starts before the key and one that ends after it keep their other text', () => {
    const out = scrub({ content: ['is sk-LEAK', 'CHECK-1234567890', 'abcdef, twice: sk-LEAKCHECK-1234567890abcdef!'].map((t) => entry(t)) });
    expect(tokensOf(out)).toEqual(['is [redacted]', '', ', twice: [redacted]!']);
    expect(tokensOf(out).join('')).toBe(clean('is sk-LEAKCHECK-1234567890abcdef, twice: sk-LEAKCHECK-1234567890abcdef!'));
  });

  it('the key escaped within one token: that token loses it, with its bytes and alternatives', () => {
    const out = scrub({ content: [entry('a %73k-LEAKCHECK-1234567890abcdef b', ['a']), entry(' ok', ['x'])] });
    expect(out.content).toEqual([{ token: 'a [redacted] b', logprob: -0.1, bytes: [], top_logprobs: [] }, entry(' ok', ['x'])]);
  });

  it('an escaped key spread over tokens: as the key itself, the other tokens kept (every token was [redacted])', () => {
    const out = scrub({ content: ['%73', 'k-LEAKCHECK', '-1234567890abcdef', ' end'].map((t) => entry(t)) });
    expect(tokensOf(out)).toEqual(['[redacted]', '', '', ' end']);
  });

  it('the refusal tokens as the content, and the key in a field of its own', () => {
    const out = scrub({ content: null, refusal: ['no: sk-LEAK', 'CHECK-1234567890abcdef'].map((t) => entry(t)), note: `echo ${KEY}` });
    expect(tokensOf(out, 'refusal')).toEqual(['no: [redacted]', '']);
    expect(out.note).toBe('echo [redacted]');
    expect(out.content).toBeNull();
  });
});

describe('answerScrubber', () => {
  const result = (over: Partial<CompletionResult>): CompletionResult => ({ text: 'hi', finishReason: 'stop', usage: null, model: 'm', headers: null, ...over });

  it("the served model's name and the logprobs go as the text does; an answer without the key stays the same object", () => {
    const scrubAnswer = answerScrubber(KEY)!;
    const plain = result({ logprobs: { content: [entry('hi')] } });
    expect(scrubAnswer(plain)).toBe(plain);
    const echoed = scrubAnswer(
      result({ text: `hi ${KEY}`, model: `gw/${KEY}`, logprobs: { content: [entry('hi '), entry('sk-LEAKCHECK'), entry('-1234567890abcdef')] } }),
    );
    expect(echoed).toMatchObject({ text: 'hi [redacted]', model: 'gw/[redacted]' });
    expect(tokensOf(echoed.logprobs!)).toEqual(['hi ', '[redacted]', '']);
  });

  it("a finish_reason the server filled with the key (an echo server's) goes as the text does", () => {
    const scrubAnswer = answerScrubber(KEY)!;
    expect(scrubAnswer(result({ finishReason: `echo:${KEY}` }))).toMatchObject({ finishReason: 'echo:[redacted]' });
    const plain = result({ finishReason: 'stop' });
    expect(scrubAnswer(plain)).toBe(plain);
  });

  it('none for a placeholder key', () => {
    expect(answerScrubber('ollama')).toBeUndefined();
  });

  /** What a terminal is handed of a stream's deltas, delta by delta (`…` where it is handed nothing), then at its end. */
  const shown = (deltas: string[]) => {
    const seen: string[] = [];
    const held = answerScrubber(KEY)!.deltas((text) => seen.push(text));
    const steps = deltas.map((delta) => {
      const before = seen.length;
      held.onDelta(delta);
      return seen.slice(before).join('') || '…';
    });
    held.end();
    return { steps, all: seen.join('') };
  };

  it("a stream's deltas: a key spread over them is held, then shown as [redacted]; text that only began like it comes on", () => {
    expect(shown(['Your key is s', 'k-LEA', 'KCH', 'ECK-1234567890abc', 'def. Bye'])).toEqual({
      steps: ['Your key is ', '…', '…', '…', '[redacted]. Bye'],
      all: 'Your key is [redacted]. Bye',
    });
    expect(shown(['This is s', 'kipped', ' now'])).toEqual({ steps: ['This is ', 'skipped', ' now'], all: 'This is skipped now' });
    // A key in one delta, and a stream that ends on what may have been its start.
    expect(shown([`a ${KEY} b`, ' and sk-LE'])).toEqual({ steps: ['a [redacted] b', ' and '], all: 'a [redacted] b and sk-LE' });
  });

  it("a stream's deltas: a key escaped as a server may write it, spread over them, is held as the key itself (it was shown whole)", () => {
    const escaped = {
      percent: ['a %7', '3%6B%2', 'DLEAK', 'CHECK-12345', '67890abcdef b'],
      unicode: ['c \\u00', '73\\u006b\\u002d', 'LEAKCHECK-1234567890abcde', 'f d'],
      entities: ['e &#11', '5;&#107;&#45;LEA', 'KCHECK-1234567890abcdef f'],
    };
    for (const [form, deltas] of Object.entries(escaped)) {
      const { steps, all } = shown(deltas);
      expect(all, form).toMatch(/^\S \[redacted\] \S$/);
      expect(steps.join(''), form).not.toMatch(/LEAK|CHECK|abcdef|%73|u0073|&#115/);
    }
  });

  it("a stream's deltas: a hex key upper-cased over them, and a key ending where the next begins, are held", () => {
    const hex = '3f9a1c0b7e2d4a6f8b1c9d0e2f3a4b5c';
    const seen: string[] = [];
    const held = answerScrubber(hex)!.deltas((text) => seen.push(text));
    for (const delta of ['Upper: 3F9', 'A1C0B7E2D4A6F8B', '1C9D0E2F3A4B5C done']) held.onDelta(delta);
    held.end();
    expect(seen.join('')).toBe('Upper: [redacted] done');
    expect(seen.join('')).not.toMatch(/3F9|5C /);
    // `…cdef us` ends in `s`, which may begin the key again: nothing of the key before it is shown.
    const pieces = `${KEY} uses sk-learn ok`.match(/.{1,5}/g)!;
    const { steps, all } = shown(pieces);
    expect(all).toBe('[redacted] uses sk-learn ok');
    expect(steps.join('')).not.toMatch(/def|cdef/);
  });
});
