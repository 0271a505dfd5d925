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
  /** An lmdb database as quietLmdbConsole sees it: its env, whose writer calls back with a status. */
  class Env {
    constructor(readonly status: number) {}
    startWriting(_address: number, callback: (status: number) => unknown): unknown {
      return callback(this.status);
    }
  }
  // Read-only, as on lmdb's native class.
  Object.defineProperty(Env.prototype, 'startWriting', { writable: false, configurable: false });

  it('drops lmdb’s own print of a commit’s cause inside its writer’s failed callback, and nothing else', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const failed = { env: new Env(-30782) };
      const fine = { env: new Env(2) };
      quietLmdbConsole(failed);
      quietLmdbConsole(fine);
      // A failed status (lmdb's `default:` branch): its print of the cause is dropped, another line is not.
      failed.env.startWriting(0, () => {
        console.error(enospc());
        console.error('text', enospc());
      });
      expect(spy).toHaveBeenCalledTimes(1);
      // A status that is no failure: the callback as it was, its value passed back (2: callbacks to run).
      expect(fine.env.startWriting(0, (status) => status)).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(isLmdbError(enospc())).toBe(true);
  });

  it('leaves console.error alone outside lmdb’s writer: a host app’s error with a numeric code is printed', () => {
    const before = console.error;
    quietLmdbConsole({ env: new Env(-30782) });
    expect(console.error).toBe(before);
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const grpc = Object.assign(new Error('UNAVAILABLE'), { code: 14 });
      console.error(grpc);
      expect(spy).toHaveBeenCalledWith(grpc);
    } finally {
      spy.mockRestore();
    }
  });
});
