import { describe, expect, it } from 'vitest';
import { EndlessSchemaError, fromPattern, sampleValue } from '../../src/structured/sample-answer.js';
import { strictify } from '../../src/structured/strictify.js';
import { compileCheck } from '../../src/structured/validate.js';
import ticketSchema from '../../fixtures/ticket-schema.json' with { type: 'json' };

const schemas: Array<[string, Record<string, unknown>]> = [
  ['the ticket fixture', ticketSchema as Record<string, unknown>],
  [
    'nested objects and arrays',
    {
      type: 'object',
      properties: {
        customer: { type: 'object', properties: { name: { type: 'string' }, email: { type: 'string', format: 'email' } } },
        lines: {
          type: 'array',
          minItems: 1,
          maxItems: 3,
          items: {
            type: 'object',
            properties: {
              sku: { type: 'string', pattern: '^[A-Z]{3}\\d{4}$' },
              qty: { type: 'integer', minimum: 1, maximum: 9 },
              price: { type: 'number', multipleOf: 0.01, exclusiveMinimum: 0 },
            },
          },
        },
        when: { type: 'string', format: 'date-time' },
        kind: { enum: ['a', 'b'] },
        fixed: { const: 'v1' },
        either: { anyOf: [{ type: 'string' }, { type: 'number' }] },
      },
    },
  ],
  [
    'exclusive bounds around non-integers, and fractional steps',
    {
      type: 'object',
      properties: {
        p: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
        q: { type: 'number', minimum: 0, maximum: 1, multipleOf: 0.1 },
        r: { type: 'number', exclusiveMinimum: 0.5, exclusiveMaximum: 0.6 },
        s: { type: 'integer', exclusiveMinimum: 1.5, exclusiveMaximum: 4 },
        t: { type: 'number', exclusiveMinimum: 0, maximum: 1, multipleOf: 0.25 },
      },
      required: ['p', 'q', 'r', 's', 't'],
    },
  ],
  [
    '$defs and recursion',
    {
      type: 'object',
      properties: { root: { $ref: '#/$defs/node' } },
      required: ['root'],
      $defs: { node: { type: 'object', properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } } } },
    },
  ],
];

describe('sampleValue: mock answers validate against their (strict) schema', () => {
  it.each(schemas)('%s', (_name, schema) => {
    const strict = strictify(schema).schema;
    const check = compileCheck(strict, '07');
    for (const seed of ['a', 'b', 'héllo, "x"\n', 'zz']) {
      const r = check(JSON.stringify(sampleValue(strict, seed, (n) => `${n}: ${seed}`)));
      expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
    }
  });
  it('a property named __proto__ is a key of the answer', () => {
    const value = sampleValue(JSON.parse('{"type":"object","properties":{"__proto__":{"const":"x"}}}'), 's', (n) => n);
    expect(JSON.stringify(value)).toBe('{"__proto__":"x"}');
  });

  it('is deterministic per seed', () => {
    const s = strictify(schemas[1]![1]).schema;
    expect(sampleValue(s, 'x', (n) => n)).toEqual(sampleValue(s, 'x', (n) => n));
  });
  it('fromPattern builds simple ids and gives up on fancy patterns', () => {
    let i = 0;
    const next = () => i++;
    expect(fromPattern('^[A-Z]{2}-[0-9]{5}$', next)).toMatch(/^[A-Z]{2}-[0-9]{5}$/);
    expect(fromPattern('^(a|b)+$', next)).toBeUndefined();
  });
});

describe('sampleValue of a schema with no finite value', () => {
  it('throws EndlessSchemaError naming the $ref, not a stack overflow', () => {
    const loop = {
      type: 'object',
      properties: { a: { $ref: '#/definitions/A' } },
      required: ['a'],
      definitions: {
        A: { type: 'object', properties: { b: { $ref: '#/definitions/B' } }, required: ['b'] },
        B: { type: 'array', minItems: 1, items: { $ref: '#/definitions/A' } },
      },
    };
    expect(() => sampleValue(loop, 'seed', () => 'x')).toThrow(EndlessSchemaError);
    expect(() => sampleValue(loop, 'seed', () => 'x')).toThrow(/^the schema has no finite value: #\/definitions\/[AB] requires itself at every level/);
  });

  it('a recursion with a way out (a null branch) is sampled as before', () => {
    const list = {
      type: 'object',
      properties: { head: { $ref: '#/$defs/L' } },
      $defs: { L: { type: 'object', properties: { next: { anyOf: [{ $ref: '#/$defs/L' }, { type: 'null' }] } } } },
    };
    expect(sampleValue(list, 'seed', () => 'x')).toEqual({ head: { next: { next: null } } });
  });
});
