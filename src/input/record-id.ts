import { keptNumberText } from '../structured/exact-numbers.js';
import { sha256 } from '../util/sha256.js';

/** Every line of a text input gets its id this way. */
const sha256Hex = (text: string): string => sha256(text, 'hex');

/**
 * The id of a row that has none: `<line>-<first 8 hex of sha256(raw)>`. Both parts matter: the line keeps
 * identical rows apart, and the hash means an edited or shifted input never silently pairs with a result
 * written for different content when a run is resumed.
 */
export function fallbackId(line: number, raw: string): string {
  return `${line}-${sha256Hex(raw).slice(0, 8)}`;
}

/**
 * Reads an explicit id value. Strings (trimmed) and numbers are accepted; absent, `null` and blank values
 * mean "no id" (the caller uses the fallback); anything else is an error message naming the field.
 * A number JSON would not write back as itself (above 2^53, `1e400`, `-0.0`) comes kept as written
 * (see jsonl-reader.ts) and is its digits: two such ids that a double cannot tell apart are two ids.
 */
export function explicitId(value: unknown, field: string): { id: string } | { error: string } | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return { id: String(value) };
  const digits = keptNumberText(value);
  if (digits !== undefined) return { id: digits };
  if (typeof value === 'string') {
    const id = value.trim();
    return id === '' ? undefined : { id };
  }
  return { error: `"${field}" must be a string or number` };
}
