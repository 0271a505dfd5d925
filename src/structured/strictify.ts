import { UsageError } from '../errors.js';
import { putEntry } from './put-entry.js';

/** A JSON Schema as parsed from the user's file: plain JSON values. */
export type JsonSchema = { [key: string]: unknown };

/**
 * What OpenAI's Structured Outputs accept with `strict: true` (checked against the platform docs,
 * "Supported schemas", 2026-11): types string, number, integer, boolean, object, array, null;
 * enum, const, anyOf (not at the root), $ref/$defs (and draft-07 definitions); strings: pattern and
 * these formats; numbers: minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf;
 * arrays: items, minItems, maxItems. Every object lists all its properties in `required` and says
 * `additionalProperties: false`. At most 10 levels of nesting, 5000 properties, 1000 enum values,
 * and 15,000 characters of strings in an enum of more than 250 values.
 */
export const STRICT_FORMATS: ReadonlySet<string> = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);

const SUPPORTED: ReadonlySet<string> = new Set([
  'type',
  'enum',
  'const',
  'anyOf',
  '$ref',
  '$defs',
  'definitions',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'title',
  'description',
]);

/** Constraints strict mode refuses; dropping them would let answers through that the schema forbids. */
const REFUSED: ReadonlyMap<string, string> = new Map([
  ['allOf', 'allOf is not supported in strict mode (merge the branches into one object)'],
  ['oneOf', 'oneOf is not supported in strict mode (use anyOf)'],
  ['not', 'not is not supported in strict mode'],
  ['if', 'if/then/else is not supported in strict mode'],
  ['then', 'if/then/else is not supported in strict mode'],
  ['else', 'if/then/else is not supported in strict mode'],
  ['dependentRequired', 'dependentRequired is not supported in strict mode'],
  ['dependentSchemas', 'dependentSchemas is not supported in strict mode'],
  ['dependencies', 'dependencies is not supported in strict mode'],
  ['patternProperties', 'patternProperties is not supported in strict mode (objects list their properties)'],
  ['propertyNames', 'propertyNames is not supported in strict mode'],
  ['unevaluatedProperties', 'unevaluatedProperties is not supported in strict mode'],
  ['unevaluatedItems', 'unevaluatedItems is not supported in strict mode'],
  ['minProperties', 'minProperties is not supported in strict mode'],
  ['maxProperties', 'maxProperties is not supported in strict mode'],
  ['minLength', 'minLength is not supported in strict mode'],
  ['maxLength', 'maxLength is not supported in strict mode'],
  ['uniqueItems', 'uniqueItems is not supported in strict mode'],
  ['contains', 'contains is not supported in strict mode'],
  ['minContains', 'minContains is not supported in strict mode'],
  ['maxContains', 'maxContains is not supported in strict mode'],
  ['prefixItems', 'prefixItems (tuples) is not supported in strict mode'],
  ['additionalItems', 'additionalItems (tuples) is not supported in strict mode'],
  ['contentEncoding', 'contentEncoding is not supported in strict mode'],
  ['contentMediaType', 'contentMediaType is not supported in strict mode'],
  // ajv-formats' keywords, which Ajv checks client-side (--schema-in-prompt).
  ['formatMinimum', 'formatMinimum is not supported in strict mode'],
  ['formatMaximum', 'formatMaximum is not supported in strict mode'],
  ['formatExclusiveMinimum', 'formatExclusiveMinimum is not supported in strict mode'],
  ['formatExclusiveMaximum', 'formatExclusiveMaximum is not supported in strict mode'],
]);

/**
 * Annotations that do not change what validates; strict mode may refuse them, so they are not sent.
 * OpenAPI's `nullable` does (Ajv takes it): `nullable: true` below the root is sent as a "null" type.
 */
const DROPPED = new Set(['default', 'examples', 'example', 'deprecated', 'readOnly', 'writeOnly', '$comment', 'nullable']);

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

export const STRICT_LIMITS = { depth: 10, properties: 5000, enumValues: 1000, longEnumValues: 250, longEnumChars: 15_000 } as const;

export interface StrictSchema {
  /** The schema to send and to validate answers against. */
  schema: JsonSchema;
  /** What was changed to make it strict, one clause each (empty when the schema already was). */
  notes: string[];
}

const isObject = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 6901: `~` and `/` escaped, so a pointer names exactly one place even for odd property names. */
export function pointerTo(base: string, ...tokens: string[]): string {
  return base + tokens.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

class Strictifier {
  private readonly madeNullable: string[] = [];
  /** Where OpenAPI's `nullable: true` was written as a "null" type. */
  private readonly nullTyped: string[] = [];
  private readonly closed: string[] = [];
  private readonly dropped = new Map<string, string[]>();
  private properties = 0;
  private enumValues = 0;

  /** `label`: the schema's file, or `(inline)`, named before the place in it, as Ajv's errors are. */
  constructor(private readonly label: string) {}

  fail(pointer: string, rule: string): never {
    throw new UsageError(`--json-schema ${this.label}: ${pointer || '/'}: ${rule}; fix the schema, or pass --schema-in-prompt to validate it client-side only`);
  }

  root(input: unknown): StrictSchema {
    if (!isObject(input)) this.fail('', 'the schema must be a JSON object');
    if (input.type !== 'object')
      this.fail(
        '',
        `the root must be {"type": "object"} (strict mode answers are objects), got ${input.type === undefined ? 'no type' : `type ${JSON.stringify(input.type)}`}`,
      );
    if (input.anyOf !== undefined) this.fail('', 'anyOf is not allowed at the root');
    const { $schema: _s, $id: _i, ...rest } = input;
    const schema = this.node(rest, '', 1);
    for (const key of ['$defs', 'definitions'] as const) {
      const defs = input[key];
      if (defs === undefined) continue;
      if (!isObject(defs)) this.fail(`/${key}`, `${key} must be an object of schemas`);
      const out: JsonSchema = {};
      for (const [name, def] of Object.entries(defs)) putEntry(out, name, this.node(def, pointerTo(`/${key}`, name), 1));
      schema[key] = out;
    }
    if (this.properties > STRICT_LIMITS.properties) this.fail('', `${this.properties} properties in all; strict mode allows ${STRICT_LIMITS.properties}`);
    if (this.enumValues > STRICT_LIMITS.enumValues) this.fail('', `${this.enumValues} enum values in all; strict mode allows ${STRICT_LIMITS.enumValues}`);
    return { schema, notes: this.notes() };
  }

  private notes(): string[] {
    const notes: string[] = [];
    if (this.madeNullable.length) notes.push(`optional ${list(this.madeNullable)} made required and nullable (null in a row where the answer has none)`);
    if (this.nullTyped.length) notes.push(`nullable: true at ${list(this.nullTyped)} sent as a "null" type`);
    if (this.closed.length) notes.push(`additionalProperties: false added at ${list(this.closed)}`);
    for (const [keyword, where] of this.dropped)
      notes.push(`annotation ${keyword} left out at ${list(where)} (not accepted in strict mode; validation unchanged)`);
    return notes;
  }

  private node(input: unknown, pointer: string, depth: number): JsonSchema {
    if (typeof input === 'boolean') this.fail(pointer, 'boolean schemas (true/false) are not supported in strict mode');
    if (!isObject(input)) this.fail(pointer, 'a schema must be a JSON object');
    if (depth > STRICT_LIMITS.depth) this.fail(pointer, `nested deeper than ${STRICT_LIMITS.depth} levels, the strict mode limit`);
    const out: JsonSchema = {};
    // Ajv lets null through where it is written beside a type (its enum, if any, still applies); strict
    // mode needs it in the type. Without a type Ajv does nothing with it: left out as an annotation.
    const nullTyped = input.nullable === true && pointer !== '' && input.type !== undefined;
    for (const [key, value] of Object.entries(input)) {
      if (nullTyped && key === 'nullable') continue;
      if (key === '$defs' || key === 'definitions') {
        if (pointer !== '') this.fail(pointerTo(pointer, key), `${key} must be at the root`);
        continue; // the root handles them
      }
      const refused = REFUSED.get(key);
      if (refused) this.fail(pointerTo(pointer, key), refused);
      if (DROPPED.has(key) || (!SUPPORTED.has(key) && key !== '$schema' && key !== '$id')) {
        // Unknown keywords (x-…, vendor extensions) validate nothing in Ajv either: left out, said once.
        const where = this.dropped.get(key) ?? [];
        where.push(pointer || '/');
        this.dropped.set(key, where);
        continue;
      }
      if (key === '$schema' || key === '$id') continue;
      putEntry(out, key, value);
    }

    const types = this.types(out, pointer);
    if (out.$ref !== undefined) {
      if (typeof out.$ref !== 'string' || !/^#(\/(\$defs|definitions)\/[^/]+)?$/.test(out.$ref)) {
        this.fail(pointerTo(pointer, '$ref'), `only local references (#, #/$defs/name, #/definitions/name) are supported, got ${JSON.stringify(out.$ref)}`);
      }
    }
    if (out.anyOf !== undefined) {
      if (!Array.isArray(out.anyOf) || out.anyOf.length === 0) this.fail(pointerTo(pointer, 'anyOf'), 'anyOf must be a non-empty array of schemas');
      out.anyOf = out.anyOf.map((branch, i) => this.node(branch, pointerTo(pointer, 'anyOf', String(i)), depth + 1));
    }
    if (out.enum !== undefined) {
      if (!Array.isArray(out.enum) || out.enum.length === 0) this.fail(pointerTo(pointer, 'enum'), 'enum must be a non-empty array');
      this.enumValues += out.enum.length;
      // OpenAI's limit on one enum of many strings (its structured outputs guide).
      if (out.enum.length > STRICT_LIMITS.longEnumValues) {
        const chars = out.enum.reduce((sum: number, v: unknown) => sum + (typeof v === 'string' ? v.length : 0), 0);
        if (chars > STRICT_LIMITS.longEnumChars)
          this.fail(
            pointerTo(pointer, 'enum'),
            `${out.enum.length} values of ${chars} characters in all; strict mode allows ${STRICT_LIMITS.longEnumChars} in an enum of more than ${STRICT_LIMITS.longEnumValues} values`,
          );
      }
    }
    if (types === undefined && out.enum === undefined && out.const === undefined && out.anyOf === undefined && out.$ref === undefined) {
      this.fail(pointer, 'every schema needs a type (or enum, const, anyOf, $ref)');
    }
    if (out.format !== undefined && (typeof out.format !== 'string' || !STRICT_FORMATS.has(out.format))) {
      this.fail(
        pointerTo(pointer, 'format'),
        `format ${JSON.stringify(out.format)} is not supported in strict mode (supported: ${[...STRICT_FORMATS].join(', ')})`,
      );
    }
    for (const key of ['exclusiveMinimum', 'exclusiveMaximum'] as const) {
      if (typeof out[key] === 'boolean') this.fail(pointerTo(pointer, key), `${key} must be a number (the draft-04 boolean form is not supported)`);
    }
    if (types?.has('object')) this.object(out, pointer, depth);
    else if (out.properties !== undefined) this.fail(pointerTo(pointer, 'properties'), 'properties without "type": "object"');
    if (types?.has('array')) {
      if (out.items === undefined) this.fail(pointer, 'an array needs items (one schema for every element)');
      if (!isObject(out.items)) this.fail(pointerTo(pointer, 'items'), 'items must be one schema (tuples are not supported in strict mode)');
      out.items = this.node(out.items, pointerTo(pointer, 'items'), depth + 1);
    }
    if (!nullTyped) return out;
    this.nullTyped.push(pointer);
    const named = Array.isArray(out.type) ? out.type : [out.type];
    if (!named.includes('null')) out.type = [...named, 'null'];
    return out;
  }

  private types(out: JsonSchema, pointer: string): Set<string> | undefined {
    if (out.type === undefined) return undefined;
    const list = Array.isArray(out.type) ? out.type : [out.type];
    if (list.length === 0) this.fail(pointerTo(pointer, 'type'), 'type must not be empty');
    for (const t of list) {
      if (typeof t !== 'string' || !TYPES.has(t)) this.fail(pointerTo(pointer, 'type'), `unknown type ${JSON.stringify(t)}`);
    }
    return new Set(list as string[]);
  }

  private object(out: JsonSchema, pointer: string, depth: number): void {
    const additional = out.additionalProperties;
    if (additional !== undefined && additional !== false) {
      this.fail(pointerTo(pointer, 'additionalProperties'), 'additionalProperties must be false in strict mode (maps with free keys are not supported)');
    }
    const props = out.properties;
    if (!isObject(props)) this.fail(pointer, 'an object needs its properties listed (strict mode has no open objects or maps)');
    if (additional === undefined) {
      out.additionalProperties = false;
      this.closed.push(pointer || '/');
    } else if (additional !== false) {
      this.fail(pointerTo(pointer, 'additionalProperties'), 'additionalProperties must be false in strict mode (maps with free keys are not supported)');
    }
    const required = out.required ?? [];
    if (!Array.isArray(required) || required.some((r) => typeof r !== 'string'))
      this.fail(pointerTo(pointer, 'required'), 'required must be an array of property names');
    const names = Object.keys(props);
    for (const name of required as string[]) {
      if (!names.includes(name)) this.fail(pointerTo(pointer, 'required'), `required names ${JSON.stringify(name)}, which is not in properties`);
    }
    const newProps: JsonSchema = {};
    for (const name of names) {
      this.properties++;
      const at = pointerTo(pointer, 'properties', name);
      let schema = this.node(props[name], at, depth + 1);
      if (!(required as string[]).includes(name)) {
        schema = nullable(schema);
        this.madeNullable.push(at);
      }
      putEntry(newProps, name, schema);
    }
    out.properties = newProps;
    out.required = names;
  }
}

/** The same schema, also accepting null: how strict mode spells an optional field. */
export function nullable(schema: JsonSchema): JsonSchema {
  const { type } = schema;
  const canWiden = type !== undefined && schema.const === undefined && schema.$ref === undefined && schema.anyOf === undefined;
  if (canWiden) {
    const types = Array.isArray(type) ? type : [type];
    const out: JsonSchema = { ...schema, type: types.includes('null') ? types : [...types, 'null'] };
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) out.enum = [...schema.enum, null];
    return out;
  }
  if (type === undefined && Array.isArray(schema.enum) && schema.anyOf === undefined && schema.$ref === undefined && schema.const === undefined) {
    return schema.enum.includes(null) ? schema : { ...schema, enum: [...schema.enum, null] };
  }
  if (Array.isArray(schema.anyOf) && schema.anyOf.some((branch) => isObject(branch) && branch.type === 'null' && Object.keys(branch).length === 1))
    return schema;
  const { description, title, ...inner } = schema;
  return {
    ...(title !== undefined ? { title } : {}),
    ...(description !== undefined ? { description } : {}),
    anyOf: [inner, { type: 'null' }],
  };
}

function list(items: string[]): string {
  return items.length <= 6 ? items.join(', ') : `${items.slice(0, 6).join(', ')} and ${items.length - 6} more`;
}

/**
 * Checks a schema against what strict mode accepts and makes it strict where that keeps its meaning
 * (optional fields become required and nullable; objects closed; annotations left out). A schema
 * that cannot be made strict is a UsageError naming the JSON pointer and the rule: a bad schema is
 * found before the first request, not through a thousand identical 400s.
 */
export function strictify(schema: unknown, label = '(inline)'): StrictSchema {
  return new Strictifier(label).root(schema);
}
