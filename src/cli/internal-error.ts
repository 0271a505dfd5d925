import { createRedactor } from '../redact.js';

/**
 * An error no code path expected that ended a run once it had begun sending. The rows written so
 * far stay, and `--resume` sends the rest: the line says so, as every other stop's does, rather
 * than leave a cron log with a stack and no way on.
 */
export class StoppedByBug extends Error {
  constructor(
    readonly bug: unknown,
    readonly resumeHint: string | null,
  ) {
    super('internal error', { cause: bug });
    this.name = 'StoppedByBug';
  }
}

/**
 * The line for an error no code path expected: its stack, for a bug report, but with the API key
 * taken out, as every other message has it (an error's message may quote a request or a header).
 */
export function internalErrorLine(err: unknown, env: Readonly<Record<string, string | undefined>>): string {
  const redact = envKeyRedactor(env);
  const bug = err instanceof StoppedByBug ? err.bug : err;
  const line = `llm-batch: internal error: ${redact(bug instanceof Error ? (bug.stack ?? bug.message) : textOf(bug))}\n`;
  if (!(err instanceof StoppedByBug)) return line;
  const next = err.resumeHint === null ? '' : `; to send the rest, run: ${err.resumeHint}`;
  return `${line}llm-batch: stopped by the error above (please report it); the rows written so far are kept${next}\n`;
}

/** Takes the environment's API key out of a line, as a command that has no config of its own needs. */
export function envKeyRedactor(env: Readonly<Record<string, string | undefined>>): (text: string) => string {
  const key = env['OPENAI_API_KEY'];
  return createRedactor([key?.trim(), key]);
}

/** The error's first line, as --summary-json's `error` gives it: its name and message, the key taken out. */
export function internalErrorMessage(bug: unknown, redact: (text: string) => string): string {
  return `internal error: ${bugFirstLine(bug, redact)}`;
}

/** A bug's name and message, their first line, the key taken out: `TypeError: x is not a function`. */
export function bugFirstLine(bug: unknown, redact: (text: string) => string): string {
  const text = bug instanceof Error ? `${bug.name}: ${bug.message}` : textOf(bug);
  return redact(text.split('\n')[0] ?? '');
}

/**
 * Whether an error a command's catch-all meets is a bug rather than a failure it reports: what the
 * engine throws for code that is wrong ("x is not a function", "Cannot read properties of
 * undefined"). Node's own such errors carry a `code` (ERR_INVALID_URL for a base URL that is no
 * URL): those are the user's, said in a line as before.
 */
export function isBug(err: unknown): boolean {
  const coded = typeof err === 'object' && err !== null && 'code' in err;
  return !coded && (err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError);
}

/** A thrown value as text: String() throws for some (an object with no prototype, a Symbol's description aside). */
function textOf(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
