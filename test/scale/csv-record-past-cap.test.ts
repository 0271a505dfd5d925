/**
 * A CSV record past the real text line cap (64 Mi characters), read whole: ~12 s of a CPU-bound CI's
 * time, so a scale test (`npm run test:scale`, run by `npm run bench`). The same rule under a small
 * cap is test/input/csv-record-cap.test.ts's, in every CI run.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { MAX_LINE_CHARS, readRecords } from '../../src/input/index.js';
import type { PromptRecord } from '../../src/types.js';
import { brief, byteChunks } from '../helpers/input-chunks.js';

describe('a CSV record past the text line cap', () => {
  it('a record longer than a text line may be ends the input with its first line, after the rows before it (see csv-record-cap.test.ts)', async () => {
    const text = `id,prompt\n1,a\n2,"b\n${'x'.repeat(MAX_LINE_CHARS)}"\n3,c\n`;
    const yielded: PromptRecord[] = [];
    const run = async () => {
      for await (const r of readRecords(byteChunks(text, 1 << 20), { source: 'rows.csv', format: 'csv' })) yielded.push(r);
    };
    await expect(run()).rejects.toThrow(new InputError(`rows.csv:3: record is longer than ${MAX_LINE_CHARS} bytes; is this the right file and format?`));
    expect(yielded.map(brief)).toEqual([{ line: 2, id: '1', prompt: 'a' }]);
  });
});
