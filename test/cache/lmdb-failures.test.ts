import { afterEach, describe, expect, it, vi } from 'vitest';
import { heldWrite, isLmdbError, isStoreFailure, quietLmdbConsole } from '../../src/cache/lmdb-failures.js';
import { onUnhandled, tolerateRejection } from '../../src/util/tolerate-rejection.js';

/**
 * A commit failing as lmdb 3.5.6 fails one (dist/index.cjs `rejectCommit`, then the writer's status):
 * the write rejects with "Commit failed (see commitError for details)", and `commitError`, a promise
 * of lmdb's with its `reject` hung on it that nothing holds, rejects with the cause.
 */
function failedCommit(cause: Error) {
  let rejectCause!: (reason: unknown) => void;
  const commitError = new Promise((_, reject) => (rejectCause = reject));
  Object.assign(commitError, { reject: rejectCause });
  const write = Promise.reject(Object.assign(new Error('Commit failed (see commitError for details)'), { commitError }));
  rejectCause(cause);
  return { write, commitError };
}

const lmdbError = (message: string, code: number) => Object.assign(new Error(message), { code });
const enospc = () => lmdbError('No space left on device: Attempting to write page at position 200704, size 4096', 28);

describe('heldWrite', () => {
  const unhandled: unknown[] = [];
  const onRejection = (reason: unknown) => unhandled.push(reason);
  afterEach(() => {
    process.off('unhandledRejection', onRejection);
    unhandled.length = 0;
  });

  it.each([
    ['ENOSPC', enospc()],
    ['EIO', lmdbError('Input/output error', 5)],
    ['EFBIG', lmdbError('File too large', 27)],
    ['MDB_BAD_TXN', lmdbError('MDB_BAD_TXN: Transaction must abort, has a child, or is invalid', -30782)],
  ])('rejects with the cause of a failed commit (%s) and leaves nothing unhandled', async (_, cause) => {
    process.on('unhandledRejection', onRejection);
    const { write } = failedCommit(cause);
    await expect(heldWrite(write)).rejects.toBe(cause);
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });

  it('passes a success through, and any other failure as it is', async () => {
    await expect(heldWrite(Promise.resolve(true))).resolves.toBe(true);
    const other = new Error('Database is closed');
    await expect(heldWrite(Promise.reject(other))).rejects.toBe(other);
  });
});

describe('isStoreFailure, through the shared unhandled-rejection listener', () => {
  it('tolerates what a failed commit leaves unhandled, by origin and shape, whatever its message', () => {
    const { write, commitError } = failedCommit(enospc());
    write.catch(() => {});
    commitError.catch(() => {});
    const cause = enospc();
    expect(isStoreFailure(cause, commitError)).toBe(true);
    // A write of a failed commit that nobody awaited.
    expect(isStoreFailure(Object.assign(new Error('anything'), { commitError }), Promise.resolve())).toBe(true);

    tolerateRejection(isStoreFailure);
    // The listener is the process's: taken off again, called here by hand.
    process.off('unhandledRejection', onUnhandled);
    expect(() => onUnhandled(cause, commitError)).not.toThrow();
    expect(() => onUnhandled(lmdbError('Input/output error', 5), commitError)).not.toThrow();
  });

  it('throws anything else, even with a message like lmdb’s', () => {
    tolerateRejection(isStoreFailure);
    process.off('unhandledRejection', onUnhandled);
    const plain = Promise.resolve();
    const fsError = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(isStoreFailure(fsError, plain)).toBe(false);
    expect(() => onUnhandled(fsError, plain)).toThrow(fsError);
    // lmdb-shaped, but not from lmdb's commit promise: someone else's bug, thrown as node would.
    const numeric = enospc();
    expect(() => onUnhandled(numeric, plain)).toThrow(numeric);
    const byMessage = new Error('Commit failed (see commitError for details)');
    expect(() => onUnhandled(byMessage, plain)).toThrow(byMessage);
  });
});

describe('quietLmdbConsole', () => {
  it('drops lmdb’s own print of a commit’s cause, and nothing else', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      quietLmdbConsole();
      console.error(enospc());
      expect(spy).not.toHaveBeenCalled();
      const other = new Error('something else');
      console.error(other);
      console.error('text', enospc());
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
    expect(isLmdbError(enospc())).toBe(true);
  });
});
