import { describe, expect, it } from 'vitest';
import { outputCell } from '../../src/structured/columns.js';
import { keepNumbersAsWritten, stringifyExact } from '../../src/structured/exact-numbers.js';

/** keepNumbersAsWritten of a text, as the answer check calls it (after JSON.parse and validation). */
const kept = (text: string): unknown => keepNumbersAsWritten(text, JSON.parse(text));

describe('keepNumbersAsWritten / stringifyExact', () => {
  it.each([
    ['an integer above 2^53', '{"id":1234567890123456789}'],
    ['2^53 + 1 in an array', '[9007199254740993,1]'],
    ['a 20-digit decimal', '{"p":0.12345678901234567891}'],
    ['beyond a double: overflow and underflow', '{"big":1e400,"tiny":-1e-400}'],
    ['nested, beside numbers a double holds', '{"a":{"b":[{"c":12345678901234567890,"d":2.5,"e":-3}]},"s":"12345678901234567890"}'],
    ['minus zero, however written (a double holds it, JSON writes 0)', '{"a":-0.0,"b":-0,"c":-0e5,"d":[-0.000E-3],"e":-0.5}'],
    ['20 digits a point splits, with no run of 16', '{"p":1234567890.1234567890}'],
    ['an integer above 2^53 written with an exponent', '{"a":90071992547409.93e2,"b":1e23}'],
  ])('%s: written back as the answer wrote it', (_name, text) => {
    expect(stringifyExact(kept(text))).toBe(text);
  });

  it("numbers a double holds stay plain numbers, and the value is JSON.parse's own when none would change", () => {
    const text = '{"n":3,"x":2.5,"s":"a 16-digit run 1234567890123456 in a string"}';
    const parsed = JSON.parse(text);
    expect(keepNumbersAsWritten(text, parsed)).toEqual(parsed);
    const plain = '{"n":3}';
    const same = JSON.parse(plain);
    expect(keepNumbersAsWritten(plain, same)).toBe(same);
  });

  it.each([
    ['a UUID with a digit before an e, and a segment starting -0', '{"id":"550e8400-e29b-41d4-a716-0f6655440000","n":-1.5}'],
    ['hex and a long digit run inside words', '{"sha":"3e2f9a0e1b","ref":"x12345678901234567","v":"-0x"}'],
  ])("%s: parsed once, the value is JSON.parse's own", (_name, text) => {
    const parsed = JSON.parse(text);
    expect(keepNumbersAsWritten(text, parsed)).toBe(parsed);
  });

  it.each([
    ['pretty-printed', '[\n  {\n    "a": 12345678901234567890\n  }\n]'],
    ['a top-level number', '1e400'],
    ['after a comma in an array', '[1,-0]'],
  ])('%s: a number that would change is still found', (_name, text) => {
    expect(stringifyExact(kept(text))).toBe(text.replace(/\s+/g, ''));
  });

  it('a number a double holds is its value, written as JSON writes it', () => {
    expect(stringifyExact(kept('{"a":-0.0,"b":1E5,"c":1.50,"d":0.0,"e":1e-7}'))).toBe('{"a":-0.0,"b":100000,"c":1.5,"d":0,"e":1e-7}');
  });

  it.each([
    ['a long number last', '{"id":1,"id":12345678901234567890}', '{"id":12345678901234567890}'],
    ['a long number first', '{"id":12345678901234567890,"id":1}', '{"id":1}'],
    [
      'nested, the key kept where it first came',
      '{"a":{"x":12345678901234567890,"y":0,"x":1e400},"b":-0.0,"a":{"x":12345678901234567891}}',
      '{"a":{"x":12345678901234567891},"b":-0.0}',
    ],
  ])("a key given twice, %s: JSON.parse's choice (the last), numbers as written", (_name, text, written) => {
    expect(stringifyExact(kept(text))).toBe(written);
  });

  it('a CSV cell of a kept number, alone or inside an array, is its digits', () => {
    const value = kept('{"id":1234567890123456789,"ids":[9007199254740993,2]}') as Record<string, unknown>;
    expect(outputCell(value.id)).toBe('1234567890123456789');
    expect(outputCell(value.ids)).toBe('[9007199254740993,2]');
  });
});
