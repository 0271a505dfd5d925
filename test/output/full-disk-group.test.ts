/**
 * A file writer whose disk fills up part-way through a group of rows (writeMany): the whole rows
 * that reached the file stay, the torn one is cut off, and the error says how many stayed. The disk
 * is fs.writeSync with room for `disk.room` more bytes: a write takes what fits (a short write, as
 * the kernel does), and one with no room at all fails with EFBIG, as `ulimit -f` makes it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { OutputWriteError } from '../../src/errors.js';
import type { ResultRow } from '../../src/types.js';
import { errRow, okRow, useTmpDir } from '../helpers/result-rows.js';

const disk = vi.hoisted(() => ({ room: Infinity }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const writeSync = (fd: number, data: NodeJS.ArrayBufferView | string, ...rest: unknown[]): number => {
    const [offset = 0, length] = rest as [number?, number?];
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const asked = typeof data === 'string' ? bytes.length : (length ?? bytes.length - offset);
    const start = typeof data === 'string' ? 0 : offset;
    if (asked > 0 && disk.room <= 0) throw Object.assign(new Error('EFBIG: file too large, write'), { code: 'EFBIG', syscall: 'write' });
    const n = Math.min(asked, disk.room);
    disk.room -= n;
    return real.writeSync(fd, bytes, start, n);
  };
  return { ...real, default: { ...real, writeSync }, writeSync };
});

const { openFileWriter, readResults, writeEach } = await import('../../src/output/index.js');
const { encoderFor } = await import('../../src/output/row-writer.js');
const { collect } = await import('../helpers/result-rows.js');

const tmp = useTmpDir();
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** What writeMany rejects with. */
async function failureOf(promise: Promise<unknown>): Promise<OutputWriteError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OutputWriteError);
  return err as OutputWriteError;
}

// Multi-line answers: in CSV they are quoted fields with newlines inside, so a record ends where
// its encoded bytes end, not at the first '\n' after the cut.
const rows: ResultRow[] = [
  okRow('a', 'héllo, wörld 🌍\nsecond line\n'),
  okRow('b', 'one\ntwo\nthree "quoted", with comma\n\nfive'),
  errRow('c', 'first\nsecond'),
  okRow('d', 'last'),
];

describe('a group that fills the disk part-way', () => {
  beforeEach(() => {
    disk.room = Infinity;
  });

  it.each(['jsonl', 'csv'] as const)('%s: keeps every whole row that fit, cuts the torn one off, and says how many stayed', async (format) => {
    const path = join(tmp(), `out.${format}`);
    const encode = encoderFor(format);
    const w = openFileWriter(path, format, { append: false });
    await w.writeMany!([rows[0]!]);
    const before = readFileSync(path, 'utf8');
    // Room for row b and part of row c: in CSV the cut falls just after a newline inside c's
    // quoted answer; a JSONL row has its only newline at its end, so it loses its last byte.
    const c = encode(rows[2]!);
    const cut = format === 'csv' ? c.indexOf('\n') + 1 : c.length - 1;
    expect(cut).toBeLessThan(c.length);
    disk.room = bytes(encode(rows[1]!)) + bytes(c.slice(0, cut));
    const err = await failureOf(w.writeMany!(rows.slice(1)));
    expect(err.message).toBe(`Cannot write to output file ${path}: EFBIG: file too large, write`);
    expect(err.rowsKept).toBe(1);
    disk.room = Infinity;
    expect(readFileSync(path, 'utf8')).toBe(before + encode(rows[1]!));
    expect(await collect(readResults(path, format))).toEqual(rows.slice(0, 2));
    // The writer refuses further rows, none of which is written.
    const later = await failureOf(w.writeMany!([rows[3]!]));
    expect(later.message).toBe(err.message);
    expect(later.rowsKept).toBe(0);
    await w.close();
    expect(await collect(readResults(path, format))).toEqual(rows.slice(0, 2));
  });

  it.each([
    ['room for none of them', () => 0, 0],
    ['room for part of the first', (lengths: number[]) => lengths[0]! - 1, 0],
    ['room for exactly two', (lengths: number[]) => lengths[0]! + lengths[1]!, 2],
    ['room for all but the last byte', (lengths: number[]) => lengths.reduce((a, b) => a + b) - 1, 3],
  ] as const)('jsonl, %s', async (_, room, kept) => {
    const path = join(tmp(), 'out.jsonl');
    const encode = encoderFor('jsonl');
    const w = openFileWriter(path, 'jsonl', { append: false });
    disk.room = room(rows.map((row) => bytes(encode(row))));
    const err = await failureOf(w.writeMany!(rows));
    expect(err.rowsKept).toBe(kept);
    disk.room = Infinity;
    expect(readFileSync(path, 'utf8')).toBe(rows.slice(0, kept).map(encode).join(''));
    await w.close();
  });

  it('row by row (writeEach without writeMany): the rows before the failed one are counted as kept', async () => {
    const path = join(tmp(), 'out.jsonl');
    const encode = encoderFor('jsonl');
    const file = openFileWriter(path, 'jsonl', { append: false });
    const oneByOne = { write: (row: ResultRow) => file.write(row), close: () => file.close() };
    disk.room = bytes(encode(rows[0]!)) + bytes(encode(rows[1]!)) + 3;
    const err = await failureOf(writeEach(oneByOne, rows));
    expect(err.rowsKept).toBe(2);
    disk.room = Infinity;
    expect(readFileSync(path, 'utf8')).toBe(rows.slice(0, 2).map(encode).join(''));
    await file.close();
  });
});
