import { describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { judgeAnswer } from '../../src/structured/judge-answer.js';
import { stripFence } from '../../src/structured/strip-fence.js';
import { compileCheck, draftOf } from '../../src/structured/validate.js';
import { rejectsResponseFormat } from '../../src/structured/response-format.js';

const ticket = {
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
    when: { type: 'string', format: 'date' },
    email: { type: ['string', 'null'], format: 'email' },
    score: { type: 'integer', minimum: 0, maximum: 10 },
    tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
  },
  required: ['sentiment', 'when', 'email', 'score', 'tags'],
  additionalProperties: false,
};

describe('compileCheck', () => {
  const check = compileCheck(ticket, '07');

  it('checks multipleOf as decimals, not binary floating point (19.99 is a multiple of 0.01)', () => {
    const price = compileCheck({ type: 'object', properties: { price: { type: 'number', multipleOf: 0.01 } }, required: ['price'] }, '07');
    for (const ok of [19.99, 4.35, 0.3, 20, 123456.78]) expect(price(JSON.stringify({ price: ok })).ok, String(ok)).toBe(true);
    for (const bad of [19.995, 0.001]) expect(price(JSON.stringify({ price: bad })).ok, String(bad)).toBe(false);
  });

  it('accepts a valid answer and returns the parsed value', () => {
    const value = { sentiment: 'neutral', when: '2026-11-30', email: null, score: 3, tags: ['x'] };
    expect(check(JSON.stringify(value))).toEqual({ ok: true, value });
  });

  it('lists every violation with its pointer in the answer (allErrors)', () => {
    const r = check(JSON.stringify({ sentiment: 'angry', when: '30/11/2026', email: 'nope', score: 11, tags: [], extra: 1 }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.kind).toBe('schema');
    expect(r.problems).toEqual([
      '/: unexpected property "extra"',
      '/sentiment: must be equal to one of the allowed values ("positive", "neutral", "negative")',
      '/when: must match format "date"',
      '/email: must match format "email"',
      '/score: must be <= 10',
      '/tags: must NOT have fewer than 1 items',
    ]);
  });

  it('names a missing property', () => {
    const r = check('{"sentiment":"neutral"}');
    expect(!r.ok && r.problems).toContain('/: missing property "when"');
  });

  it('invalid JSON is its own kind', () => {
    const r = check('{"sentiment": "neutral",');
    expect(r).toMatchObject({ ok: false, kind: 'json' });
    // V8 12 (Node 22) and later add where that is as a line and column.
    expect(!r.ok && r.problems).toEqual([expect.stringMatching(/^Expected double-quoted property name in JSON at position 24( \(line 1 column 25\))?$/)]);
    // V8's echo of the text's start goes: the sentence around it already says "not valid JSON".
    const bad = check('Sure! {"sentiment": "neutral"}');
    expect(!bad.ok && bad.problems).toEqual(["Unexpected token 'S'"]);
  });

  it('a ```json fence around the object is not part of the answer', () => {
    expect(stripFence('```json\n{"a":1}\n```')).toBe('{"a":1}');
    expect(stripFence('{"a":1}')).toBe('{"a":1}');
  });

  it('drafts: 2020-12 prefixItems works under Ajv2020; draft-07 by default; draft-04 refused', () => {
    const tuple = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [{ type: 'number' }], items: false };
    const c = compileCheck(tuple, draftOf(tuple));
    expect(c('[1]').ok).toBe(true);
    expect(c('[1, 2]').ok).toBe(false);
    expect(draftOf({})).toBe('07');
    expect(draftOf({ $schema: 'http://json-schema.org/draft-07/schema#' })).toBe('07');
    expect(() => draftOf({ $schema: 'http://json-schema.org/draft-04/schema#' })).toThrow(/draft-04.*not a draft Ajv 8 validates/);
    // The file is named before the place in it (it read as a file called "/$schema").
    expect(() => draftOf({ $schema: 'http://json-schema.org/draft-04/schema#' }, 'old.json')).toThrow(
      new UsageError(
        '--json-schema old.json: /$schema: http://json-schema.org/draft-04/schema# is not a draft Ajv 8 validates (draft-06/07, 2019-09, 2020-12)',
      ),
    );
    expect(() => draftOf({ $schema: 4 }, '(inline)')).toThrow(new UsageError('--json-schema (inline): /$schema: must be a URI string'));
  });

  it('a schema Ajv cannot compile is a usage error', () => {
    expect(() => compileCheck({ type: 'object', properties: { a: { $ref: '#/$defs/missing' } } }, '07')).toThrow(UsageError);
    expect(() => compileCheck({ type: 'object', properties: { a: { type: 7 } } }, '07', { label: 'x.json' })).toThrow(
      /^--json-schema x\.json: not a valid JSON Schema \(schema is invalid: data\/properties\/a\/type must be/,
    );
    // A pattern that is no regular expression: Ajv names the expression, the message names its place.
    const written = { type: 'object', properties: { ok: { type: 'string', pattern: '^a' }, code: { type: 'string', pattern: '[unclosed' } } };
    expect(() => compileCheck(written, '07', { label: 'p.json' })).toThrow(
      /^--json-schema p\.json: \/properties\/code\/pattern: not a valid JSON Schema \(Invalid regular expression: \/\[unclosed\/u: /,
    );
  });

  it('a $ref that resolves to nothing names the source and the $ref, not a lookalike in data', () => {
    const schema = JSON.parse(
      '{"type":"object","properties":{"$ref":{"const":{"$ref":"#/$defs/Missing"}},"a b":{"anyOf":[{"type":"null"},{"$ref":"#/$defs/Missing"}]}},"$defs":{}}',
    );
    expect(() => compileCheck(schema, '2020-12', { label: 'r.json' })).toThrow(
      new UsageError("--json-schema r.json: /properties/a b/anyOf/1/$ref: can't resolve #/$defs/Missing"),
    );
    expect(() => compileCheck(schema, '2020-12')).toThrow(new UsageError("--json-schema: /properties/a b/anyOf/1/$ref: can't resolve #/$defs/Missing"));
    // Made strict, an optional field's $ref moves into an anyOf: the pointer is the one in the file.
    const written = { type: 'object', properties: { a: { $ref: '#/definitions/Gone' } } };
    const strict = { type: 'object', properties: { a: { anyOf: [{ $ref: '#/definitions/Gone' }, { type: 'null' }] } }, required: ['a'] };
    expect(() => compileCheck(strict, '07', { label: 'r.json', asWritten: written })).toThrow(
      new UsageError("--json-schema r.json: /properties/a/$ref: can't resolve #/definitions/Gone"),
    );
  });

  it('a format Ajv does not know is refused with its pointer, and Ajv prints nothing', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const schema = { type: 'object', properties: { 'a/b c': { type: 'array', items: { type: 'string', format: 'nosuch' } } } };
      expect(() => compileCheck(schema, '07', { label: 'fmt.json' })).toThrow(
        /^--json-schema fmt\.json: \/properties\/a~1b c\/items\/format: unknown format "nosuch" \(known: date, time, date-time, .*uuid/,
      );
      const inDef = { type: 'object', properties: { a: { $ref: '#/$defs/D' } }, $defs: { D: { type: 'string', format: 'emial' } } };
      expect(() => compileCheck(inDef, '2020-12')).toThrow(/^--json-schema: \/\$defs\/D\/format: unknown format "emial"/);
      expect(compileCheck({ type: 'string', format: 'uri' }, '07')('"https://example.com"').ok).toBe(true);
      expect([...warn.mock.calls, ...log.mock.calls, ...error.mock.calls]).toEqual([]);
    } finally {
      warn.mockRestore();
      log.mockRestore();
      error.mockRestore();
    }
  });

  it('a property named __proto__, which Ajv skips, is refused with its pointer', () => {
    const schema = JSON.parse('{"type":"object","properties":{"o":{"type":"object","properties":{"__proto__":{"type":"string"}}}}}');
    expect(() => compileCheck(schema, '07', { label: 'p.json' })).toThrow(
      new UsageError('--json-schema p.json: /properties/o/properties/__proto__: Ajv does not check a property named "__proto__"; rename it'),
    );
    // As data (an enum value, a description) the name is fine.
    expect(compileCheck(JSON.parse('{"type":"object","properties":{"k":{"enum":["__proto__"]}}}'), '07')('{"k":"__proto__"}').ok).toBe(true);
  });
});

describe('judgeAnswer', () => {
  const check = compileCheck(ticket, '07');
  it('a truncated answer is said as such and not re-asked', () => {
    const v = judgeAnswer('{"sentiment": "neu', 'length', check);
    expect(v).toMatchObject({ ok: false, final: true });
    expect(!v.ok && v.message).toMatch(/^answer cut off at the token limit \(finish_reason: length\).*raise --max-tokens/);
  });
  it('a cut answer whose JSON parsed but fails the schema says so, not that its JSON was incomplete (EXC s22 F8)', () => {
    const v = judgeAnswer('{"sentiment":"x"}', 'length', check);
    expect(v).toMatchObject({ ok: false, final: true });
    expect(!v.ok && v.message).toMatch(
      /^answer cut off at the token limit \(finish_reason: length\); its JSON is complete but does not match the schema: \/: /,
    );
    expect(!v.ok && v.message).not.toMatch(/before its JSON was complete|raise --max-tokens/);
  });
  it('a schema violation can be re-asked', () => {
    const v = judgeAnswer('{"sentiment":"x"}', 'stop', check);
    expect(v).toMatchObject({ ok: false, final: false });
    expect(!v.ok && v.message).toMatch(/^answer does not match the schema: \/: missing property/);
  });
});

describe('rejectsResponseFormat', () => {
  it.each<[number | undefined, string, boolean]>([
    [400, "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.", true],
    [400, 'json_schema response format is not supported by this server', true],
    [400, 'Invalid request: messages must not be empty', false],
    [500, 'response_format crashed us', false],
    [undefined, 'response_format', false],
  ])('%s %s → %s', (status, message, expected) => {
    expect(rejectsResponseFormat(status, message)).toBe(expected);
  });
});
