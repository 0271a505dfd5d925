import { describe, expect, it } from 'vitest';
import { internalErrorLine } from '../../src/cli/internal-error.js';

describe('internalErrorLine', () => {
  it('keeps the stack for a bug report but never the API key, even one that does not look like a key', () => {
    const err = new Error('request failed with header Authorization: Bearer my-org-key-123456');
    const line = internalErrorLine(err, { OPENAI_API_KEY: ' my-org-key-123456\n' });
    expect(line).toMatch(/^llm-batch: internal error: Error: request failed with header Authorization: Bearer \[redacted\]\n {4}at /);
    expect(line).not.toContain('my-org-key-123456');
    expect(line.endsWith('\n')).toBe(true);
  });

  it('takes out key-shaped text without a key set, and prints a thrown non-Error as it is', () => {
    expect(internalErrorLine('boom sk-abc123defghijkl', {})).toBe('llm-batch: internal error: boom [redacted]\n');
  });
});
