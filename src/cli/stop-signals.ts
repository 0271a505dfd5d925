import type { BatchStats } from '../engine/stats.js';
import type { CliIo } from './io.js';

/** How long in-flight prompts may finish after the first Ctrl-C / SIGTERM / SIGHUP. */
const GRACE_MS = 5000;

export interface StopSignals {
  /** The first Ctrl-C / SIGTERM: admit no new prompts. */
  stop: AbortSignal;
  /** The second one, or the grace period's end (or, once `closing()` was called, the first): abort the prompts in flight. */
  abort: AbortSignal;
  /**
   * Once the engine is done: from then on a signal, the first or not, aborts the returned signal (and
   * `abort`), which ends the closing work (a resume's compaction, --report) at once, as `merge` and
   * `report` end theirs; that work says what it left undone. Else "no new prompts" promised nothing
   * and the hard stop cut nothing: a million rows' report ran on for a minute, and exit 0.
   */
  closing(): AbortSignal;
  /** Removes the signal handlers and the grace timer. */
  dispose(): void;
}

/**
 * The first stop's acknowledgement: short, so that it fits a narrow terminal in a line or two. Without
 * a terminal (cron, a supervisor's SIGTERM) there is no Ctrl-C to press: the second signal is named.
 */
export function stoppingMessage(inFlight: number, graceSeconds: number, onTerminal = true): string {
  const again = onTerminal ? 'Ctrl-C again' : 'a second SIGTERM or SIGINT';
  return inFlight === 0
    ? `stopping: no new prompts (${again} to quit at once)`
    : `stopping: no new prompts; up to ${graceSeconds}s for ${inFlight} in flight (${again} aborts them)`;
}

const hasTerminal = (io: CliIo): boolean => io.stdin.isTTY === true || io.stdout.isTTY === true || io.stderr.isTTY === true;

/** Said once when a hangup arrives while no std stream is a terminal (nohup). */
export const HANGUP_IGNORED = 'hangup (SIGHUP) ignored: no terminal is attached (nohup, or stdin, stdout and stderr all redirected); stop with SIGTERM';

/**
 * Turns SIGINT / SIGTERM into the engine's two stops: a graceful one, then a hard one. SIGHUP (the
 * terminal closed, ssh dropped) stops like SIGTERM, rows kept and summary written; its terminal may
 * be gone, so a failed write of a message must not end the run uncleanly.
 *
 * Unless no std stream is a terminal: `nohup` sets SIGHUP to SIG_IGN, but Node resets every inherited
 * SIG_IGN to SIG_DFL before any JavaScript runs (SigIgn in /proc/self/status no longer has HUP), so
 * nohup cannot be told apart from here. What nohup always leaves is no terminal on stdin, stdout or
 * stderr; a hangup then is no terminal of ours going away, and the run goes on.
 */
export function listenForStop(io: CliIo, stats: BatchStats, info: (line: string) => void): StopSignals {
  const stop = new AbortController();
  const abort = new AbortController();
  let graceTimer: NodeJS.Timeout | undefined;
  let closing: AbortController | undefined;
  const onSignal = () => {
    if (closing) {
      abort.abort(new Error('interrupted'));
      closing.abort(new Error('interrupted'));
    } else if (!stop.signal.aborted) {
      const message = stoppingMessage(stats.inFlight, GRACE_MS / 1000, hasTerminal(io));
      // Stop first: the status line redrawn under the message then already says "stopping".
      stop.abort(new Error('interrupted'));
      info(message);
      graceTimer = setTimeout(() => abort.abort(new Error('interrupted')), GRACE_MS);
    } else {
      abort.abort(new Error('interrupted'));
    }
  };
  const unlisten = [io.onSignal('SIGINT', onSignal), io.onSignal('SIGTERM', onSignal), listenForHangup(io, onSignal, info)];
  return {
    stop: stop.signal,
    abort: abort.signal,
    closing() {
      closing ??= new AbortController();
      return closing.signal;
    },
    dispose() {
      clearTimeout(graceTimer);
      for (const off of unlisten) off();
    },
  };
}

/**
 * Once a run has ended and said how (its summary line, --summary-json's `exitCode`), a signal before
 * the process ends (closing the cache and the input, writing the code cache: 10-50 ms) changes
 * nothing: the first is taken and dropped, and the process ends as soon as it exits, before node puts
 * the signals' defaults back (see exitAtOnce). Left to node, one ended the process with 130 or 143
 * beside a summary of 0 (a `timeout` or a supervisor landing there). A second meets node's default,
 * should the exit hang. Call it before the run's own handlers go: no instant without one.
 */
export function ignoreLateSignal(io: CliIo): void {
  const taken = () => {
    for (const off of listening) off();
  };
  const listening = [io.onSignal('SIGINT', taken), io.onSignal('SIGTERM', taken)];
  io.exitAtOnce?.();
}

/**
 * SIGHUP: `onStop` when a std stream is a terminal (see listenForStop for why not otherwise). The
 * terminal may be gone, so failed writes to it are dropped from then on. Returns the unlisten.
 */
export function listenForHangup(io: CliIo, onStop: () => void, info: (line: string) => void): () => void {
  const onTerminal = hasTerminal(io);
  let ignored = false;
  return io.onSignal('SIGHUP', () => {
    if (!onTerminal) {
      if (!ignored) info(HANGUP_IGNORED);
      ignored = true;
      return;
    }
    io.stderr.on('error', () => {});
    if (io.stdout.isTTY) io.stdout.on('error', () => {});
    onStop();
  });
}
