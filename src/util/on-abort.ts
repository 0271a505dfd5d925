/** The callbacks waiting on a signal, behind the one listener it has for them all. */
interface Waiting {
  readonly fns: Set<() => void>;
  readonly listener: () => void;
}

const waiting = new WeakMap<AbortSignal, Waiting>();

/**
 * Calls `fn` when `signal` aborts, at once if it has; returns what stops listening (a long-lived
 * signal, the run's stop, must not collect one listener per call). Every call on one signal shares
 * one listener: a library host running 11 batches on one AbortSignal got node's
 * MaxListenersExceededWarning on stderr, each run listening on it for its whole length.
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    fn();
    return () => {};
  }
  let entry = waiting.get(signal);
  if (!entry) {
    const fns = new Set<() => void>();
    const listener = () => {
      waiting.delete(signal);
      for (const f of fns) {
        // As an EventTarget does: one callback's throw is reported, and the rest still run.
        try {
          f();
        } catch (err) {
          queueMicrotask(() => {
            throw err;
          });
        }
      }
    };
    entry = { fns, listener };
    waiting.set(signal, entry);
    signal.addEventListener('abort', listener, { once: true });
  }
  // Its own entry: the same `fn` given twice is called twice, and each release takes one.
  const once = () => fn();
  const { fns, listener } = entry;
  fns.add(once);
  return () => {
    if (!fns.delete(once) || fns.size > 0) return;
    signal.removeEventListener('abort', listener);
    if (waiting.get(signal) === entry) waiting.delete(signal);
  };
}
