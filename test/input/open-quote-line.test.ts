import { describe, expect, it } from 'vitest';
import { openQuoteLine } from '../../src/input/open-quote-line.js';

describe('openQuoteLine', () => {
  it.each<[string, string, number | undefined]>([
    ['2,"open forever\n3,x\n4,y\n', ',', 0],
    ['\n\n2,"open\n', ',', 0],
    ['2,"a\nb","open\n3,x\n', ',', 1],
    ['2,"say ""hi""\nthen","open', ',', 1],
    ['2,5" screen\n3,"open', ',', 1],
    ['2;"a";"b\nc', ';', 0],
    ['2,"closed"\n', ',', undefined],
    ['2,x"y,"z"', ',', undefined],
    ['2\t"open\r3', '\t', 0],
  ])('%j (%j): %s', (raw, delimiter, line) => {
    expect(openQuoteLine(raw, delimiter)).toBe(line);
  });
});
