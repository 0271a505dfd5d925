/**
 * A CSV record longer than a text line may be (MAX_LINE_CHARS, made small here: the real one is
 * csv-reader.test.ts's) ends the input with its first line, after the records before it, and
 * nothing of it or after it is read as a record.
 */
import { describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/errors.js';
import type { PromptRecord } from '../../src/types.js';
import { brief, byteChunks } from '../helpers/input-chunks.js';

vi.mock('../../src/input/read-lines.js', async (original) => ({ ...(await original<object>()), MAX_LINE_CHARS: 50 }));
const { readRecords } = await import('../../src/input/index.js');

const long = 'x'.repeat(60);

async function readUntilThrown(text: string, size: number): Promise<{ records: ReturnType<typeof brief>[]; error: unknown }> {
  const records: PromptRecord[] = [];
  try {
    for await (const r of readRecords(byteChunks(text, size), { source: 'rows.csv', format: 'csv' })) records.push(r);
  } catch (error) {
    return { records: records.map(brief), error };
  }
  return { records: records.map(brief), error: undefined };
}

const tooLong = (line: number) => new InputError(`rows.csv:${line}: record is longer than 50 bytes; is this the right file and format?`);

describe.each([1, 7, Infinity])('a CSV record past the cap, read in chunks of %s bytes', (size) => {
  it('an unquoted cell: the rows before it, then its line', async () => {
    const r = await readUntilThrown(`id,prompt\n1,a\n2,${long}\n3,c\n`, size);
    expect(r.records).toEqual([{ line: 2, id: '1', prompt: 'a' }]);
    expect(r.error).toEqual(tooLong(3));
  });

  it('a quoted cell left open to the end: its first line', async () => {
    const r = await readUntilThrown(`id,prompt\n1,a\n2,"b\n${long}`, size);
    expect(r.records).toEqual([{ line: 2, id: '1', prompt: 'a' }]);
    expect(r.error).toEqual(tooLong(3));
  });

  it('the header', async () => {
    const r = await readUntilThrown(`id,${long}\n1,a\n`, size);
    expect(r.records).toEqual([]);
    expect(r.error).toEqual(tooLong(1));
  });

  it('a record at the cap is read', async () => {
    const r = await readUntilThrown(`id,prompt\n1,${'y'.repeat(49)}\n`, size);
    expect(r).toEqual({ records: [{ line: 2, id: '1', prompt: 'y'.repeat(49) }], error: undefined });
  });
});
