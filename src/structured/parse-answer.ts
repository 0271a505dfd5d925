import type { CheckResult } from './check-types.js';
import { jsonParseProblem } from './json-parse-problem.js';
import { stripFence } from './strip-fence.js';
import { MAX_NESTING, nestedDeeper } from '../util/nested-deeper.js';

/**
 * An answer's JSON (its fence stripped) and the value it parses to, or why it is none. An answer
 * nested past MAX_NESTING is none: Ajv's check of a recursive schema, the exact-number walk and the
 * row's and the cache's encoding all recurse, and one thousands of levels deep (a prompt injection
 * in the data can ask for it) overflowed the stack and crashed the run, and, cached, its resume.
 */
export function parseAnswer(text: string): { ok: true; json: string; value: unknown } | Extract<CheckResult, { ok: false }> {
  const json = stripFence(text);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    return { ok: false, kind: 'json', problems: [jsonParseProblem(err)] };
  }
  // Two brackets a level: a shorter text cannot be that deep, and is not walked.
  if (json.length > 2 * MAX_NESTING && nestedDeeper(value, MAX_NESTING)) {
    return { ok: false, kind: 'deep', problems: [`arrays and objects nested over ${MAX_NESTING} levels deep`] };
  }
  return { ok: true, json, value };
}
