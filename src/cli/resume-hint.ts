import { OutputClosedError, RunError } from '../errors.js';
import { createKeyRedactor, createRedactor } from '../redact.js';
import { apiKeyOf, type CliConfig } from './config.js';
import { shellQuote } from './shell-quote.js';
import { InputChangedError } from './input-changed.js';
import { isStreamTarget } from './stream-target.js';

/**
 * The exact command that finishes an interrupted run: the same arguments plus --resume, less
 * --overwrite (which contradicts it; the file now holds this run's rows). When an --overwrite run
 * stopped before replacing the old file (`oldFileKept`), the same command again: resuming would
 * continue the old results, the opposite of what it asked for. `addFlag`: a flag the rest needs;
 * `dropFlag`: one it must not have.
 */
export function resumeHint(config: CliConfig, oldFileKept = false, options: { newMaxCost?: boolean; addFlag?: string; dropFlag?: string } = {}): string | null {
  // A text output has no ids to resume from (`--resume` refuses it): see unsavedNote. Nor has a
  // stream (`-o /dev/null`, a FIFO, /dev/stdout), which --resume refuses too: no line, as for `-o -`;
  // but a --batch-api run's batches are in OUT.batch.json, and --resume collects them into it.
  if (config.output.kind !== 'file' || config.output.format === 'text') return null;
  if (isStreamTarget(config.output.path) && !config.batchApi) return null;
  const all = withoutSecrets(config.argv, config);
  // After `--` (an input named `-x.txt`) every word is an argument: the options go before it.
  const end = all.indexOf('--');
  let args = end < 0 ? all : all.slice(0, end);
  const rest = end < 0 ? [] : all.slice(end);
  if (!oldFileKept) args = args.filter((arg) => arg !== '--overwrite');
  if (options.newMaxCost) args = withoutMaxCost(args);
  // What the rest needs to go through (--schema-in-prompt after a server refused response_format;
  // --no-stream added or dropped after a server that streams otherwise than asked).
  if (options.dropFlag !== undefined) args = args.filter((arg) => arg !== options.dropFlag);
  if (options.addFlag !== undefined && !args.includes(options.addFlag)) args.push(options.addFlag);
  if (!oldFileKept && !args.includes('--resume')) args.push('--resume');
  // The old cap would stop the resume again (or, live, spend it again): the user picks a new one.
  if (options.newMaxCost) args.push('--max-cost', NEW_CAP);
  const command = ['llm-batch', ...args, ...rest].map(shellQuote).join(' ');
  return `${command}${inputNote(config.input)}`;
}

/** This process's stdin named as a file: `/dev/stdin`, `/dev/fd/0`, `/proc/self/fd/0`. */
const STDIN_NAMES = /^\/(dev\/(stdin|fd\/0)|proc\/self\/fd\/0)$/;

/** Another descriptor this process was handed (`<(cmd)` is /dev/fd/63): a new process has no such input. */
const DESCRIPTOR_NAMES = /^\/(dev\/fd|proc\/(self|\d+)\/fd)\/\d+$/;

/**
 * What the command needs besides its words: stdin given again, or for `<(cmd)` (a descriptor that
 * closes with this run) the same `<(…)` again (a file in its place is another input to --resume,
 * which refuses it); nothing for a file. A shell comment, so that the hint still runs as it is
 * (`eval "$(jq -r .resumeHint s.json)" < in.txt`).
 */
function inputNote(input: CliConfig['input']): string {
  if (input.kind === 'stdin' || STDIN_NAMES.test(input.path)) return '  # with the same input on stdin';
  if (DESCRIPTOR_NAMES.test(input.path)) return `  # with the same input as on ${input.path} now: the same <(…) again`;
  return '';
}

/**
 * A run-level error that stopped a run once it had sent (piped input that turns unreadable), with
 * the command that finishes the rest once its cause is fixed, as its stderr line and --summary-json's
 * `error`; unchanged when there is no such command (`hint` null) or it is not a RunError.
 */
export function withResumeCommand(err: unknown, hint: string | null): unknown {
  if (!(err instanceof RunError) || err instanceof OutputClosedError || err instanceof InputChangedError || hint === null) return err;
  return new RunError(`${err.message}; when that is fixed, run: ${hint}`, err.code, err.exitCode);
}

/**
 * The arguments as they may be shown and stored (stderr, --summary-json, cron mail): a key in a path
 * segment of --base-url (`https://gateway/sk-…/v1`) as `[redacted]`, as every other message has it,
 * and the key itself wherever it was typed. Other arguments keep their `sk-…`-like words (a
 * `sk-learn` folder).
 */
function withoutSecrets(args: readonly string[], config: CliConfig): string[] {
  const apiKey = apiKeyOf(config);
  const redactUrl = createRedactor([apiKey]);
  const exact = createKeyRedactor(apiKey);
  return args.map((arg, i) =>
    args[i - 1] === '--base-url' ? redactUrl(arg) : arg.startsWith('--base-url=') ? `--base-url=${redactUrl(arg.slice(11))}` : exact(arg),
  );
}

/** Stands for the new cap in a resume command after a budget stop: not a number, so it cannot run unedited. */
export const NEW_CAP = 'NEW_USD';

/** The arguments without `--max-cost X` / `--max-cost=X`. */
function withoutMaxCost(args: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--max-cost') i++;
    else if (!args[i]!.startsWith('--max-cost=')) kept.push(args[i]!);
  }
  return kept;
}
