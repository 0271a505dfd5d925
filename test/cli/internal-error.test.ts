import { describe, expect, it } from 'vitest';
import { internalErrorLine, internalErrorMessage, StoppedByBug } from '../../src/cli/internal-error.js';

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

describe('internalErrorLine after a run began sending', () => {
  it('adds a line that the rows so far are kept, with the command that sends the rest when there is one', () => {
    const bug = new TypeError('x is undefined');
    const withHint = internalErrorLine(new StoppedByBug(bug, 'llm-batch in.txt -o out.jsonl --resume'), {});
    expect(withHint).toMatch(/^llm-batch: internal error: TypeError: x is undefined\n {4}at /);
    expect(
      withHint.endsWith(
        '\nllm-batch: stopped by the error above (please report it); the rows written so far are kept; to send the rest, run: llm-batch in.txt -o out.jsonl --resume\n',
      ),
    ).toBe(true);
    // Rows to stdout: no file to resume from.
    expect(internalErrorLine(new StoppedByBug('boom', null), {})).toBe(
      'llm-batch: internal error: boom\nllm-batch: stopped by the error above (please report it); the rows written so far are kept\n',
    );
  });
});

describe('internalErrorMessage', () => {
  it("is the error's first line, named, with the key taken out", () => {
    const redact = (text: string) => text.replaceAll('k-123', '[redacted]');
    expect(internalErrorMessage(new RangeError('bad k-123\nmore'), redact)).toBe('internal error: RangeError: bad [redacted]');
    expect(internalErrorMessage(42, redact)).toBe('internal error: 42');
  });
});

describe('a thrown value String() cannot take', () => {
  it('is said as its kind, not a second error while saying the first', () => {
    const bare = Object.create(null) as object;
    expect(internalErrorLine(bare, {})).toBe('llm-batch: internal error: [object Object]\n');
    expect(internalErrorMessage(bare, (text) => text)).toBe('internal error: [object Object]');
  });
});
