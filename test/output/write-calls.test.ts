import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ResultRow } from '../../src/types.js';
import { errRow, okRow, useTmpDir } from '../helpers/result-rows.js';

// Count fs.writeSync calls made by the writers: one per row is what makes a crash tear at most the last row.
const writeSync = vi.hoisted(() => ({ calls: [] as string[], limit: Infinity }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const spy = (fd: number, buffer: NodeJS.ArrayBufferView | string, ...rest: unknown[]): number => {
    writeSync.calls.push(typeof buffer === 'string' ? buffer : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength).toString('utf8'));
    const [offset, length, ...more] = rest;
    if (typeof buffer === 'string' && writeSync.limit !== Infinity) {
      // A string goes down whole or in part, like a buffer.
      const bytes = Buffer.from(buffer, 'utf8');
      return real.writeSync(fd, bytes, 0, Math.min(bytes.length, writeSync.limit));
    }
    if (typeof buffer !== 'string' && typeof offset === 'number' && typeof length === 'number') {
      // Simulate short writes (the kernel may write less than asked).
      return real.writeSync(fd, buffer, offset, Math.min(length, writeSync.limit), ...(more as [number?]));
    }
    return (real.writeSync as (...a: unknown[]) => number)(fd, buffer, ...rest);
  };
  return { ...real, default: { ...real, writeSync: spy }, writeSync: spy };
});

const { openFileWriter, readResults } = await import('../../src/output/index.js');
const { collect } = await import('../helpers/result-rows.js');

const tmp = useTmpDir();

describe('file writers make one write call per row', () => {
  beforeEach(() => {
    writeSync.calls.length = 0;
    writeSync.limit = Infinity;
  });

  const rows: ResultRow[] = [okRow('multi', 'line one\nline two\r\nline "three", with comma\n\n'), errRow('e', 'first\nsecond'), okRow('=id', '=formula')];

  it.each(['jsonl', 'csv', 'text'] as const)('%s', async (format) => {
    const w = openFileWriter(join(tmp(), `out.${format}`), format, { append: false });
    const before = writeSync.calls.length; // CSV header
    for (const r of rows) await w.write(r);
    await w.close();
    const calls = writeSync.calls.slice(before);
    expect(calls).toHaveLength(rows.length);
    for (const c of calls) expect(c.endsWith('\n')).toBe(true);
  });
});

describe('writeMany appends rows that finished together with one write call', () => {
  beforeEach(() => {
    writeSync.calls.length = 0;
    writeSync.limit = Infinity;
  });

  it.each(['jsonl', 'csv', 'text'] as const)('%s', async (format) => {
    const rows: ResultRow[] = [okRow('a', 'line one\nline two'), errRow('b', 'first\nsecond'), okRow('c', 'three')];
    const dir = tmp();
    const path = join(dir, `out.${format}`);
    const one = openFileWriter(join(dir, `one.${format}`), format, { append: false });
    for (const r of rows) await one.write(r);
    await one.close();
    const w = openFileWriter(path, format, { append: false });
    const before = writeSync.calls.length;
    await w.writeMany!(rows);
    await w.close();
    const calls = writeSync.calls.slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.endsWith('\n')).toBe(true);
    // Byte for byte what row-by-row writes give.
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path, 'utf8')).toBe(readFileSync(join(dir, `one.${format}`), 'utf8'));
  });

  it('keeps writing until the whole group is out (short writes)', async () => {
    writeSync.limit = 5;
    const path = join(tmp(), 'out.jsonl');
    const rows = [okRow('a', 'héllo, wörld 🌍\nnext'), errRow('b'), okRow('c', 'é')];
    const w = openFileWriter(path, 'jsonl', { append: false });
    await w.writeMany!(rows);
    await w.close();
    writeSync.limit = Infinity;
    expect(await collect(readResults(path, 'jsonl'))).toEqual(rows);
  });
});

describe('short writes', () => {
  it.each(['jsonl', 'csv'] as const)('%s: keeps writing until the whole row is out', async (format) => {
    writeSync.limit = 3;
    const path = join(tmp(), `out.${format}`);
    const rows = [okRow('a', 'héllo, wörld 🌍\nnext'), errRow('b')];
    const w = openFileWriter(path, format, { append: false });
    for (const r of rows) await w.write(r);
    await w.close();
    writeSync.limit = Infinity;
    expect(await collect(readResults(path, format))).toEqual(rows);
  });
});
