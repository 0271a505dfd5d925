import { cutOffOnly, type ResultRow } from '../types.js';
import { keepNumbersAsWritten } from './exact-numbers.js';
import { stripFence } from './strip-fence.js';

/**
 * A structured row's `output` as the run set it, from the row's `response`: a results CSV holds the
 * fields as untyped text cells, but the answer's text whole. A failed row's output is null (an
 * answer cut off under --fail-truncated that validated keeps its value; one that did not is null). Undefined when the
 * response is not JSON (an edited file): the types cannot be recovered then.
 */
export function outputFromResponse(row: Pick<ResultRow, 'error' | 'response'>): unknown {
  if (row.error && !cutOffOnly(row.error)) return null;
  if (row.response === null) return undefined;
  const json = stripFence(row.response);
  try {
    return keepNumbersAsWritten(json, JSON.parse(json));
  } catch {
    return undefined;
  }
}
