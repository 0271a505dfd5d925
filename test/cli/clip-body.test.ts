import { describe, expect, it } from 'vitest';
import { MAX_SHOWN_CHARS, clipForDisplay } from '../../src/cli/clip-body.js';

/** Whether a string holds half a surrogate pair (which JSON.stringify writes as `\ud83d`). */
const loneSurrogate = (text: string): boolean => /\\ud[89a-f][0-9a-f]{2}/i.test(JSON.stringify(text));

describe('clipForDisplay', () => {
  it('leaves a string up to MAX_SHOWN_CHARS as it is', () => {
    const body = { messages: [{ role: 'user', content: 'x'.repeat(MAX_SHOWN_CHARS) }] };
    expect(clipForDisplay(body)).toEqual({ body, clipped: false });
  });

  it.each([0, 1])('cuts a long text of emoji between code points, never in one (offset %i)', (offset) => {
    const text = `${'a'.repeat(offset)}${'😀'.repeat(MAX_SHOWN_CHARS)}`;
    const { body, clipped } = clipForDisplay({ content: text });
    expect(clipped).toBe(true);
    const shown = body.content as string;
    expect(loneSurrogate(shown)).toBe(false);
    expect(shown).toMatch(/^a?😀+ \[…[\d,]+ characters not shown…\] 😀+$/u);
  });
});
