/**
 * writeAllSync on a descriptor node made non-blocking (our stdout when it is a socket): EAGAIN while
 * the reader is behind is waited out, and what was written before it is not written again.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeAllSync } from '../../src/util/write-all-sync.js';

afterEach(() => vi.restoreAllMocks());

const eagain = () => Object.assign(new Error('EAGAIN: resource temporarily unavailable, write'), { code: 'EAGAIN' });

describe('writeAllSync', () => {
  it('waits out EAGAIN, on the first write and after a short one, and writes every byte once', () => {
    const got: string[] = [];
    const outcomes: Array<'eagain' | number> = ['eagain', 'eagain', 4, 'eagain', 100];
    vi.spyOn(fs, 'writeSync').mockImplementation(((_fd: number, data: string | Buffer, offset?: number, length?: number) => {
      const next = outcomes.shift();
      if (next === 'eagain') throw eagain();
      const bytes = typeof data === 'string' ? Buffer.from(data) : data.subarray(offset, (offset ?? 0) + (length ?? data.length));
      const n = Math.min(next ?? bytes.length, bytes.length);
      got.push(bytes.subarray(0, n).toString());
      return n;
    }) as typeof fs.writeSync);
    expect(writeAllSync(9, 'héllo, socket')).toBe(Buffer.byteLength('héllo, socket'));
    expect(got.join('')).toBe('héllo, socket');
    expect(outcomes).toEqual([]);
  });

  it('throws any other error as it came', () => {
    vi.spyOn(fs, 'writeSync').mockImplementation(() => {
      throw Object.assign(new Error('EPIPE: broken pipe, write'), { code: 'EPIPE' });
    });
    expect(() => writeAllSync(9, 'x')).toThrow(/EPIPE/);
  });
});
