/** Documented exit codes. */
export const ExitCode = {
  ok: 0,
  someFailed: 1,
  usage: 2,
  stoppedEarly: 3,
  interrupted: 130,
} as const;

/**
 * A problem with the run as a whole (not one prompt): bad flags, unreadable input, a rejected key.
 * It stops the run with one line on stderr. `code` is stable for scripts and tests.
 */
export class RunError extends Error {
  override readonly name = 'RunError';
  constructor(
    message: string,
    readonly code: 'usage' | 'input' | 'auth' | 'output' | 'quota' | 'resume',
    readonly exitCode: number = code === 'quota' ? ExitCode.stoppedEarly : ExitCode.usage,
  ) {
    super(message);
  }
}

/** Thrown by readers for input that cannot be read at all (as opposed to one bad record). */
export class InputError extends RunError {
  constructor(message: string) {
    super(message, 'input');
  }
}

/** Thrown for bad option values; the message names the option, the value and what was expected. */
export class UsageError extends RunError {
  constructor(message: string) {
    super(message, 'usage');
  }
}
