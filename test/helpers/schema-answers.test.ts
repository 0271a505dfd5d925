import { describe, expect, it } from 'vitest';
import { schemaInstructions } from '../../src/structured/instructions.js';
import { strictify } from '../../src/structured/strictify.js';
import { compileCheck } from '../../src/structured/validate.js';
import { RESPONSE_FORMAT_REJECTION, rejectResponseFormat, schemaAnswer } from './schema-answers.js';

const schema = strictify({
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['a', 'b'] },
    n: { type: 'integer', minimum: 3, maximum: 4 },
    items: { type: 'array', items: { type: 'object', properties: { s: { type: 'string' } } } },
    note: { type: 'string' },
  },
  required: ['kind', 'n', 'items'],
}).schema;
const check = compileCheck(schema, '07');
const body = (prompt: string, extra: object[] = []) => ({
  messages: [{ role: 'user', content: prompt }, ...extra],
  response_format: { type: 'json_schema', json_schema: { name: 't', schema, strict: true } },
});

describe("schemaAnswer (the mock server's structured answers)", () => {
  it('answers a schema request with a conforming object whose strings carry the prompt', () => {
    const a = schemaAnswer(body('héllo, "x"'), undefined)!;
    expect(a.finishReason).toBe('stop');
    expect(check(a.content)).toMatchObject({ ok: true });
    expect(JSON.parse(a.content).items[0].s).toBe('héllo, "x"');
  });

  it('reads the schema from a --schema-in-prompt system message', () => {
    const a = schemaAnswer(
      {
        messages: [
          { role: 'system', content: schemaInstructions(schema) },
          { role: 'user', content: 'p' },
        ],
      },
      undefined,
    )!;
    expect(check(a.content)).toMatchObject({ ok: true });
  });

  it('leaves plain requests alone; JSON mode gets {answer}', () => {
    expect(schemaAnswer({ messages: [{ role: 'user', content: 'p' }] }, undefined)).toBeUndefined();
    expect(schemaAnswer({ messages: [{ role: 'user', content: 'p [[latency:1]]' }], response_format: { type: 'json_object' } }, undefined)).toEqual({
      content: '{"answer":"p"}',
      finishReason: 'stop',
    });
  });

  it.each([
    ['invalid-json', 'json'],
    ['violate', 'schema'],
  ] as const)('[[schema:%s]] answers wrongly, then correctly once the conversation has a re-ask', (fault, kind) => {
    const prompt = `p [[schema:${fault}]]`;
    expect(check(schemaAnswer(body(prompt), undefined)!.content)).toMatchObject({ ok: false, kind });
    const reasked = body(prompt, [
      { role: 'assistant', content: 'x' },
      { role: 'user', content: 'fix it' },
    ]);
    expect(check(schemaAnswer(reasked, undefined)!.content)).toMatchObject({ ok: true });
  });

  it('[[schema:truncate*2]]: half an answer with finish_reason length, twice', () => {
    const a = schemaAnswer(body('p [[schema:truncate*2]]', [{ role: 'assistant', content: 'x' }]), undefined)!;
    expect(a.finishReason).toBe('length');
    expect(check(a.content)).toMatchObject({ ok: false, kind: 'json' });
  });

  it('the fault option applies to every request', () => {
    const a = schemaAnswer(body('p'), { fault: ({ reask }) => (reask === 0 ? 'violate' : undefined) })!;
    expect(check(a.content)).toMatchObject({ ok: false, kind: 'schema' });
  });

  it('rejectResponseFormat: a 400 body naming response_format, only when one is sent', () => {
    expect(rejectResponseFormat(body('p'), { rejectResponseFormat: true })).toContain(RESPONSE_FORMAT_REJECTION.replace(/'/g, "'"));
    expect(rejectResponseFormat({ messages: [] }, { rejectResponseFormat: true })).toBeUndefined();
    expect(rejectResponseFormat(body('p'), {})).toBeUndefined();
  });
});
