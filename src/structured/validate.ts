import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { AnswerCheck, Draft } from './check-types.js';
import { UsageError } from '../errors.js';
import { keepNumbersAsWritten } from './exact-numbers.js';
import type { JsonSchema } from './strictify.js';
import { jsonParseProblem } from './json-parse-problem.js';
import { stripFence } from './strip-fence.js';

/** ajv-formats is CommonJS with `exports.default`; under NodeNext its default import is the module. */
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

export function draftOf(schema: unknown): Draft {
  const uri = typeof schema === 'object' && schema !== null ? (schema as JsonSchema).$schema : undefined;
  if (uri === undefined) return '07';
  if (typeof uri !== 'string') throw new UsageError('--json-schema /$schema: must be a URI string');
  if (uri.includes('2020-12')) return '2020-12';
  if (uri.includes('2019-09')) return '2019-09';
  if (/draft-0[67]/.test(uri)) return '07';
  throw new UsageError(`--json-schema /$schema: ${uri} is not a draft Ajv 8 validates (draft-06/07, 2019-09, 2020-12)`);
}

/** A problem list capped so a re-ask or an error row stays readable. */
const MAX_PROBLEMS = 10;

/** One line per violation: `/path: message`, the path being the JSON pointer in the answer. */
export function describeErrors(errors: readonly ErrorObject[]): string[] {
  const lines = errors.map((e) => {
    const at = e.instancePath || '/';
    const p = e.params as Record<string, unknown>;
    if (e.keyword === 'additionalProperties') return `${at}: unexpected property ${JSON.stringify(p.additionalProperty)}`;
    if (e.keyword === 'required') return `${at}: missing property ${JSON.stringify(p.missingProperty)}`;
    if (e.keyword === 'enum') return `${at}: ${e.message ?? 'invalid'} (${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')})`;
    return `${at}: ${e.message ?? e.keyword}`;
  });
  const unique = [...new Set(lines)];
  return unique.length > MAX_PROBLEMS ? [...unique.slice(0, MAX_PROBLEMS), `… and ${unique.length - MAX_PROBLEMS} more`] : unique;
}

/**
 * Compiles the schema once (Ajv 8, all errors, formats from ajv-formats) and returns the per-answer
 * check. A schema Ajv cannot compile is a usage error before anything is sent.
 */
export function compileCheck(schema: JsonSchema, draft: Draft): AnswerCheck {
  const options = { allErrors: true, strict: false, validateFormats: true } as const;
  const ajv: Ajv = draft === '2020-12' ? new Ajv2020(options) : draft === '2019-09' ? new Ajv2019(options) : new Ajv(options);
  addFormats(ajv);
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    throw new UsageError(`--json-schema: not a valid JSON Schema (${(err as Error).message})`);
  }
  return (text) => {
    const json = stripFence(text);
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch (err) {
      return { ok: false, kind: 'json', problems: [jsonParseProblem(err)] };
    }
    if (validate(value)) return { ok: true, value: keepNumbersAsWritten(json, value) };
    return { ok: false, kind: 'schema', problems: describeErrors(validate.errors ?? []) };
  };
}
