import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { nullable, pointerTo, strictify } from '../../src/structured/strictify.js';

const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
  ...extra,
});

describe('strictify: schemas strict mode refuses (usage error naming pointer and rule)', () => {
  it.each<[string, unknown, RegExp]>([
    ['root not an object type', { type: 'array', items: { type: 'string' } }, /--json-schema \(inline\): \/: the root must be \{"type": "object"\}/],
    // Not "got type null": a schema of no type names none ({} or an anyOf).
    ['root with no type', { anyOf: [{ type: 'object' }] }, /the root must be \{"type": "object"\} \(strict mode answers are objects\), got no type; /],
    ['root of type null', { type: null }, /got type null; /],
    ['root anyOf', { type: 'object', properties: {}, anyOf: [{ type: 'object' }] }, /\/: anyOf is not allowed at the root/],
    ['root not JSON object', ['a'], /\/: the schema must be a JSON object/],
    [
      'open map',
      obj({ tags: { type: 'object', additionalProperties: { type: 'string' } } }),
      /\/properties\/tags\/additionalProperties: additionalProperties must be false/,
    ],
    [
      'additionalProperties true',
      { ...obj({ a: { type: 'string' } }), additionalProperties: true },
      /--json-schema \(inline\): \/additionalProperties: additionalProperties must be false/,
    ],
    ['object without properties', obj({ meta: { type: 'object' } }), /\/properties\/meta: an object needs its properties listed/],
    ['minLength', obj({ s: { type: 'string', minLength: 3 } }), /\/properties\/s\/minLength: minLength is not supported in strict mode/],
    ['maxLength', obj({ s: { type: 'string', maxLength: 3 } }), /\/properties\/s\/maxLength: maxLength is not supported/],
    // ajv-formats enforces it client-side: dropped as an unknown keyword, strict answers went unchecked.
    [
      'formatMinimum',
      obj({ d: { type: 'string', format: 'date', formatMinimum: '2020-01-01' } }),
      /\/properties\/d\/formatMinimum: formatMinimum is not supported in strict mode/,
    ],
    ['uniqueItems', obj({ a: { type: 'array', items: { type: 'string' }, uniqueItems: true } }), /\/properties\/a\/uniqueItems: uniqueItems/],
    ['allOf', obj({ a: { allOf: [{ type: 'string' }] } }), /\/properties\/a\/allOf: allOf is not supported/],
    ['oneOf', obj({ a: { oneOf: [{ type: 'string' }, { type: 'number' }] } }), /\/properties\/a\/oneOf: oneOf is not supported in strict mode \(use anyOf\)/],
    ['not', obj({ a: { type: 'string', not: { const: 'x' } } }), /\/properties\/a\/not:/],
    // A `then` key in an object literal is a thenable to linters: parsed from JSON, as a schema is.
    ['if/then', obj({ a: JSON.parse('{"type": "string", "if": {"const": "x"}, "then": {}}') }), /\/properties\/a\/if: if\/then\/else/],
    ['patternProperties', obj({ a: { type: 'object', properties: {}, patternProperties: { '^x': {} } } }), /\/properties\/a\/patternProperties/],
    [
      'unsupported format',
      obj({ u: { type: 'string', format: 'uri' } }),
      /\/properties\/u\/format: format "uri" is not supported in strict mode \(supported: date-time/,
    ],
    ['array without items', obj({ a: { type: 'array' } }), /\/properties\/a: an array needs items/],
    ['tuple items', obj({ a: { type: 'array', items: [{ type: 'string' }] } }), /\/properties\/a\/items: items must be one schema/],
    ['prefixItems', obj({ a: { type: 'array', prefixItems: [{ type: 'string' }], items: { type: 'string' } } }), /\/properties\/a\/prefixItems/],
    ['no type', obj({ a: { description: 'anything' } }), /\/properties\/a: every schema needs a type/],
    ['unknown type', obj({ a: { type: 'date' } }), /\/properties\/a\/type: unknown type "date"/],
    ['boolean schema', obj({ a: true }), /\/properties\/a: boolean schemas/],
    ['external $ref', obj({ a: { $ref: 'https://example.com/s.json' } }), /\/properties\/a\/\$ref: only local references/],
    [
      'required names a missing property',
      { ...obj({ a: { type: 'string' } }), required: ['a', 'b'] },
      /\/required: required names "b", which is not in properties/,
    ],
    ['draft-04 exclusiveMaximum', obj({ n: { type: 'number', maximum: 5, exclusiveMaximum: true } }), /\/properties\/n\/exclusiveMaximum: .*draft-04/],
    ['pointer escapes / and ~', obj({ 'a/b~c': { type: 'string', minLength: 1 } }), /\/properties\/a~1b~0c\/minLength/],
    ['$defs below the root', obj({ a: { type: 'object', properties: {}, $defs: {} } }), /\/properties\/a\/\$defs: \$defs must be at the root/],
    ['nested too deep', nest(11), /nested deeper than 10 levels/],
    [
      'too many enum values',
      obj({ e: { type: 'string', enum: Array.from({ length: 1001 }, (_, i) => `v${i}`) } }),
      /1001 enum values in all; strict mode allows 1000/,
    ],
    [
      'an enum of more than 250 values with more than 15,000 characters',
      obj({ e: { type: 'string', enum: Array.from({ length: 300 }, (_, i) => `${'v'.repeat(57)}${String(i).padStart(3, '0')}`) } }),
      /\/properties\/e\/enum: 300 values of 18000 characters in all; strict mode allows 15000 in an enum of more than 250 values/,
    ],
  ])('%s', (_name, schema, message) => {
    expect(() => strictify(schema)).toThrow(UsageError);
    expect(() => strictify(schema)).toThrow(message);
    expect(() => strictify(schema)).toThrow(/--schema-in-prompt/);
  });

  it('an enum of 250 values takes any length: the limit is of an enum of more', () => {
    expect(() => strictify(obj({ e: { type: 'string', enum: Array.from({ length: 250 }, (_, i) => `${'v'.repeat(97)}${i}`) } }))).not.toThrow();
  });
});

function nest(levels: number): unknown {
  let s: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < levels; i++) s = obj({ x: s });
  return s;
}

describe('strictify: schemas strict mode accepts as written', () => {
  it.each<[string, Record<string, unknown>]>([
    ['flat', obj({ a: { type: 'string' }, n: { type: 'integer', minimum: 0, maximum: 5 }, b: { type: 'boolean' } })],
    ['enum and const', obj({ s: { type: 'string', enum: ['x', 'y'] }, c: { const: 'fixed' } })],
    ['nested objects and arrays', obj({ items: { type: 'array', minItems: 1, maxItems: 3, items: obj({ name: { type: 'string', pattern: '^[a-z]+$' } }) } })],
    ['nullable types', obj({ a: { type: ['string', 'null'] } })],
    ['anyOf below the root', obj({ v: { anyOf: [{ type: 'string' }, { type: 'number', multipleOf: 0.5 }] } })],
    ['$defs and $ref', { ...obj({ p: { $ref: '#/$defs/point' } }), $defs: { point: obj({ x: { type: 'number' }, y: { type: 'number' } }) } }],
    ['definitions (draft-07)', { ...obj({ p: { $ref: '#/definitions/p' } }), definitions: { p: obj({ x: { type: 'number' } }) } }],
    ['recursion to the root', obj({ name: { type: 'string' }, children: { type: 'array', items: { $ref: '#' } } })],
    ['formats', obj({ d: { type: 'string', format: 'date' }, e: { type: 'string', format: 'email' }, u: { type: 'string', format: 'uuid' } })],
    ['descriptions and titles', { ...obj({ a: { type: 'string', description: 'the a', title: 'A' } }), title: 'T', description: 'D' }],
  ])('%s', (_name, schema) => {
    const { schema: out, notes } = strictify(schema);
    expect(notes).toEqual([]);
    expect(out).toEqual(schema);
  });

  it('drops $schema and $id from what is sent, without a note', () => {
    const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'x', ...obj({ a: { type: 'string' } }) };
    const { schema: out, notes } = strictify(schema);
    expect(out).toEqual(obj({ a: { type: 'string' } }));
    expect(notes).toEqual([]);
  });
});

describe('strictify: made strict without changing meaning (with notes)', () => {
  it('an optional field becomes required and nullable; missing additionalProperties becomes false', () => {
    const { schema, notes } = strictify({
      type: 'object',
      properties: {
        name: { type: 'string' },
        age: { type: 'integer' },
        tier: { type: 'string', enum: ['a', 'b'] },
        ref: { $ref: '#/$defs/x' },
        kind: { enum: ['p', 'q'] },
        fixed: { const: 1, description: 'one' },
        tags: { type: ['array'], items: { type: 'string' } },
      },
      required: ['name'],
      $defs: { x: { type: 'object', properties: { v: { type: 'number' } }, required: ['v'] } },
    });
    expect(schema.required).toEqual(['name', 'age', 'tier', 'ref', 'kind', 'fixed', 'tags']);
    expect(schema.additionalProperties).toBe(false);
    const props = schema.properties as Record<string, unknown>;
    expect(props.name).toEqual({ type: 'string' });
    expect(props.age).toEqual({ type: ['integer', 'null'] });
    expect(props.tier).toEqual({ type: ['string', 'null'], enum: ['a', 'b', null] });
    expect(props.ref).toEqual({ anyOf: [{ $ref: '#/$defs/x' }, { type: 'null' }] });
    expect(props.kind).toEqual({ enum: ['p', 'q', null] });
    expect(props.fixed).toEqual({ description: 'one', anyOf: [{ const: 1 }, { type: 'null' }] });
    expect(props.tags).toEqual({ type: ['array', 'null'], items: { type: 'string' } });
    expect((schema.$defs as any).x.additionalProperties).toBe(false);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/^optional \/properties\/age, \/properties\/tier, .* made required and nullable/);
    expect(notes[1]).toMatch(/additionalProperties: false added at \/, \/\$defs\/x$/);
  });

  it('annotations strict mode may refuse are left out, said once per keyword', () => {
    const { schema, notes } = strictify(obj({ a: { type: 'string', default: 'x', examples: ['y'] }, b: { type: 'number', default: 1, 'x-unit': 'kg' } }));
    expect(schema.properties).toEqual({ a: { type: 'string' }, b: { type: 'number' } });
    expect(notes).toEqual([
      'annotation default left out at /properties/a, /properties/b (not accepted in strict mode; validation unchanged)',
      'annotation examples left out at /properties/a (not accepted in strict mode; validation unchanged)',
      'annotation x-unit left out at /properties/b (not accepted in strict mode; validation unchanged)',
    ]);
  });

  it("OpenAPI's nullable: true beside a type is sent as a null type, as Ajv validates it; its enum still applies", () => {
    // Dropped as an annotation, `{"name": null}` was refused by the schema sent and passed by Ajv's.
    const { schema, notes } = strictify(
      obj(
        {
          name: { type: 'string', nullable: true },
          // Ajv keeps the enum: null is no answer here, in strict mode as in Ajv.
          level: { type: 'string', enum: ['a', 'b'], nullable: true },
          tag: { enum: ['a', 'b'], nullable: true },
          ref: { $ref: '#/$defs/x', nullable: true },
          off: { type: 'string', nullable: false },
        },
        { nullable: true, $defs: { x: { type: 'integer' } } },
      ),
    );
    expect(schema.properties).toEqual({
      name: { type: ['string', 'null'] },
      level: { type: ['string', 'null'], enum: ['a', 'b'] },
      tag: { enum: ['a', 'b'] },
      ref: { $ref: '#/$defs/x' },
      off: { type: 'string' },
    });
    expect(schema.type).toBe('object');
    expect(notes).toContain('nullable: true at /properties/name, /properties/level sent as a "null" type');
    expect(notes).toContain(
      'annotation nullable left out at /, /properties/tag, /properties/ref, /properties/off (not accepted in strict mode; validation unchanged)',
    );
  });

  it('a property or a definition named __proto__ stays a key, not the prototype', () => {
    const input = JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"}},"$defs":{"__proto__":{"type":"integer"}}}');
    const { schema, notes } = strictify(input);
    const props = schema.properties as Record<string, unknown>;
    expect(Object.getPrototypeOf(props)).toBe(Object.prototype);
    expect(Object.keys(props)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(props, '__proto__')?.value).toEqual({ type: ['string', 'null'] });
    expect(Object.getOwnPropertyDescriptor(schema.$defs, '__proto__')?.value).toEqual({ type: 'integer' });
    expect(schema.required).toEqual(['__proto__']);
    expect(notes[0]).toMatch(/^optional \/properties\/__proto__ made required and nullable/);
    expect(JSON.stringify(schema)).toBe(
      '{"type":"object","properties":{"__proto__":{"type":["string","null"]}},"additionalProperties":false,"required":["__proto__"],"$defs":{"__proto__":{"type":"integer"}}}',
    );
  });

  it('does not change the input object', () => {
    const input = { type: 'object', properties: { a: { type: 'string' } } };
    const copy = structuredClone(input);
    strictify(input);
    expect(input).toEqual(copy);
  });

  it('nullable keeps an already nullable type as it is', () => {
    expect(nullable({ type: ['string', 'null'] })).toEqual({ type: ['string', 'null'] });
    expect(pointerTo('', 'properties', 'a/b')).toBe('/properties/a~1b');
  });
});
