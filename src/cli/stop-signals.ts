import type { BatchStats } from '../engine/stats.js';
import type { CliIo } from './io.js';

/** How long in-flight prompts may finish after the first Ctrl-C / SIGTERM. */
const GRACE_MS = 5000;

export interface StopSignals {
  /** The first Ctrl-C / SIGTERM: admit no new prompts. */
  stop: AbortSignal;
  /** The second one, or the grace period's end: abort the prompts in flight. */
  abort: AbortSignal;
  /** Removes the signal handlers and the grace timer. */
  dispose(): void;
}

/** Turns SIGINT / SIGTERM into the engine's two stops: a graceful one, then a hard one. */
export function listenForStop(io: CliIo, stats: BatchStats, info: (line: string) => void): StopSignals {
  const stop = new AbortController();
  const abort = new AbortController();
  let graceTimer: NodeJS.Timeout | undefined;
  const onSignal = () => {
    if (!stop.signal.aborted) {
      info(`stopping: no new prompts; waiting up to ${GRACE_MS / 1000}s for ${stats.inFlight} in flight (press Ctrl-C again to abort them)`);
      stop.abort(new Error('interrupted'));
      graceTimer = setTimeout(() => abort.abort(new Error('interrupted')), GRACE_MS);
    } else {
      abort.abort(new Error('interrupted'));
    }
  };
  const unlisten = [io.onSignal('SIGINT', onSignal), io.onSignal('SIGTERM', onSignal)];
  return {
    stop: stop.signal,
    abort: abort.signal,
    dispose() {
      clearTimeout(graceTimer);
      for (const off of unlisten) off();
    },
  };
}
