import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { AnswerCheck, Draft } from './check-types.js';
import { UsageError } from '../errors.js';
import { keepNumbersAsWritten } from './exact-numbers.js';
import { pointerTo, type JsonSchema } from './strictify.js';
import { subschemas } from './subschemas.js';
import { parseAnswer } from './parse-answer.js';

/** ajv-formats is CommonJS with `exports.default`; under NodeNext its default import is the module. */
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/** The draft a schema's `$schema` names; `label` names its file (`(inline)`) in a refusal, as Ajv's errors do. */
export function draftOf(schema: unknown, label?: string): Draft {
  const uri = typeof schema === 'object' && schema !== null ? (schema as JsonSchema).$schema : undefined;
  if (uri === undefined) return '07';
  const at = `${sourcePrefix({ label })}: /$schema`;
  if (typeof uri !== 'string') throw new UsageError(`${at}: must be a URI string`);
  if (uri.includes('2020-12')) return '2020-12';
  if (uri.includes('2019-09')) return '2019-09';
  if (/draft-0[67]/.test(uri)) return '07';
  throw new UsageError(`${at}: ${uri} is not a draft Ajv 8 validates (draft-06/07, 2019-09, 2020-12)`);
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

/** Where a schema came from, for its error messages. */
export interface SchemaSource {
  /** The file (or `(inline)`) the messages name; none for a library caller's schema. */
  label?: string;
  /** The schema as written, when the one compiled was rewritten (made strict): pointers are found in it. */
  asWritten?: unknown;
}

/** Ajv's warning for a format it has no check for (with `strict: false` it would print it and go on). */
const UNKNOWN_FORMAT = /^unknown format "(.*)" ignored in schema at path "(.*)"$/s;
const MISSING_REF = /^can't resolve reference (.*) from id /s;

/** A format Ajv has no check for, at a JSON pointer in the schema. */
class UnknownFormat extends Error {
  constructor(
    readonly pointer: string,
    readonly format: string,
  ) {
    super(`unknown format ${JSON.stringify(format)}`);
  }
}

/**
 * Ajv's logger: nothing Ajv says is printed raw to stderr. A format Ajv cannot check is a problem:
 * left to Ajv (`strict: false`), a misspelt format would check nothing, under a printed warning.
 */
const AJV_LOGGER = {
  log: () => {},
  error: () => {},
  warn: (...args: unknown[]) => {
    const [, format, at] = UNKNOWN_FORMAT.exec(String(args[0])) ?? [];
    if (format !== undefined && at !== undefined) throw new UnknownFormat(`${fragmentPointer(at)}/format`, format);
  },
};

/** Ajv's schema path (`#/properties/a%20b`) as a JSON pointer (`/properties/a b`). */
function fragmentPointer(at: string): string {
  if (!at.startsWith('#')) return at;
  try {
    return decodeURIComponent(at.slice(1));
  } catch {
    return at.slice(1);
  }
}

/** The compile error as one line naming the source and, where it can be found, the pointer. */
function compileProblem(err: unknown, ajv: Ajv, schema: unknown, source: SchemaSource): UsageError {
  const prefix = sourcePrefix(source);
  if (err instanceof UnknownFormat) {
    return new UsageError(`${prefix}: ${err.pointer}: ${err.message} (known: ${Object.keys(ajv.formats).join(', ')})`);
  }
  const message = (err as Error).message;
  const ref = MISSING_REF.exec(message)?.[1];
  if (ref !== undefined && 'missingRef' in (err as object)) {
    const at = refPlace(source.asWritten ?? schema, ref);
    return new UsageError(`${prefix}: ${at === undefined ? '' : `${at}: `}can't resolve ${ref}`);
  }
  const pattern = message.startsWith('Invalid regular expression') ? badPatternPlace(source.asWritten ?? schema) : undefined;
  return new UsageError(`${prefix}: ${pattern === undefined ? '' : `${pattern}: `}not a valid JSON Schema (${message})`);
}

/** The first `pattern` that is no regular expression (Ajv's error names the expression, not where it is). */
function badPatternPlace(schema: unknown): string | undefined {
  for (const [node, pointer] of subschemas(schema)) {
    if (typeof node.pattern !== 'string') continue;
    try {
      new RegExp(node.pattern, 'u');
    } catch {
      return pointerTo(pointer, 'pattern');
    }
  }
  return undefined;
}

function sourcePrefix(source: SchemaSource): string {
  return source.label === undefined ? '--json-schema' : `--json-schema ${source.label}`;
}

/**
 * The first property named `__proto__`, as a JSON pointer. Ajv leaves that name out of `properties`
 * (a guard against prototype pollution): its schema would check nothing, and with
 * `additionalProperties: false` every answer holding it would fail, re-asked until the retries ran out.
 */
function protoPlace(schema: unknown): string | undefined {
  for (const [node, pointer] of subschemas(schema)) {
    const props = node.properties;
    if (typeof props === 'object' && props !== null && Object.hasOwn(props, '__proto__')) return pointerTo(pointer, 'properties', '__proto__');
  }
  return undefined;
}

/** The first `$ref` that says `ref`, as a JSON pointer. */
function refPlace(schema: unknown, ref: string): string | undefined {
  for (const [node, pointer] of subschemas(schema)) if (node.$ref === ref) return pointerTo(pointer, '$ref');
  return undefined;
}

/**
 * Digits to which `multipleOf` is checked. Ajv divides exactly by default, and a price of 19.99
 * failed `multipleOf: 0.01` (19.99 / 0.01 is 1998.9999999999998 in binary floating point): re-asked
 * twice, paid for, then an `invalid_output` row. To 9 digits, quotients up to ~10⁶ are told right.
 */
const MULTIPLE_OF_PRECISION = 9;

/**
 * Compiles the schema once (Ajv 8, all errors, formats from ajv-formats) and returns the per-answer
 * check. A schema Ajv cannot compile, or whose format Ajv has no check for, is a usage error before
 * anything is sent, naming the source and the JSON pointer.
 */
export function compileCheck(schema: JsonSchema, draft: Draft, source: SchemaSource = {}): AnswerCheck {
  const proto = protoPlace(source.asWritten ?? schema);
  if (proto !== undefined) throw new UsageError(`${sourcePrefix(source)}: ${proto}: Ajv does not check a property named "__proto__"; rename it`);
  const options = { allErrors: true, strict: false, validateFormats: true, logger: AJV_LOGGER, multipleOfPrecision: MULTIPLE_OF_PRECISION } as const;
  const ajv: Ajv = draft === '2020-12' ? new Ajv2020(options) : draft === '2019-09' ? new Ajv2019(options) : new Ajv(options);
  addFormats(ajv);
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    throw compileProblem(err, ajv, schema, source);
  }
  return (text) => {
    const parsed = parseAnswer(text);
    if (!parsed.ok) return parsed;
    const { json, value } = parsed;
    if (validate(value)) return { ok: true, value: keepNumbersAsWritten(json, value) };
    return { ok: false, kind: 'schema', problems: describeErrors(validate.errors ?? []) };
  };
}
