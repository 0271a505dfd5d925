import { onAbort } from './on-abort.js';

export interface LinkedAbort {
  /** Aborted with `parent`'s reason while linked; `abort()` ends it alone. */
  readonly controller: AbortController;
  /** Stops following `parent`: call it once the work the signal was for is over. */
  unlink(): void;
}

/**
 * A controller (one call's own, or `controller`) that follows a long-lived `parent` (the run's stop)
 * until unlinked. Handing `parent` itself to every call does not do: a call that adds an abort
 * listener and never removes it (the openai SDK's, one per request) leaves it on `parent`, and a
 * 24 h Batch API wait piled up one per poll, with Node's MaxListenersExceededWarning on stderr, -q
 * or not, from the 11th on.
 */
export function linkedAbort(parent: AbortSignal | undefined, controller = new AbortController()): LinkedAbort {
  if (!parent) return { controller, unlink: () => {} };
  return { controller, unlink: onAbort(parent, () => controller.abort(parent.reason)) };
}
