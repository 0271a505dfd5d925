import { describe, expect, it } from 'vitest';
import { stripFence } from '../../src/structured/strip-fence.js';

describe('stripFence', () => {
  it.each([
    ['```json\n{"a":1}\n```', '{"a":1}'],
    ['```\n{"a":1}\n```', '{"a":1}'],
    ['  ```json  \r\n{"a":1}\r\n```  \n', '{"a":1}'],
    ['```JSON\n{"a":1}\n```', '{"a":1}'],
    ['```Json\n[1, 2]\n```', '[1, 2]'],
    ['```{"a":1}```', '{"a":1}'],
    ['```json {"a":1} ```', '{"a":1}'],
    ['Here is the JSON:\n```json\n{"a":1}\n```', '{"a":1}'],
    ['Sure!\n\n```json\n{"a":"x```y"}\n```\n', '{"a":"x```y"}'],
  ])('%j is %j', (text, inner) => {
    expect(stripFence(text)).toBe(inner);
  });

  it.each([
    ['no fence', '{"a":1}'],
    ['two lines of prose before it', 'Hello.\nHere it is:\n```json\n{"a":1}\n```'],
    ['prose after it', '```json\n{"a":1}\n```\nHope this helps!'],
    ['another language', '```python\nprint(1)\n```'],
    ['a fence only opened', '```json\n{"a":1}'],
  ])('%s: left as it is', (_what, text) => {
    expect(stripFence(text)).toBe(text);
  });

  it('takes linear time on long runs of spaces (a 5 MB answer is checked once per attempt)', () => {
    const start = performance.now();
    for (const text of [' '.repeat(200_000) + 'x', 'a\n' + ' '.repeat(200_000) + 'x', '```\n' + ' '.repeat(200_000) + 'x', '```{' + ' '.repeat(200_000)]) {
      expect(stripFence(text)).toBe(text);
    }
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
