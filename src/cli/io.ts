import { ExitCode } from '../errors.js';
import { detachTerminalAtExit } from './hung-up-terminal.js';
import { atProcessExit, exitAtOnce } from './process-exit.js';

/** The outside world as the CLI sees it; tests and embedders pass their own. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  /** Signals to stop on (SIGINT, SIGTERM, SIGHUP); the process in real use. */
  onSignal: (signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP', handler: () => void) => () => void;
  /**
   * Lets go of rows stdout holds that its reader never took (a hard stop gave up on them), so that the
   * process can end: Node's own stdout stays open when destroyed. A caller's own streams need none.
   */
  releaseStdout?: () => void;
  /**
   * For a command that never stops on signals itself (--help, report, a dry run…): a SIGINT or
   * SIGTERM held while the CLI loaded ends the process now, as it would have then.
   */
  releaseHeldSignals?: () => void;
  /** Once a run has ended and said how: the process ends as soon as it exits (see exitAtOnce). */
  exitAtOnce?: () => void;
  /**
   * An error thrown where no promise of the run awaits it (a timer's callback, an event's): `handler`
   * says it, then the process ends with exit 70, as for one thrown in the run. Returns the undo.
   */
  onUncaught?: (handler: (err: unknown) => void) => () => void;
}

/**
 * `io` with `stdout` and/or `stderr` written elsewhere (through a screen, above a status line); stdin
 * read through a getter, as processIo's (node makes process.stdin on first use). The stdout and
 * held-signal releases stay with the process's own io.
 */
export function withStreams(io: CliIo, streams: Partial<Pick<CliIo, 'stdout' | 'stderr'>>): CliIo {
  return {
    get stdin() {
      return io.stdin;
    },
    stdout: streams.stdout ?? io.stdout,
    stderr: streams.stderr ?? io.stderr,
    env: io.env,
    onSignal: io.onSignal,
  };
}

/**
 * SIGINT and SIGTERM that came while the CLI loaded (bin/ holds them from its first line): the
 * bundle takes ~0.1-0.9 s to load and parse the options, and a `timeout`, `systemctl stop` or CI
 * cancel in that window killed the run outright (exit 143, no summary, no --summary-json).
 */
export interface HeldSignals {
  /** In the order they came. */
  held: NodeJS.Signals[];
  /** bin/'s listener that holds them, on SIGINT and SIGTERM until the CLI listens itself. */
  hold: (signal: NodeJS.Signals) => void;
}

const HELD_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function processIo(early?: HeldSignals): CliIo {
  // A reader that goes away early (`llm-batch --help | head -1`, `cache stats --json | head`) is no
  // crash with a stack trace: the exit status is a SIGPIPE'd program's, as a run's rows get.
  // A run's row writer listens too, and says more.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // Closed by releaseStdout: this is the write it cancelled (ECANCELED), and the run has said how it ended.
    if (stdoutReleased) return;
    if (err.code === 'EPIPE') process.exitCode = ExitCode.outputClosed;
    else stdoutFailed(err);
  });
  // Messages that cannot be shown (`2>/dev/full`, a closed terminal) must not cost the run its
  // rows or its exit code: they are dropped.
  process.stderr.on('error', () => {});
  return {
    // Made on first use: node makes process.stdin on first read, and that loads a stream class (an
    // fs.ReadStream for a file or /dev/null, with node:fs/promises and readline on node 24; a
    // net.Socket for a pipe), which --help and --version never use (issue 16).
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onSignal(signal, given) {
      // A hangup is the terminal gone: node 20 must not find it at exit (see detachTerminalAtExit).
      const handler =
        signal === 'SIGHUP'
          ? () => {
              // Told by the streams, made when the run began: a hung-up terminal may not say so now.
              const streams = [process.stdin, process.stdout, process.stderr];
              detachTerminalAtExit(streams.flatMap((s, fd) => (s.isTTY === true ? [fd] : [])));
              given();
            }
          : given;
      // Listening before bin/'s holder lets go: a signal with no listener at all, even for an
      // instant, would meet node's default (the process ends).
      process.on(signal, handler);
      if (early && signal !== 'SIGHUP') {
        // The run listens now: held signals of this kind reach it, in turn, once it is set up.
        process.off(signal, early.hold);
        const held = early.held.filter((s) => s === signal);
        early.held = early.held.filter((s) => s !== signal);
        for (const _ of held) setImmediate(handler);
      }
      return () => process.off(signal, handler);
    },
    releaseHeldSignals() {
      if (!early) return;
      for (const signal of HELD_SIGNALS) process.off(signal, early.hold);
      const first = early.held[0];
      early.held = [];
      // No listener is left for it: node's own default ends the process (exit 128 + the signal).
      if (first) process.kill(process.pid, first);
    },
    exitAtOnce,
    onUncaught(handler) {
      const listener = (err: unknown) => {
        // Below a progress bar or spinner: the line starts on its own, as after a bug in the run,
        // which closes the display first.
        if (process.stderr.isTTY) process.stderr.write('\x1b[1G\x1b[0J');
        try {
          handler(err);
        } catch {
          process.stderr.write('llm-batch: internal error (and another while saying it)\n');
        }
        process.exit(ExitCode.internal);
      };
      process.on('uncaughtException', listener);
      return () => process.off('uncaughtException', listener);
    },
    releaseStdout() {
      stdoutReleased = true;
      // A write its reader never took keeps the process alive until that reader reads or leaves, and
      // destroy() leaves Node's own stdout open: closing its pipe (or terminal) cancels the write.
      (process.stdout as { _handle?: { close?: () => void } })._handle?.close?.();
    },
  };
}

/** Set once releaseStdout has closed stdout: its errors from then on are none of the run's. */
let stdoutReleased = false;

let stdoutFailure: string | undefined;

/**
 * Any other write error on stdout (a full disk under `> out.jsonl`, /dev/full): a run's row writer
 * listens too and stops the run with "Cannot write output: …" and exit 2, as for `-o FILE`. Alone
 * (help, a subcommand's listing, a write after the writer closed) it is said here, once, and the
 * exit code becomes that same 2 unless it already says more than "done" or "some prompts failed".
 */
function stdoutFailed(err: Error): void {
  if (process.stdout.listenerCount('error') > 1 || stdoutFailure !== undefined) return;
  stdoutFailure = `Cannot write output: ${err.message}`;
  process.stderr.write(`llm-batch: ${stdoutFailure}\n`);
  atProcessExit(() => {
    const code = process.exitCode ?? ExitCode.ok;
    if (code === ExitCode.ok || code === ExitCode.someFailed) process.exitCode = ExitCode.usage;
  });
}
