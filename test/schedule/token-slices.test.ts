/**
 * The token estimate hands gpt-tokenizer bounded slices (its BPE is quadratic in a piece's length):
 * never a slice over the bound nor half a surrogate pair, and cut where o200k starts a piece anyway,
 * so that ordinary text counts exactly as a whole.
 */
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { countBySlices } from '../../src/schedule/token-slices.js';

const exact = (text: string): number => countTokens(text, { disallowedSpecial: new Set() });

/** The slices countBySlices hands its encoder. */
function slicesOf(text: string, max: number): string[] {
  const slices: string[] = [];
  countBySlices(text, (slice) => slices.push(slice), max);
  return slices;
}

/** An unpaired surrogate: `u` mode reads a pair as one code point. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;

describe('countBySlices', () => {
  it.each([
    ['one run of a letter', 'x'.repeat(5000), 64],
    ['astral CJK without a break, cut at an odd bound', '𠀀𠀁𠀂'.repeat(700), 63],
    ['a run of spaces', ' '.repeat(3000), 100],
    ['digits', '1234567890'.repeat(400), 50],
    ['punctuation', '.,;-'.repeat(900), 77],
    ['words', 'the quick brown fox jumps over the lazy dog. '.repeat(200), 32],
  ])('never hands the encoder more than the bound nor half a surrogate pair: %s', (_what, text, max) => {
    const slices = slicesOf(text, max);
    expect(slices.join('')).toBe(text);
    expect(Math.max(...slices.map((s) => s.length))).toBeLessThanOrEqual(max);
    expect(slices.filter((s) => s === '' || LONE_SURROGATE.test(s))).toEqual([]);
    expect(slices.length).toBeGreaterThanOrEqual(text.length / max);
  });

  it.each([
    [
      'English',
      "It's 10:45 and we've 12,345,678 rows left -- don't stop.\nThe  run  (double  spaced)\tgoes on.\r\n\r\nNext: \"quoted\", 'single'... ok?  \n   indented line\n",
    ],
    ['code', 'export function f(a: number[], b = {x: 1}): string {\n  if (a.length > 0 && b.x !== 2) return `${a[0]}/${b.x}`;\n\treturn "none"; // done\n}\n'],
    ['JSON', '{"id":"r-0001","messages":[{"role":"user","content":"Summarise: a,b;c"}],"max_tokens":64,"t":0.25}\n'],
    ['CJK with punctuation', '这是一个测试句子。输入文件很大，每行一个提示；模型会逐行回答！日本語の文章も、ここにあります。한국어 문장도 있습니다.'],
    ['marks and emoji', 'cafe\u0301 nai\u0308ve — “smart quotes” 👍🏽 done. Ελληνικά κείμενα, русский текст.'],
  ])('cuts only where o200k starts a piece: %s counts as it does whole', (_what, sample) => {
    const text = sample.repeat(20);
    const max = 24;
    expect(slicesOf(text, max).length).toBeGreaterThan(text.length / max);
    expect(countBySlices(text, exact, max)).toBe(exact(text));
  });

  it('cuts a long unbroken run at the bound, off by a token or so a cut', () => {
    const dna = Array.from({ length: 4096 }, (_, i) => 'ACGT'[(i * i + 7 * i) % 4]).join('');
    const whole = exact(dna);
    expect(Math.abs(countBySlices(dna, exact, 1024) - whole)).toBeLessThanOrEqual(3);
  });
});
