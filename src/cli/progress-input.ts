import fs from 'node:fs';
import { type Command, CommanderError, InvalidArgumentError } from 'commander';
import { ExitCode } from '../errors.js';
import { MAX_SECONDS, MIN_PROGRESS_SECONDS, seconds } from './parse-flags.js';

/**
 * `--progress in.txt`: commander gives an optional value the next argument that is not an option,
 * so the input would be read as --progress's seconds. An argument that is no number and is a file
 * (or `-`, stdin) is the input instead: it is handed back as this, and {@link takeProgressInput}
 * makes it the positional argument.
 */
export class ProgressInput {
  constructor(
    readonly path: string,
    /** A --progress given again with seconds (`--progress in.txt --progress 30`), either side. */
    readonly seconds?: number,
  ) {}
}

/** Looks like a number a user meant as seconds (`10`, `.5`, `10s`, `-1`, `1e3`): refused as one when it is no file. */
const NUMERIC = /^\s*[-+.\d]/;

/**
 * `--progress [seconds]`'s value: seconds, or the input file it was given in place of them (`q.txt`,
 * `./q.txt`, `2024.jsonl`). `previous` is what an earlier --progress gave: an input it took stays the
 * input whichever of the two brings the seconds (taken as the last value, it was dropped, and the
 * run read stdin instead).
 */
export function progressValue(value: string, previous?: unknown): number | ProgressInput {
  if (value === '-' || (fs.existsSync(value) && !Number.isFinite(Number(value.replace(/s\s*$/, ''))))) {
    if (previous instanceof ProgressInput) throw new InvalidArgumentError(`It would be a second input: ${previous.path} is the first.`);
    return new ProgressInput(value, typeof previous === 'number' ? previous : undefined);
  }
  if (NUMERIC.test(value)) {
    const secs = seconds(MIN_PROGRESS_SECONDS)(value);
    return previous instanceof ProgressInput ? new ProgressInput(previous.path, secs) : secs;
  }
  throw new InvalidArgumentError(
    `Expected a number of seconds from ${MIN_PROGRESS_SECONDS} to ${MAX_SECONDS}, e.g. 30 (taken as --progress's value; put the input first or write --progress=10).`,
  );
}

/**
 * A bare `--progress` after `--progress FILE` (commander sets `true` without calling the parser)
 * keeps FILE the input, as one with seconds does (see progressValue).
 */
export function keepProgressInput(program: Command): void {
  let input: ProgressInput | undefined;
  program.on('option:progress', () => {
    const value = program.getOptionValue('progress') as unknown;
    if (value instanceof ProgressInput) input = value;
    else if (value === true && input) program.setOptionValue('progress', new ProgressInput(input.path));
  });
}

/**
 * After parsing: an input given as `--progress FILE` becomes the positional argument, and
 * --progress its default. Refused (exit 2, said as commander says its own) when another input was
 * given too, or the value was written `--progress=FILE`. Undefined when the command goes on.
 */
export function takeProgressInput(program: Command, argv: readonly string[]): number | undefined {
  const value = program.getOptionValue('progress') as unknown;
  if (!(value instanceof ProgressInput)) return undefined;
  const bare = argv.some((arg, i) => arg === '--progress' && argv[i + 1] === value.path);
  if (bare && program.args.length === 0) {
    program.setOptionValue('progress', value.seconds ?? true);
    program.args = [value.path];
    return undefined;
  }
  try {
    program.error(
      `error: option '--progress [seconds]' argument '${value.path}' is invalid. Expected a number of seconds (taken as --progress's value; put the input first or write --progress=10).`,
      { exitCode: ExitCode.usage, code: 'commander.invalidArgument' },
    );
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
  }
  return ExitCode.usage;
}
