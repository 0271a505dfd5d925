import { describe, expect, it } from 'vitest';
import { cacheClearHint } from '../../src/cli/cache-clear-hint.js';

describe('cacheClearHint', () => {
  it('names the default cache with no flag, and a chosen one quoted to paste back', () => {
    expect(cacheClearHint(undefined)).toBe('`llm-batch cache clear` removes it');
    expect(cacheClearHint('/tmp/cache')).toBe('`llm-batch cache clear --cache-dir /tmp/cache` removes it');
    expect(cacheClearHint("/tmp/Bob's cache")).toBe("`llm-batch cache clear --cache-dir '/tmp/Bob'\\''s cache'` removes it");
    // A control character in the name reaches no terminal as itself.
    expect(cacheClearHint('/tmp/\x1b]0;x\x07')).toBe("`llm-batch cache clear --cache-dir $'/tmp/\\x1b]0;x\\x07'` removes it");
  });
});
