import { describe, expect, it } from 'vitest';
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
  });

  it('a schema Ajv cannot compile is a usage error', () => {
    expect(() => compileCheck({ type: 'object', properties: { a: { $ref: '#/$defs/missing' } } }, '07')).toThrow(UsageError);
  });
});

describe('judgeAnswer', () => {
  const check = compileCheck(ticket, '07');
  it('a truncated answer is said as such and not re-asked', () => {
    const v = judgeAnswer('{"sentiment": "neu', 'length', check);
    expect(v).toMatchObject({ ok: false, final: true });
    expect(!v.ok && v.message).toMatch(/^answer cut off at the token limit \(finish_reason: length\).*raise --max-tokens/);
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
