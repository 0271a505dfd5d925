import { describe, expect, it } from 'vitest';
import { read } from '../helpers/input-chunks.js';

const jsonl = (...rows: unknown[]) => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

describe('a JSONL file whose first row has no prompt', () => {
  it.each([
    [
      'another name',
      [
        { id: 1, question: 'Why?', lang: 'en' },
        { id: 2, question: 'How?' },
      ],
      {},
      /^rows\.jsonl:1: no "prompt" or "messages" field in the first row \(fields: "id", "question", "lang"\); pass --prompt-field question or --template '…\{\{question\}\}…'$/,
    ],
    ['a usual name among several strings', [{ title: 'T', text: 'body', lang: 'en' }], {}, /pass --prompt-field text /],
    [
      'a wrong --prompt-field',
      [{ prompt: 'x' }],
      { promptField: 'question' },
      /^rows\.jsonl:1: no "question" field in the first row \(fields: "prompt"\); check --prompt-field or use --template$/,
    ],
    [
      'a template field no row has',
      [{ title: 'T' }, { title: 'U', lang: 'en' }],
      { template: '{{title}}: {{body}}' },
      /^rows\.jsonl:1: --template uses \{\{body\}\} but none of the 2 rows has such a field \(fields: "title", "lang"\)$/,
    ],
    ['after a blank line and a bad line', ['', '{oops', { q: 'x' }], {}, /^rows\.jsonl:3: no "prompt" or "messages" field/],
  ])('%s: refused before any record, naming the fields seen', async (_label, rows, options, message) => {
    await expect(read(jsonl(...rows), { format: 'jsonl', source: 'rows.jsonl', ...options })).rejects.toThrow(message);
  });

  it.each([
    ['messages', { messages: [{ role: 'user', content: 'hi' }] }, {}],
    ['a Batch API line', { custom_id: 'a', url: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'hi' }] } }, {}],
    ['--prompt-field', { question: 'Why?' }, { promptField: 'question' }],
    ['a template', { title: 'T' }, { template: 'Say {{title}}' }],
  ])("a first row with %s passes; a later row without a prompt stays that row's error", async (_label, first, options) => {
    const records = await read(jsonl(first, { other: 'x' }), { format: 'jsonl', source: 'rows.jsonl', ...options });
    expect(records[0]?.problem).toBeUndefined();
    expect(records[1]?.problem?.message).toMatch(/^rows\.jsonl:2: /);
  });
});

describe('a template field missing from the first JSONL rows', () => {
  it('present in a later row: every row is read, those without it are their own "input" error rows', async () => {
    const records = await read(jsonl({ a: '1' }, { a: '2', b: 'x' }, { a: '3', b: null }), {
      format: 'jsonl',
      source: 'fr.jsonl',
      template: '{{a}} {{b}}',
    });
    expect(records.map((r) => r.problem?.message ?? r.prompt)).toEqual([
      'fr.jsonl:1: template field "b" is missing',
      '2 x',
      'fr.jsonl:3: template field "b" is null',
    ]);
  });

  it('null in every row is present, not misspelt: per-row errors, not a refusal', async () => {
    const records = await read(jsonl({ a: '1', b: null }, { a: '2', b: null }), { format: 'jsonl', source: 'n.jsonl', template: '{{b}}' });
    expect(records.map((r) => r.problem?.message)).toEqual(['n.jsonl:1: template field "b" is null', 'n.jsonl:2: template field "b" is null']);
  });

  it('read ahead only as far as needed: the first rows are refused when none of the first 1,000 has the field', async () => {
    const rows = Array.from({ length: 1500 }, (_, i) => ({ a: `${i}`, ...(i === 1200 ? { b: 'late' } : {}) }));
    await expect(read(jsonl(...rows), { format: 'jsonl', source: 'big.jsonl', template: '{{a}} {{b}}' })).rejects.toThrow(
      /^big\.jsonl:1: --template uses \{\{b\}\} but none of the first 1,000 rows has such a field \(fields: "a"\)$/,
    );
  });
});
