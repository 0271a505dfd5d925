import { InputError, RunError } from '../errors.js';
import { errorMessage } from '../util/error-message.js';

/** Wraps a failure to read the input (ENOENT, EISDIR, a broken pipe…) as a run-level `InputError` naming the source. */
export function readFailure(source: string, err: unknown): RunError {
  if (err instanceof RunError) return err;
  const detail = errorMessage(err);
  const wrapped = new InputError(`${source}: cannot read input (${detail})`);
  Object.defineProperty(wrapped, 'cause', { value: err, enumerable: false });
  return wrapped;
}

/**
 * Iterates `iterable`, turning errors raised *by the source* into `InputError`s, and always closing it
 * when the consumer stops early (which destroys a Node stream and so releases the file).
 * Errors thrown by our own code between pulls are deliberately not touched.
 */
export async function* guardSource<T>(iterable: AsyncIterable<T>, source: string): AsyncGenerator<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      let step: IteratorResult<T>;
      try {
        step = await iterator.next();
      } catch (err) {
        finished = true;
        throw readFailure(source, err);
      }
      if (step.done === true) {
        finished = true;
        return;
      }
      yield step.value;
    }
  } finally {
    if (!finished) await iterator.return?.();
  }
}
