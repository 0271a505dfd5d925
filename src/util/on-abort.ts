/**
 * Calls `fn` when `signal` aborts, at once if it has; returns what stops listening (a long-lived
 * signal, the run's stop, must not collect one listener per call).
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    fn();
    return () => {};
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}
