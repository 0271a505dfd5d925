import { createHash } from 'node:crypto';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { MAX_JSON_DEPTH, nestedDeeper } from '../util/nested-deeper.js';
import { fieldReservedNames } from '../output/csv-layout.js';
import { outputColumns, type OutputColumn } from '../structured/columns.js';
import { JSON_IN_PROMPT_INSTRUCTIONS, schemaInstructions } from '../structured/instructions.js';
import { JSON_OBJECT_FORMAT, jsonSchemaFormat, schemaName } from '../structured/response-format.js';
import { pointerTo, strictify, type JsonSchema } from '../structured/strictify.js';
import type { StructuredOutput } from '../structured/types.js';
import { parseAnswer } from '../structured/parse-answer.js';
import { keepNumbersAsWritten } from '../structured/exact-numbers.js';
import { compileCheck, draftOf } from '../structured/validate.js';
import { isPlainObject } from '../util/is-plain-object.js';
import type { CliConfig } from './config.js';
import { notValidJson } from '../util/json-error-place.js';
import { flagFileText } from './flag-file.js';
import { keyInFileError } from './key-in-arguments.js';

/** A schema's columns are named apart from these (`output_<name>` on a clash). */
const BUILT_IN = fieldReservedNames();

export interface StructuredSetup {
  structured: StructuredOutput;
  /** CSV columns for the answer's fields (one `output` column for --json: its shape is unknown). */
  csvColumns: OutputColumn[];
  /** One line on what was changed to make the schema strict; undefined when nothing was. */
  note: string | undefined;
  /** Identifies the schema in the run metadata, so a resume with another schema is refused. */
  fingerprint: string;
}

/**
 * `--json-schema` / `--json` to what the engine and the writers need, before the first request:
 * the schema read, checked against strict mode (or not, with --schema-in-prompt), compiled once.
 * The fingerprint does not change with --schema-in-prompt: a run a server's refusal of
 * response_format stopped is resumed with it.
 * Every problem is a UsageError (exit 2) naming the file, the JSON pointer and the rule.
 */
export function prepareStructured(spec: NonNullable<CliConfig['structured']>, env: NodeJS.ProcessEnv = {}): StructuredSetup {
  if (spec.kind === 'json') {
    return {
      // With --schema-in-prompt no response_format: JSON mode is asked for in a system message.
      structured: spec.inPrompt
        ? { instructions: JSON_IN_PROMPT_INSTRUCTIONS, check: parseJson, retries: spec.retries }
        : { responseFormat: { ...JSON_OBJECT_FORMAT }, jsonHint: true, check: parseJson, retries: spec.retries },
      // Its shape is unknown: one `output` column with the whole value as compact JSON.
      csvColumns: outputColumns({}, BUILT_IN),
      note: undefined,
      fingerprint: 'json',
    };
  }
  const { schema, label } = readSchema(spec.source, env);
  const named = label === 'inline' ? '(inline)' : label;
  // Hashing, strict mode's checks and Ajv all recurse: a schema nested thousands deep overflowed the stack.
  if (nestedDeeper(schema, MAX_JSON_DEPTH)) throw new UsageError(`--json-schema ${named}: nested deeper than ${MAX_JSON_DEPTH} levels`);
  const draft = draftOf(schema, named);
  const fingerprint = `sha256:${createHash('sha256').update(JSON.stringify(schema)).digest('hex')}`;
  if (spec.inPrompt) {
    // Not sent as response_format: no strict-mode rules apply; Ajv enforces the schema as written.
    return {
      structured: { instructions: schemaInstructions(schema), check: compileCheck(schema, draft, { label: named }), retries: spec.retries },
      csvColumns: outputColumns(schema, BUILT_IN),
      note: undefined,
      fingerprint,
    };
  }
  const strict = strictify(schema, named);
  const name = schemaName(label === 'inline' ? undefined : path.basename(label), schema);
  return {
    structured: {
      responseFormat: jsonSchemaFormat(name, strict.schema),
      check: compileCheck(strict.schema, draft, { label: named, asWritten: schema }),
      retries: spec.retries,
    },
    csvColumns: outputColumns(strict.schema, BUILT_IN),
    note: strict.notes.length ? `--json-schema made strict for structured outputs: ${strict.notes.join('; ')}` : undefined,
    fingerprint,
  };
}

/**
 * --json: the answer must be a JSON object, as JSON mode promises and our system message asks. A
 * bare `null`, number, string or array is re-asked like any invalid answer: taken as is, `null` made
 * an ok row whose `output` read as a failure.
 */
function parseJson(text: string): ReturnType<StructuredOutput['check']> {
  const parsed = parseAnswer(text);
  if (!parsed.ok) return parsed;
  const { json, value } = parsed;
  if (!isPlainObject(value)) return { ok: false, kind: 'object', problems: ['/: must be object'] };
  return { ok: true, value: keepNumbersAsWritten(json, value) };
}

/**
 * The API key in a schema file is refused as in a `-t @FILE` (an inline schema holding it is refused
 * with the arguments: key-in-arguments.ts): the schema is repeated in OUT.meta.json, the CSV header,
 * messages and the dry run's requests.
 */
function readSchema(source: string, env: NodeJS.ProcessEnv): { schema: JsonSchema; label: string } {
  const inline = source.trimStart().startsWith('{');
  const label = inline ? 'inline' : source;
  const text = inline ? source : flagFileText(`--json-schema ${source}`, source);
  const refused = inline
    ? undefined
    : keyInFileError(text, env, `--json-schema ${source}`, "the schema in the run's settings file, its CSV columns and messages");
  if (refused) throw refused;
  let schema: unknown;
  try {
    schema = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new UsageError(`--json-schema ${inline ? '(inline)' : source}: ${notValidJson(text, err as Error)}`);
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new UsageError(`--json-schema ${inline ? '(inline)' : source}: a schema must be a JSON object`);
  }
  const infinite = infiniteNumberAt(schema);
  if (infinite !== undefined) {
    throw new UsageError(
      `--json-schema ${inline ? '(inline)' : source}: ${infinite}: a number beyond what a double holds (it reads as Infinity, and would be sent as null); use a smaller one`,
    );
  }
  return { schema: schema as JsonSchema, label };
}

/**
 * The JSON pointer of the first number that overflowed a double (`"minimum": 1e400`), or undefined.
 * Ajv would check answers against Infinity while the request carried `null`, so every answer failed.
 */
function infiniteNumberAt(schema: object): string | undefined {
  const stack: Array<[unknown, string]> = [[schema, '']];
  while (stack.length > 0) {
    const [value, at] = stack.pop()!;
    if (typeof value === 'number' && !Number.isFinite(value)) return at || '/';
    if (typeof value !== 'object' || value === null) continue;
    // Reversed onto the stack: the first in the file is said.
    for (const [key, child] of Object.entries(value).reverse()) stack.push([child, pointerTo(at, key)]);
  }
  return undefined;
}
