/**
 * A source read ahead for a check (a format sniff, a CSV header, JSONL fields), keeping what it read:
 * `next` pulls and records one chunk, `read` holds them, and `replay` gives the input whole again:
 * the chunks read, then the rest pulled one chunk at a time, never ahead, so a pipe loses nothing.
 * Stopping early never closes the source.
 */
export interface RecordedSource<T> {
  next(): Promise<IteratorResult<T>>;
  readonly read: readonly T[];
  /** The chunks read are passed on again; with `failure`, its error is thrown after them. */
  replay(failure?: { err: unknown }): AsyncIterable<T>;
}

export function recordSource<T>(input: AsyncIterable<T>): RecordedSource<T> {
  const iterator = input[Symbol.asyncIterator]();
  const read: T[] = [];
  return {
    read,
    next: async () => {
      const next = await iterator.next();
      if (!next.done) read.push(next.value);
      return next;
    },
    async *replay(failure) {
      yield* read;
      if (failure) throw failure.err;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    },
  };
}
