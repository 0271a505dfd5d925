import { InvalidArgumentError, Option, type Command } from 'commander';
import { plainDecimal } from '../util/plain-decimal.js';
import { positiveInteger, signedInteger } from './parse-flags.js';

/** Flags for data handling and per-request parameters, as commander hands them over. */
export interface DataFlags {
  csvEscapeFormulas?: boolean;
  keepFields?: string;
  limit?: number;
  encoding?: 'utf-8' | 'utf-16le' | 'utf-16be' | 'latin1';
  failTruncated?: boolean;
  seed?: number;
  topP?: number;
  stop?: string[];
  reasoningEffort?: string;
  param?: Array<[string, unknown]>;
}

/**
 * The `reasoning_effort` levels OpenAI documents (not every model takes every level): a typo is
 * refused before anything is sent; a gateway's own level goes through `--param reasoning_effort=…`.
 */
export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'] as const;

/** The levels for a help line or a message: `none, minimal, … or max`. */
export const REASONING_EFFORT_LIST = `${REASONING_EFFORTS.slice(0, -1).join(', ')} or ${REASONING_EFFORTS.at(-1)}`;

function topP(value: string): number {
  const n = plainDecimal(value);
  if (n === undefined || n > 1) throw new InvalidArgumentError('Expected a decimal number from 0 to 1.');
  return n;
}

/**
 * Repeated, --keep-fields lists add up, as -m's do (the last one alone was kept, the others dropped
 * without a word); "all" in any of them keeps every field.
 */
function keepFieldList(value: string, previous: string | undefined): string {
  if (previous === undefined) return value;
  return previous.trim() === 'all' || value.trim() === 'all' ? 'all' : `${previous},${value}`;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `key=value`, the value read as JSON when it parses (`3`, `true`, `{"type":"json_object"}`), else as a string. */
export function keyValue(value: string, previous: Array<[string, unknown]> | undefined): Array<[string, unknown]> {
  const eq = value.indexOf('=');
  const key = eq === -1 ? '' : value.slice(0, eq).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
    throw new InvalidArgumentError('Expected key=value, e.g. --param seed=7 or --param \'response_format={"type":"json_object"}\'.');
  const raw = value.slice(eq + 1);
  // `--param stop=$STOP` with STOP unset would send "" on every request; "" itself says so on purpose.
  if (raw === '') throw new InvalidArgumentError(`${key} has no value (an unset variable?); for an empty string give ${key}='""'.`);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // a bare word is a string
  }
  return [...(previous ?? []), [key, parsed]];
}

/** Adds the data and request-parameter flags to their help groups. */
export function addInputDataOptions(program: Command): void {
  program
    .addOption(
      new Option('--encoding <name>', 'input text encoding (default: UTF-8, or UTF-16 by its BOM)').choices(['utf-8', 'utf-16le', 'utf-16be', 'latin1']),
    )
    .option('--limit <n>', 'run only the first N records of the input, each on every model and sample (try a sample before paying for all)', positiveInteger)
    .option('--keep-fields <names>', 'carry input fields into each result row: a comma list (title,url) or "all"', keepFieldList);
}

export function addModelDataOptions(program: Command): void {
  program
    .option('--seed <n>', 'sampling seed, for repeatable answers where the server supports it', signedInteger)
    .option('--top-p <n>', 'nucleus sampling, 0 to 1', topP)
    .option('--stop <text>', 'a stop sequence (repeat for several)', collect)
    .option('--reasoning-effort <level>', `reasoning models: ${REASONING_EFFORT_LIST}`)
    .option('--param <key=value>', 'any other request parameter, the value as JSON (repeatable): --param logprobs=true', keyValue);
}

export function addOutputDataOptions(program: Command): void {
  program
    .option(
      '--csv-escape-formulas',
      "CSV output for spreadsheets: prefix ' to text cells starting with = + - @, a tab or CR, or their full-width forms (not plain numbers); read back exactly by --resume",
    )
    .option(
      '--fail-truncated',
      'count answers cut off by the token limit or the model\'s context length (finish_reason "length", "model_length") as failed rows (error type "truncated")',
    );
}
