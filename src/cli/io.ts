import { ExitCode } from '../errors.js';

/** The outside world as the CLI sees it; tests and embedders pass their own. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  /** Signals to stop on (SIGINT, SIGTERM, SIGHUP); the process in real use. */
  onSignal: (signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP', handler: () => void) => () => void;
}

export function processIo(): CliIo {
  // A reader that goes away early (`llm-batch --help | head -1`, `cache stats --json | head`) is no
  // crash with a stack trace: the exit status is a SIGPIPE'd program's, as a run's rows get.
  // A run's row writer listens too, and says more.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exitCode = ExitCode.outputClosed;
  });
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onSignal(signal, handler) {
      process.on(signal, handler);
      return () => process.off(signal, handler);
    },
  };
}
