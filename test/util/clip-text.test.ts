import { describe, expect, it } from 'vitest';
import { clipText } from '../../src/util/clip-text.js';

describe('clipText', () => {
  it('leaves text that fits as it is', () => {
    expect(clipText('short words', 11)).toBe('short words');
  });

  it('cuts before the word the cut falls in, never through it, and ends with …', () => {
    const text = `${'a '.repeat(140)}key zqkey-abc123 and more`;
    const clipped = clipText(text, 290);
    expect(clipped).toBe(`${'a '.repeat(140)}key…`);
    expect(clipped.length).toBeLessThanOrEqual(290);
  });

  it('keeps a word the cut falls just after', () => {
    expect(clipText('one two three', 8)).toBe('one two…');
  });

  it('cuts a URL between its path segments when asked', () => {
    const url = `https://gw.example/${'p/'.repeat(10)}KEY-0123456789/v1/chat/completions`;
    expect(clipText(url, 40, /[/\s]/)).toBe(`https://gw.example/${'p/'.repeat(10)}…`);
  });

  it('cuts a blob without breaks where it is, between code points', () => {
    expect(clipText('x'.repeat(400), 300)).toBe(`${'x'.repeat(299)}…`);
    const emoji = `${'y'.repeat(298)}😀zzzz`.repeat(2);
    const clipped = clipText(emoji, 300);
    expect(clipped).toBe(`${'y'.repeat(298)}…`);
    expect(clipped).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});
