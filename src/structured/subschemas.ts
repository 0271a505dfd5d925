import { pointerTo, type JsonSchema } from './strictify.js';

/** Keywords whose value is one schema. */
const ONE = new Set([
  'additionalItems',
  'items',
  'contains',
  'additionalProperties',
  'unevaluatedProperties',
  'unevaluatedItems',
  'propertyNames',
  'not',
  'if',
  'then',
  'else',
  'contentSchema',
]);
/** Keywords whose value is an array of schemas (`items` too, in its draft-07 tuple form). */
const MANY = new Set(['items', 'allOf', 'anyOf', 'oneOf', 'prefixItems']);
/** Keywords whose value maps names to schemas (`dependencies` may also hold arrays of names). */
const NAMED = new Set(['$defs', 'definitions', 'properties', 'patternProperties', 'dependencies', 'dependentSchemas']);

const isObject = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every schema in a schema with its JSON pointer, in document order, the root first (the keyword
 * map of json-schema-traverse, which Ajv uses). Only keywords that hold schemas are entered: a
 * property named `$ref`, or one inside `enum`, `const` or `default`, is data, not a reference.
 */
export function* subschemas(schema: unknown, pointer = ''): Generator<[JsonSchema, string]> {
  if (!isObject(schema)) return;
  yield [schema, pointer];
  for (const [key, value] of Object.entries(schema)) {
    if (Array.isArray(value)) {
      if (MANY.has(key)) for (const [i, item] of value.entries()) yield* subschemas(item, pointerTo(pointer, key, String(i)));
    } else if (ONE.has(key)) yield* subschemas(value, pointerTo(pointer, key));
    else if (NAMED.has(key) && isObject(value)) {
      for (const [name, sub] of Object.entries(value)) yield* subschemas(sub, pointerTo(pointer, key, name));
    }
  }
}
