import { describe, expect, it } from 'vitest';
import type { RowWriter } from '../../src/output/index.js';
import { replaceOnFirstRow } from '../../src/cli/replace-on-first-row.js';
import { okRow } from '../helpers/result-rows.js';

/** A writer that keeps what it is given. */
function keepingWriter(): RowWriter & { rows: unknown[] } {
  const rows: unknown[] = [];
  return {
    rows,
    write: async (row) => void rows.push(row),
    close: async () => {},
  };
}

describe('replaceOnFirstRow', () => {
  it('leaves the old results until a row comes: nothing opened, nothing said replaced', async () => {
    let opens = 0;
    const pending = replaceOnFirstRow(() => {
      opens++;
      return keepingWriter();
    });
    const heard: string[] = [];
    pending.onReplace(() => heard.push('replaced'));
    await pending.close();
    expect({ opens, replaced: pending.replaced, heard }).toEqual({ opens: 0, replaced: false, heard: [] });
  });

  it('replaces them at the first row, once, and tells its listeners once', async () => {
    const writer = keepingWriter();
    let opens = 0;
    const pending = replaceOnFirstRow((gone) => {
      opens++;
      gone();
      return writer;
    });
    const heard: string[] = [];
    pending.onReplace(() => heard.push('replaced'));
    await pending.write(okRow('a', 'A'));
    await pending.write(okRow('b', 'B'));
    expect({ opens, replaced: pending.replaced, heard, rows: writer.rows.length }).toEqual({ opens: 1, replaced: true, heard: ['replaced'], rows: 2 });
  });

  it('an open that says nothing of the old results replaced them once it returns a writer', async () => {
    const pending = replaceOnFirstRow(() => keepingWriter());
    pending.replace();
    expect(pending.replaced).toBe(true);
  });

  it('a writer that fails to open after the old results went: replaced all the same, said once; the next row opens again', async () => {
    const writer = keepingWriter();
    let opens = 0;
    const pending = replaceOnFirstRow((gone) => {
      opens++;
      gone();
      if (opens === 1) throw new Error('EMFILE: too many open files');
      return writer;
    });
    const heard: string[] = [];
    pending.onReplace(() => heard.push('replaced'));
    await expect(pending.write(okRow('a', 'A'))).rejects.toThrow('EMFILE');
    expect({ replaced: pending.replaced, heard }).toEqual({ replaced: true, heard: ['replaced'] });
    await pending.write(okRow('b', 'B'));
    expect({ opens, heard, rows: writer.rows.length }).toEqual({ opens: 2, heard: ['replaced'], rows: 1 });
  });

  it('an open that fails before the old results went (their record could not be written): kept', async () => {
    const pending = replaceOnFirstRow(() => {
      throw new Error('ENOSPC: no space left on device');
    });
    const heard: string[] = [];
    pending.onReplace(() => heard.push('replaced'));
    await expect(pending.write(okRow('a', 'A'))).rejects.toThrow('ENOSPC');
    expect({ replaced: pending.replaced, heard }).toEqual({ replaced: false, heard: [] });
  });
});
