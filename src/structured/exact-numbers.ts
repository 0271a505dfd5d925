import { type DuplicateKeyInfo, isLosslessNumber, isSafeNumber, LosslessNumber, parse, stringify } from 'lossless-json';

/** JSON.rawJSON (Node >= 21): a value that JSON.stringify writes as the given text. */
const rawJSON = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;
const isRawJSON = (JSON as unknown as { isRawJSON?: (value: unknown) => value is { rawJSON: string } }).isRawJSON;

/**
 * What a text needs before a number in it can be one JSON.stringify would not write back as the same
 * value: 16 digits (a dot may split them), an exponent, or a minus zero, at the start of a token (a
 * JSON number follows the start, whitespace, `:`, `,` or `[`). Text without any of these is not
 * parsed twice; one with them (even inside a string, `"a: 1e5"`) is, and gets lossless-json's
 * verdict. Looking at token starts only spares the second parse to the hex in ids and hashes
 * (`"550e8400-e29b-…"`, `-0f3a`), which most UUIDs would otherwise pay on every input line.
 */
const MAY_CHANGE = /(?:^|[\s:,[])(?:-?(?:\d\.?){15}\d|-?\d+(?:\.\d+)?[eE]|-0(?:\.0+)?(?![.\d]))/;

/** Whether JSON.parse reads every number in `text` as written: {@link keepNumbersAsWritten} would not parse it again. */
export const numbersReadAsWritten = (text: string): boolean => !MAY_CHANGE.test(text);

/**
 * An answer's value with every number that JSON would not write back as the same value kept as
 * written: one a double cannot hold exactly (an ID above 2^53, a 20-digit decimal, 1e400), and a
 * minus zero (`-0.0`; a double holds it, but JSON.stringify and String write `0`). Such a number is
 * a JSON.rawJSON where Node has it, else a lossless-json LosslessNumber, which
 * {@link stringifyExact} writes as its text; any other number is a plain number, written as JSON
 * writes its value (`1E5` as `100000`). `parsed` is JSON.parse of the same text (the validator
 * needs plain numbers); it is returned as is when no number would change, and should lossless-json
 * ever refuse what JSON.parse took.
 */
export function keepNumbersAsWritten(text: string, parsed: unknown): unknown {
  if (!MAY_CHANGE.test(text)) return parsed;
  try {
    return parse(text, null, { parseNumber: keepNumber, onDuplicateKey: lastValue });
  } catch {
    return parsed;
  }
}

/** A key given twice keeps its last value, where it first came, as JSON.parse (and the validator) took it. */
function lastValue(duplicate: DuplicateKeyInfo): unknown {
  return duplicate.newValue;
}

function keepNumber(digits: string): unknown {
  if (isSafeNumber(digits) && !Object.is(Number(digits), -0)) return Number(digits);
  return rawJSON ? rawJSON(digits) : new LosslessNumber(digits);
}

/**
 * A result row read back from its JSONL `line`, with its `output`'s numbers as written (see
 * {@link keepNumbersAsWritten}), so a compaction or merge writes them back unchanged. Only `output`
 * (and, with {@link withOutputAndInputAsWritten}, `input`): the rest was written by JSON.stringify,
 * and a kept number elsewhere is one {@link stringifyExact} does not look for, which Node 20 would
 * write as an object.
 */
export function withOutputAsWritten(line: string, row: Record<string, unknown>): Record<string, unknown> {
  return withKeysAsWritten(line, row, ['output']);
}

/** {@link withOutputAsWritten} for a row that is written back whole: its kept input fields too. */
export function withOutputAndInputAsWritten(line: string, row: Record<string, unknown>): Record<string, unknown> {
  return withKeysAsWritten(line, row, ['output', 'input']);
}

function withKeysAsWritten(line: string, row: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  if (keys.every((key) => row[key] == null)) return row;
  const kept = keepNumbersAsWritten(line, row) as Record<string, unknown>;
  if (kept === row) return row;
  const out = { ...row };
  for (const key of keys) if (row[key] != null) out[key] = kept[key];
  return out;
}

/**
 * JSON.stringify that writes a kept number (see {@link keepNumbersAsWritten}) as its digits.
 * `keptIn` is where such numbers can be (a row's `output` and `input`), so that a whole row is not walked.
 */
export function stringifyExact(value: unknown, keptIn: unknown = value): string {
  return !rawJSON && holdsLosslessNumber(keptIn) ? (stringify(value) ?? '') : JSON.stringify(value);
}

/** A kept number's text (a CSV cell, a prompt, an id), on every Node; undefined for any other value. */
export function keptNumberText(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (isLosslessNumber(value)) return value.toString();
  return isRawJSON?.(value) ? value.rawJSON : undefined;
}

function holdsLosslessNumber(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return isLosslessNumber(value) || Object.values(value).some(holdsLosslessNumber);
}
