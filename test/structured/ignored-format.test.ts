import { describe, expect, it } from 'vitest';
import { IgnoredFormatWatch, ignoredFormat } from '../../src/structured/ignored-format.js';

describe('IgnoredFormatWatch', () => {
  it('says stop once 3 distinct rows answered in plain text, and only once', () => {
    const watch = new IgnoredFormatWatch();
    expect(watch.answer('a', 'Sure! It is "a".', false)).toBeUndefined();
    expect(watch.answer('a', 'Still prose.', false)).toBeUndefined(); // the same row's re-ask: not another row
    expect(watch.answer('b', 'The label is b.', false)).toBeUndefined();
    const stop = watch.answer('c', 'Hmm.', false);
    expect(stop).toBe('the server ignored response_format: the first 3 rows were answered in plain text, not JSON ("Sure! It is \\"a\\".")');
    expect(ignoredFormat(stop!)).toBe(true);
    expect(watch.answer('d', 'more prose', false)).toBeUndefined();
  });

  it('a valid answer, or one that is JSON at all (fenced too), ends the watch for the run', () => {
    for (const [text, valid] of [
      ['{"label":"a"}', true],
      ['{"label": 7, "extra": true}', false],
      ['[1, 2', false],
      ['null', false],
      ['"a string"', false],
      ['```json\n{"x":1}\n```', false],
    ] as const) {
      const watch = new IgnoredFormatWatch();
      watch.answer('a', 'prose', false);
      watch.answer('b', text, valid);
      expect(watch.answer('c', 'prose', false)).toBeUndefined();
      expect(watch.answer('d', 'prose', false)).toBeUndefined();
    }
    const cached = new IgnoredFormatWatch();
    cached.honoured();
    for (const row of ['a', 'b', 'c']) expect(cached.answer(row, 'prose', false)).toBeUndefined();
  });

  it('an empty answer says nothing either way', () => {
    const watch = new IgnoredFormatWatch();
    watch.answer('a', '', false);
    watch.answer('b', '  ', false);
    watch.answer('c', 'prose', false);
    watch.answer('d', 'prose', false);
    expect(watch.answer('e', 'prose', false)).toMatch(/^the server ignored response_format/);
  });

  it('a 400 refusal message is not the watch’s', () => {
    expect(ignoredFormat("Invalid parameter: 'response_format' of type 'json_schema' is not supported")).toBe(false);
  });
});
