/** Documented exit codes. */
export const ExitCode = {
  ok: 0,
  someFailed: 1,
  usage: 2,
  stoppedEarly: 3,
  /** The first requests all failed the same endpoint-level way (down, wrong --base-url, HTML, no stream). */
  unreachable: 4,
  /** The input held no prompts (an empty file or stdin, a CSV with only a header): nothing was sent. */
  noPrompts: 5,
  /** An error no code path expected (a bug): its stack on stderr; once sending, the rows so far kept. 70 is sysexits' EX_SOFTWARE. */
  internal: 70,
  /**
   * Try again later (sysexits' EX_TEMPFAIL): --batch-api --no-wait left batches pending, or another
   * run holds the output's lock (the next cron tick while the last one still writes).
   */
  tempFail: 75,
  interrupted: 130,
  /** The reader of stdout went away (`… | head -1`): the status of a program killed by SIGPIPE. */
  outputClosed: 141,
} as const;

/**
 * The stops a live run names (its summary's `stopped`) that a run-level error names the same way, as
 * its `code`: --batch-api's summary says them as a live run's does.
 */
const NAMED_STOPS = ['auth', 'proxy', 'quota', 'unreachable', 'response_format', 'descriptors'] as const;
export type NamedStop = (typeof NAMED_STOPS)[number];

export const isNamedStop = (reason: string): reason is NamedStop => (NAMED_STOPS as readonly string[]).includes(reason);

/**
 * A problem with the run as a whole (not one prompt): bad flags, unreadable input, a rejected key.
 * It stops the run with one line on stderr. `code` is stable for scripts and tests.
 */
export class RunError extends Error {
  /** The class's own name in each subclass (`UsageError`, `InputError`…): what a stack or `String(err)` shows. */
  override readonly name: string = 'RunError';
  constructor(
    message: string,
    readonly code: 'usage' | 'input' | 'output' | 'resume' | NamedStop,
    readonly exitCode: number = code === 'quota' ? ExitCode.stoppedEarly : code === 'unreachable' ? ExitCode.unreachable : ExitCode.usage,
  ) {
    super(message);
  }
}

/**
 * Standard output's reader closed it (EPIPE), as `head` does once it has its lines. Nobody reads what
 * follows, so the run stops at once and quietly, like a program that SIGPIPE would have killed.
 */
export class OutputClosedError extends RunError {
  override readonly name = 'OutputClosedError';
  constructor() {
    super('the reader of standard output closed it', 'output', ExitCode.outputClosed);
  }
}

/**
 * The output is locked by another live run (the next cron tick while last night's still writes): a
 * refusal like any, but the --summary-json that says `"running"` is that run's, and stays.
 */
export class OutputLockedError extends RunError {
  override readonly name = 'OutputLockedError';
  constructor(message: string) {
    super(message, 'output', ExitCode.tempFail);
  }
}

/**
 * A write to the output failed once the run was under way (a full disk, a file-size limit, an I/O
 * error): a stop like the reader leaving, not a refusal. What was written stays (at most a torn last
 * line, which --resume repairs), so the run still ends with its summary, report and resume command.
 */
export class OutputWriteError extends RunError {
  override readonly name = 'OutputWriteError';
  constructor(
    message: string,
    /**
     * Of the rows the failed write was given, how many (the first ones) are whole in the output all
     * the same: a full disk can take a group of rows part-way (RowWriter.writeMany).
     */
    readonly rowsKept = 0,
  ) {
    super(message, 'output');
  }
}

/**
 * The run's hard stop (a second Ctrl-C, the grace period's end) gave up on rows a stream had not
 * written: its reader is there but does not read (`| less` not scrolled, a consumer that hangs). The
 * run ends as interrupted, without waiting for that reader; those rows are among those not run.
 */
export class OutputAbandonedError extends RunError {
  override readonly name = 'OutputAbandonedError';
  constructor() {
    super('interrupted: the reader of the output was not reading, its last rows were given up', 'output', ExitCode.interrupted);
  }
}

/**
 * A signal that came once every row was written ended a resume's closing compaction (see
 * closeOutputTarget): the file keeps every row, the superseded ones too, and the run ends as interrupted.
 */
export class CompactionInterruptedError extends RunError {
  override readonly name = 'CompactionInterruptedError';
  /** `orderOnly`: the compaction was to put the rows in input order, none being superseded. */
  constructor(path: string, orderOnly = false) {
    super(
      orderOnly
        ? `${path} was not put back in input order (interrupted): every row is kept, and the next --resume puts them in order`
        : `${path} was not compacted (interrupted): every row is kept, the superseded ones too (the last row per prompt counts), and the next --resume compacts them`,
      'output',
      ExitCode.interrupted,
    );
  }
}

/** Thrown by readers for input that cannot be read at all (as opposed to one bad record). */
export class InputError extends RunError {
  override readonly name = 'InputError';
  constructor(message: string) {
    super(message, 'input');
  }
}

/** Thrown for bad option values; the message names the option, the value and what was expected. */
export class UsageError extends RunError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super(message, 'usage');
  }
}

/**
 * HTTP statuses a server may not give again: 408 and 409 (a timeout, a conflict), Groq's 498 (flex
 * capacity) and 5xx. One list for a run's retries, a resume's re-runs and the Batch API's calls.
 */
export const isTransientStatus = (status: number): boolean => status === 408 || status === 409 || status === 498 || status >= 500;

/**
 * The code of a refusal of a prompt longer than the model's context: OpenAI's own, and ours for a
 * server that says so in words only (Ollama's 500 or its stream's error event, which have no code).
 */
export const CONTEXT_LENGTH_EXCEEDED = 'context_length_exceeded';

/**
 * Whether an `http` failure may pass if the request is sent again: no status (an error event in a
 * stream) or a transient one, unless the server said the prompt does not fit the model's context,
 * which it will not the next time either (each attempt made a local model read the whole prompt).
 */
export const isTransientHttp = (status: number | undefined, code: string | undefined): boolean =>
  code !== CONTEXT_LENGTH_EXCEEDED && (status === undefined || isTransientStatus(status));
