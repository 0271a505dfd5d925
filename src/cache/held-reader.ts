/** What the held reader needs of an LMDB database: its read transactions. */
export interface ReadTransactions<T extends { done(): void }> {
  useReadTransaction(): T;
}

/**
 * How long lookups share one read transaction. Within it another process's answers are not seen
 * yet (this store's own are: see {@link heldReader}'s `drop`); a run asks each prompt once, so a
 * lookup rarely misses by it, and then only asks the prompt again.
 */
export const READER_MS = 100;

/**
 * One read transaction for a database's lookups, taken on the first lookup and let go `ms` later
 * (or at `drop`). lmdb renews a read transaction of its own on the first read of each event turn
 * and sets a 0 ms timer to reset it: a timer, and a wake-up of the loop, per lookup when answers
 * come one a turn (1,626 of a paced 3,000-prompt run's timers, issue 16). This one takes two
 * timers every `ms` of lookups, and none while there are none. It is let go at once rather than
 * kept while lookups go on: a held snapshot keeps LMDB from reusing the pages freed after it, and
 * an idle run (a long rate-limit pause) holds none.
 */
export function heldReader<T extends { done(): void }>(ms = READER_MS) {
  let txn: T | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drop = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const held = txn;
    txn = undefined;
    try {
      held?.done();
    } catch {
      // Ended already: by the database's close, which aborts the transactions still open.
    }
  };
  return {
    /** The transaction to read `db` through now. */
    of(db: ReadTransactions<T>): T {
      if (txn === undefined) {
        txn = db.useReadTransaction();
        timer = setTimeout(drop, ms);
        // A run that is over does not wait for it.
        timer.unref?.();
      }
      return txn;
    },
    /** Lets the transaction go: after this store commits (its lookups must then see what it wrote), and before it closes. */
    drop,
  };
}
