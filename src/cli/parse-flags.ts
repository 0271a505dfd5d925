import { InvalidArgumentError } from 'commander';
import { parseShard } from '../input/shard.js';
import { parsePrice, priceRangeProblem, type TokenPrice } from '../budget/prices.js';
import { decimalOutOfRange, plainDecimal } from '../util/plain-decimal.js';

/** Digits only: an integer flag given `1.50` or `1e5` is refused, not rounded or expanded. */
const DIGITS = /^\s*\d+\s*$/;
/** `--seed`: digits, with a minus allowed (OpenAI's seed is any integer). */
const SIGNED_DIGITS = /^\s*-?\d+\s*$/;

/**
 * Digits past 2^53 - 1 would not reach the request as typed (a double rounds them), so they are
 * refused as out of range: a value that is plain digits must not be told to be plain digits.
 */
function inRange(value: string, pattern: RegExp, expected: string): number {
  if (!pattern.test(value)) throw new InvalidArgumentError(expected);
  const n = Number(value);
  if (n > Number.MAX_SAFE_INTEGER) throw new InvalidArgumentError(`Too large: the largest accepted is ${Number.MAX_SAFE_INTEGER}.`);
  if (n < Number.MIN_SAFE_INTEGER) throw new InvalidArgumentError(`Too small: the smallest accepted is ${Number.MIN_SAFE_INTEGER}.`);
  return n;
}

/** Flag value parsers: each error says what was expected; commander adds the flag and the value. */
export function positiveInteger(value: string): number {
  const expected = 'Expected a whole number greater than 0, in plain digits.';
  const n = inRange(value, DIGITS, expected);
  if (n <= 0) throw new InvalidArgumentError(expected);
  return n;
}

export function wholeNumber(value: string): number {
  return inRange(value, DIGITS, 'Expected a whole number (0 or more), in plain digits.');
}

/** `--seed`: any whole number, negative too. */
export function signedInteger(value: string): number {
  return inRange(value, SIGNED_DIGITS, 'Expected a whole number in plain digits, e.g. 7 or -1.');
}

export function positiveNumber(value: string): number {
  const problem = decimalOutOfRange(value);
  if (problem) throw new InvalidArgumentError(`${problem}.`);
  const n = plainDecimal(value);
  if (n === undefined || n <= 0) throw new InvalidArgumentError('Expected a decimal number greater than 0, e.g. 2 or 0.5.');
  return n;
}

/** The most any seconds flag takes: a day, far below the 24.8 days Node's timers hold (even × 4, --poll's backoff). */
export const MAX_SECONDS = 86_400;
/** The least --timeout, --idle-timeout and --poll take: 0.05 s suits a local server; 1 ms never does. */
export const MIN_WAIT_SECONDS = 0.05;
/** The least --progress takes: closer lines would flood the log they are for. */
export const MIN_PROGRESS_SECONDS = 0.5;

/**
 * A flag in seconds that reaches a timer, from `min` to a day: past 2^31 - 1 ms Node fires the timer
 * after 1 ms instead (a progress line or a status poll every millisecond), and a tiny value does the same.
 */
export function seconds(min: number): (value: string) => number {
  return (value) => {
    const n = plainDecimal(value);
    if (n === undefined || n < min || n > MAX_SECONDS) {
      throw new InvalidArgumentError(`Expected a number of seconds from ${min} to ${MAX_SECONDS} (a day), e.g. 30.`);
    }
    return n;
  };
}

export function temperature(value: string): number {
  const n = plainDecimal(value);
  if (n === undefined || n > 2) throw new InvalidArgumentError('Expected a decimal number from 0 to 2.');
  return n;
}

/** What --base-url (and OPENAI_BASE_URL) must be: a URL that parses, with an http: or https: scheme. */
export function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * A base URL as a run uses and records it: `…/v1/` and `…/v1` are one server. Its ends trimmed: URL
 * parsing ignores a trailing space, which then went out in every request as `/v1%20/chat/completions`.
 */
export function baseUrlForm(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

/** A recorded base URL as a resume compares it: `HTTP://Host/v1` is `http://host/v1` (the part after an `@` only: a key may sit before it). */
export function sameServerForm(url: string): string {
  return baseUrlForm(url).replace(
    /^([a-z][a-z\d+.-]*:\/\/)(?:([^/?#]*@))?([^/?#@]*)/i,
    (_, scheme: string, userinfo: string | undefined, host: string) => scheme.toLowerCase() + (userinfo ?? '') + host.toLowerCase(),
  );
}

export function httpUrl(value: string): string {
  if (isHttpUrl(value)) return baseUrlForm(value);
  throw new InvalidArgumentError('Expected an http:// or https:// URL, e.g. http://localhost:11434/v1.');
}

export function shard(value: string): { index: number; count: number } {
  try {
    return parseShard(value);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
}

/**
 * --json-schema's file, inline JSON, or `@file` as -t and -s read one (the same file, not "no such
 * file"). `@` alone and `-` (no flag reads stdin, which the prompts may be) said only "no such file".
 */
export function schemaFlag(value: string): string {
  if (value === '@') throw new InvalidArgumentError('needs a file name after the @ (--json-schema @schema.json)');
  const file = value.startsWith('@') ? value.slice(1) : value;
  if (file === '-') throw new InvalidArgumentError('a schema is not read from stdin: name its file (or /dev/stdin, when the prompts come from a file)');
  return file;
}

/** `IN/OUT[/CACHED_IN]` in USD per million tokens. */
export function priceFlag(value: string): TokenPrice {
  const range = priceRangeProblem(value);
  if (range) throw new InvalidArgumentError(`${range.problem}.`);
  const price = parsePrice(value);
  if (!price) throw new InvalidArgumentError('Expected IN/OUT or IN/OUT/CACHED in USD per million tokens, e.g. 0.15/0.60 or 0.15/0.60/0.075.');
  return price;
}

/** `B,C` → [B, C]; undefined when a name is empty. `-m` and LLM_BATCH_MODEL split alike. */
export function splitModelNames(value: string): string[] | undefined {
  const names = value.split(',').map((m) => m.trim());
  return names.some((m) => m === '') ? undefined : names;
}

/** `-m A -m B,C` → [A, B, C]; repeated flags accumulate. */
export function modelList(value: string, previous: string[] | undefined): string[] {
  const names = splitModelNames(value);
  if (!names) throw new InvalidArgumentError('Expected model names separated by commas, e.g. gpt-4o-mini,gpt-4.1-nano.');
  return [...(previous ?? []), ...names];
}
