import { describe, expect, it } from 'vitest';
import { read } from '../helpers/input-chunks.js';

describe('a .json array that does not parse', () => {
  it('is named by file and line, with the column, as a bad JSONL line is', async () => {
    const text = '[\n  "first prompt",\n  "second prompt" "third prompt"\n]\n';
    await expect(read(text, { format: 'json', source: 'in.json' })).rejects.toThrow(
      /^in\.json:3: not valid JSON at column 19 \(Expected ',' or '\]' after array element\)$/,
    );
  });

  it('a BOM does not shift the place', async () => {
    await expect(read('\uFEFF[\n{"prompt": "a"},\n{"prompt": "b"\n]', { format: 'json', source: 'in.json' })).rejects.toThrow(
      /^in\.json:4: not valid JSON at column 1 /,
    );
  });

  it('an input that just stops has no place to name: the file and the reason', async () => {
    await expect(read('[\n"a",\n', { format: 'json', source: 'in.json' })).rejects.toThrow(/^in\.json: not valid JSON \(Unexpected end of JSON input\)$/);
  });
});
