import { isLosslessNumber, isSafeNumber, LosslessNumber, parse, stringify } from 'lossless-json';

/** JSON.rawJSON (Node >= 21): a value that JSON.stringify writes as the given text. */
const rawJSON = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;

/** Only a number of 16 or more digits, or with a 3-digit exponent, can be one a double does not hold. */
const MAY_LOSE_DIGITS = /\d{16}|[eE][-+]?\d{3}/;

/**
 * An answer's value with every number a double cannot hold exactly (an ID above 2^53, a 20-digit
 * decimal, 1e400) kept as written: a JSON.rawJSON where Node has it, else a lossless-json
 * LosslessNumber, which {@link stringifyExact} writes as its text. `parsed` is JSON.parse of the same
 * text (the validator needs plain numbers); it is returned as is when no number would change, and
 * when lossless-json refuses what JSON.parse took (a key given twice).
 */
export function keepNumbersAsWritten(text: string, parsed: unknown): unknown {
  if (!MAY_LOSE_DIGITS.test(text)) return parsed;
  try {
    return parse(text, null, (digits) => (isSafeNumber(digits) ? Number(digits) : rawJSON ? rawJSON(digits) : new LosslessNumber(digits)));
  } catch {
    return parsed;
  }
}

/**
 * JSON.stringify that writes a kept number (see {@link keepNumbersAsWritten}) as its digits.
 * `keptIn` is where such numbers can be (a row's `output`), so that a whole row is not walked.
 */
export function stringifyExact(value: unknown, keptIn: unknown = value): string {
  return !rawJSON && holdsLosslessNumber(keptIn) ? (stringify(value) ?? '') : JSON.stringify(value);
}

/** A kept number's text, for a CSV cell; undefined for any other value. */
export function keptNumberText(value: unknown): string | undefined {
  return isLosslessNumber(value) ? value.toString() : undefined;
}

function holdsLosslessNumber(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return isLosslessNumber(value) || Object.values(value).some(holdsLosslessNumber);
}
