import type { BatchStats } from '../engine/stats.js';
import type { CliIo } from './io.js';

/** How long in-flight prompts may finish after the first Ctrl-C / SIGTERM / SIGHUP. */
const GRACE_MS = 5000;

export interface StopSignals {
  /** The first Ctrl-C / SIGTERM: admit no new prompts. */
  stop: AbortSignal;
  /** The second one, or the grace period's end: abort the prompts in flight. */
  abort: AbortSignal;
  /** Removes the signal handlers and the grace timer. */
  dispose(): void;
}

/** The first Ctrl-C's acknowledgement: short, so that it fits a narrow terminal in a line or two. */
export function stoppingMessage(inFlight: number, graceSeconds: number): string {
  return inFlight === 0
    ? 'stopping: no new prompts (Ctrl-C again to quit at once)'
    : `stopping: no new prompts; up to ${graceSeconds}s for ${inFlight} in flight (Ctrl-C again aborts them)`;
}

/**
 * Turns SIGINT / SIGTERM into the engine's two stops: a graceful one, then a hard one. SIGHUP (the
 * terminal closed, ssh dropped) stops like SIGTERM, rows kept and summary written; its terminal may
 * be gone, so a failed write of a message must not end the run uncleanly.
 */
export function listenForStop(io: CliIo, stats: BatchStats, info: (line: string) => void): StopSignals {
  const stop = new AbortController();
  const abort = new AbortController();
  let graceTimer: NodeJS.Timeout | undefined;
  const onSignal = () => {
    if (!stop.signal.aborted) {
      info(stoppingMessage(stats.inFlight, GRACE_MS / 1000));
      stop.abort(new Error('interrupted'));
      graceTimer = setTimeout(() => abort.abort(new Error('interrupted')), GRACE_MS);
    } else {
      abort.abort(new Error('interrupted'));
    }
  };
  const onHangup = () => {
    io.stderr.on('error', () => {});
    if (io.stdout.isTTY) io.stdout.on('error', () => {});
    onSignal();
  };
  const unlisten = [io.onSignal('SIGINT', onSignal), io.onSignal('SIGTERM', onSignal), io.onSignal('SIGHUP', onHangup)];
  return {
    stop: stop.signal,
    abort: abort.signal,
    dispose() {
      clearTimeout(graceTimer);
      for (const off of unlisten) off();
    },
  };
}
