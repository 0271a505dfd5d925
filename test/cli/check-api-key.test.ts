import { describe, expect, it } from 'vitest';
import { checkApiKey, checkHeaderVariables } from '../../src/cli/check-api-key.js';
import { UsageError } from '../../src/errors.js';

const KEY = 'sk-test-SECRET999';

describe('checkApiKey', () => {
  it.each([
    ['smart quotes around it', `\u201c${KEY}\u201d`, /a typographic quote \(U\+201C\) at position 1 of 19; remove the quotes/],
    ['a closing smart quote only', `${KEY}\u2019`, /a typographic quote \(U\+2019\) at position 18 of 18/],
    ['a control character', `sk-test-\x01SECRET999`, /a control character \(U\+0001\) at position 9 of 18/],
    ['a line break inside', `sk-test-SEC\nRET999`, /a line break \(U\+000A\) at position 12/],
    ['a carriage return inside', `sk-test\r\nx`, /a line break \(U\+000D\) at position 8/],
    ['"Bearer " in front', `Bearer ${KEY}`, /no API key contains: a space \(U\+0020\) at position 7 of 24; set it to the key alone \(no "Bearer "/],
    ['a non-breaking space', `sk-test\u00a0SECRET999`, /an invisible space \(U\+00A0\)/],
    ['an accented letter', 'sk-t\u00e9st', /a non-ASCII character \(U\+00E9\) at position 5 of 7/],
    ['an emoji (one position, not two)', 'sk-\u{1F511}x', /a non-ASCII character \(U\+1F511\) at position 4 of 5/],
  ])('refuses a key with %s, naming the variable, never the key', (_name, key, message) => {
    let error: unknown;
    try {
      checkApiKey(key, 'OPENAI_API_KEY');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    const text = (error as Error).message;
    expect(text).toMatch(/^OPENAI_API_KEY has /);
    expect(text).toMatch(message);
    expect(text).not.toContain('SECRET');
    expect(text).not.toContain('sk-t');
    expect(text).not.toMatch(/[\u201c\u201d\u2019\x01\n\r\u00a0\u00e9]/);
    expect(text).not.toContain('\u{1F511}');
    expect(text.split('\n')).toHaveLength(1);
  });

  it.each([KEY, 'sk-proj-Ab_12-xyz', 'EMPTY', '~!@#$%^&*()'])('accepts %s', (key) => {
    expect(() => checkApiKey(key, 'OPENAI_API_KEY')).not.toThrow();
  });

  it('accepts no key (a local server may need none)', () => {
    expect(() => checkApiKey(undefined, 'OPENAI_API_KEY')).not.toThrow();
  });
});

describe('checkHeaderVariables', () => {
  it.each([
    [
      'OPENAI_ORG_ID',
      '\u201corg-123\u201d',
      /^OPENAI_ORG_ID has a character that cannot be sent in an HTTP header: a typographic quote \(U\+201C\) at position 1 of 9; remove the quotes/,
    ],
    [
      'OPENAI_PROJECT_ID',
      'proj_1\nproj_2',
      /^OPENAI_PROJECT_ID has a character that cannot be sent in an HTTP header: a line break \(U\+000A\) at position 7 of 13; set it to the ID alone, on one line/,
    ],
    [
      'OPENAI_ORG_ID',
      'org 123',
      /^OPENAI_ORG_ID has a character no OpenAI ID contains: a space \(U\+0020\) at position 4 of 7; set it to the ID alone \(no second word\) \(the value is not shown\)$/,
    ],
    ['OPENAI_PROJECT_ID', 'proj_\u00e9', /a non-ASCII character \(U\+00E9\) at position 6 of 6; IDs are plain ASCII: paste the ID again/],
  ])('refuses %s = %j, naming the variable', (name, value, message) => {
    expect(() => checkHeaderVariables({ [name]: value })).toThrow(UsageError);
    expect(() => checkHeaderVariables({ [name]: value })).toThrow(message);
  });

  it('accepts IDs a header carries, and unset or blank ones (trimmed, as they are sent)', () => {
    expect(() => checkHeaderVariables({ OPENAI_ORG_ID: ' org-abc_123 ', OPENAI_PROJECT_ID: 'proj_XYZ' })).not.toThrow();
    expect(() => checkHeaderVariables({ OPENAI_ORG_ID: '   ', OPENAI_PROJECT_ID: '' })).not.toThrow();
    expect(() => checkHeaderVariables({})).not.toThrow();
  });
});
