import { describe, expect, it } from 'vitest';
import { read } from '../helpers/input-chunks.js';

const jsonl = (...rows: unknown[]) => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

describe('a JSONL file in which no row has a prompt', () => {
  it.each([
    [
      'another name',
      [
        { id: 1, question: 'Why?', lang: 'en' },
        { id: 2, question: 'How?' },
      ],
      {},
      /^rows\.jsonl:1: none of the 2 rows has a "prompt" or "messages" field \(fields: "id", "question", "lang"\); pass --prompt-field question or --template '…\{\{question\}\}…'$/,
    ],
    ['a usual name among several strings', [{ title: 'T', text: 'body', lang: 'en' }], {}, /pass --prompt-field text /],
    // In any case, and never the id in any: `{"ID": "1", "Prompt": "hello"}` suggested ID.
    ['a usual name in another case', [{ ID: '1', Prompt: 'hello' }], {}, /pass --prompt-field Prompt /],
    [
      'a wrong --prompt-field',
      [{ prompt: 'x' }],
      { promptField: 'question' },
      /^rows\.jsonl:1: its one row has no "question" field \(fields: "prompt"\); check --prompt-field or use --template$/,
    ],
    [
      'a template field no row has',
      [{ title: 'T' }, { title: 'U', lang: 'en' }],
      { template: '{{title}}: {{body}}' },
      /^rows\.jsonl:1: --template uses \{\{body\}\} but none of the 2 rows has such a field \(fields: "title", "lang"\)$/,
    ],
    ['after a blank line and a bad line', ['', '{oops', { q: 'x' }], {}, /^rows\.jsonl:3: none of the 2 rows has a "prompt" or "messages" field/],
    [
      'a template field in its one row',
      [{ title: 'T' }],
      { template: '{{body}}' },
      /^rows\.jsonl:1: --template uses \{\{body\}\} but its one row has no such field \(fields: "title"\)$/,
    ],
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

describe('a template over JSONL rows with messages', () => {
  const chat = (content: string) => ({ messages: [{ role: 'user', content }] });

  it.each([
    [
      'its one row',
      [chat('a')],
      /^c\.jsonl:1: --template cannot apply to a row with "messages", and the one row read has them: put \{\{messages\}\} in the template to insert each conversation as JSON, or leave --template out to send each as it is$/,
    ],
    ['every row', [chat('a'), '{oops', chat('b')], /^c\.jsonl:1: --template cannot apply to a row with "messages", and all 2 rows read have them: put/],
  ])('that does not use them, over %s: refused once, before any record', async (_label, rows, message) => {
    await expect(read(jsonl(...rows), { format: 'jsonl', source: 'c.jsonl', template: 'Say {{id}}' })).rejects.toThrow(message);
  });

  it('that does not use them, over a file that also has rows for it: each messages row is its own error', async () => {
    const records = await read(jsonl({ id: 'a', ...chat('a') }, { id: 'b', title: 'T' }), { format: 'jsonl', source: 'c.jsonl', template: 'Say {{title}}' });
    expect(records.map((r) => r.problem?.message ?? r.prompt)).toEqual(['c.jsonl:1: --template cannot apply to a row with messages', 'Say T']);
  });

  it('that uses {{messages}}: they are looked for as any field, and so are its other fields', async () => {
    const records = await read(jsonl(chat('a'), chat('b')), { format: 'jsonl', source: 'c.jsonl', template: 'Chat: {{messages}}' });
    expect(records.map((r) => r.problem?.message ?? r.prompt)).toEqual([
      `Chat: ${JSON.stringify(chat('a').messages)}`,
      `Chat: ${JSON.stringify(chat('b').messages)}`,
    ]);
    await expect(read(jsonl(chat('a')), { format: 'jsonl', source: 'c.jsonl', template: '{{messages}} {{nosuch}}' })).rejects.toThrow(
      /^c\.jsonl:1: --template uses \{\{nosuch\}\} but its one row has no such field \(fields: "messages"\)$/,
    );
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

  it('long rows end the read-ahead at 8 MiB, and the refusal says so', async () => {
    // It said "none of the first 84 rows" where README promised 1,000, and no word of why.
    const text = 'x'.repeat(100_000);
    const rows = Array.from({ length: 120 }, (_, i) => ({ a: text, ...(i === 99 ? { b: 'late' } : {}) }));
    await expect(read(jsonl(...rows), { format: 'jsonl', source: 'docs.jsonl', template: '{{a}} {{b}}' })).rejects.toThrow(
      /^docs\.jsonl:1: --template uses \{\{b\}\} but none of the first 84 rows \(8 MiB, as far as a read looks ahead\) has such a field \(fields: "a"\)$/,
    );
  });
});

describe('a prompt field missing from the first JSONL rows (no template)', () => {
  it.each([
    [
      'the default "prompt"',
      [
        { id: 1, q: 'x' },
        { id: 2, prompt: 'two' },
        { id: 3, prompt: null },
      ],
      {},
      'prompt',
    ],
    [
      'a --prompt-field',
      [
        { id: 1, q: 'x' },
        { id: 2, question: 'two' },
        { id: 3, question: null },
      ],
      { promptField: 'question' },
      'question',
    ],
  ])('%s present in a later row: every row is read, those without it are their own "input" error rows', async (_label, rows, options, field) => {
    const records = await read(jsonl(...rows), { format: 'jsonl', source: 'fr.jsonl', ...options });
    expect(records.map((r) => r.problem?.message ?? r.prompt)).toEqual([
      `fr.jsonl:1: no "${field}" or "messages" field`,
      'two',
      `fr.jsonl:3: "${field}" is null`,
    ]);
    expect(records.map((r) => r.problem?.field)).toEqual([field, undefined, field]);
  });

  it('a later row with messages or a Batch API line carries a prompt: the rows before it are their own errors', async () => {
    const batch = { custom_id: 'b', url: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'batch' }] } };
    const records = await read(jsonl({ q: 'x' }, { messages: [{ role: 'user', content: 'hi' }] }, batch), { format: 'jsonl', source: 'm.jsonl' });
    expect(records.map((r) => r.problem?.message ?? r.prompt)).toEqual(['m.jsonl:1: no "prompt" or "messages" field', 'hi', 'batch']);
  });

  it('a row whose body is data (an article, a logged request) is looked at for the prompt field like any other', async () => {
    const rows = [
      { url: 'https://example.com/a', title: 'A', body: 'Text' },
      { id: 'r1', method: 'POST', path: '/api/orders', body: { user: 'bob' } },
    ];
    await expect(read(jsonl(...rows), { format: 'jsonl', source: 'a.jsonl' })).rejects.toThrow(
      /^a\.jsonl:1: none of the 2 rows has a "prompt" or "messages" field \(fields: "url", "title", "body", "id", "method", "path"\)/,
    );
    const records = await read(jsonl(...rows), { format: 'jsonl', source: 'a.jsonl', template: '{{body}}' });
    expect(records.map((r) => r.problem?.message ?? r.prompt)).toEqual(['Text', '{"user":"bob"}']);
  });

  it('null in every row is present, not misspelt: per-row errors, not a refusal', async () => {
    const records = await read(jsonl({ prompt: null }, { prompt: null }), { format: 'jsonl', source: 'n.jsonl' });
    expect(records.map((r) => r.problem?.message)).toEqual(['n.jsonl:1: "prompt" is null', 'n.jsonl:2: "prompt" is null']);
  });

  it('read ahead only as far as needed: refused when none of the first 1,000 rows has it', async () => {
    const rows = Array.from({ length: 1500 }, (_, i) => ({ q: `${i}`, ...(i === 1200 ? { prompt: 'late' } : {}) }));
    await expect(read(jsonl(...rows), { format: 'jsonl', source: 'big.jsonl' })).rejects.toThrow(
      /^big\.jsonl:1: none of the first 1,000 rows has a "prompt" or "messages" field \(fields: "q"\); pass --prompt-field q /,
    );
  });

  it.each([
    ['no template', {}],
    ['a template', { template: '{{prompt}}' }],
  ])('%s: lines that are not objects are their own "invalid JSON" rows, unless none of the first 1,000 is one', async (_label, options) => {
    const records = await read(jsonl('{oops', '[1]', { prompt: 'fine' }), { format: 'jsonl', source: 'bad.jsonl', ...options });
    expect(records.map((r) => r.problem?.message ?? r.prompt)).toEqual([
      expect.stringMatching(/^bad\.jsonl:1: invalid JSON/),
      expect.stringMatching(/^bad\.jsonl:2: expected a JSON object/),
      'fine',
    ]);
    const lines = jsonl(...Array.from({ length: 1001 }, () => '{oops'), { prompt: 'fine' });
    await expect(read(lines, { format: 'jsonl', source: 'bad.jsonl', ...options })).rejects.toThrow(
      /^bad\.jsonl:1: none of the first 1,000 lines is a JSON object \(line 1 is not JSON: "\{oops"\), so this is not JSONL: for one prompt per line pass --input-format txt/,
    );
  });
});

describe('a JSONL input that is not JSONL at all', () => {
  it.each([
    [
      'text lines',
      'first question\nsecond question\n',
      /^q\.jsonl:1: none of the 2 lines is a JSON object \(line 1 is not JSON: "first question"\), so this is not JSONL: for one prompt per line pass --input-format txt \(or name it \.txt\)/,
    ],
    [
      'a blank line, then one array',
      '\n["a","b"]\n',
      /^q\.jsonl:2: its one line is not a JSON object \(line 2 is a JSON array\), so this is not JSONL: JSONL is one object a line \(\{"prompt": "…"\}\), and a \.json file one array of prompts \(\["…", "…"\]\)$/,
    ],
    // Text whose first line happens to parse ("2024"): text all the same, with the text's advice.
    [
      'text whose first line is a number',
      '2024\nWhat happened this year?\n',
      /^q\.jsonl:1: none of the 2 lines is a JSON object \(line 1 is a JSON number\), so this is not JSONL: for one prompt per line pass --input-format txt/,
    ],
    // Read as text, as the plain lines' advice would have it, the quotes would go out in the prompts.
    [
      'a JSON string a line',
      '"a"\n"b"\n',
      /^q\.jsonl:1: none of the 2 lines is a JSON object \(line 1 is a JSON string\), so this is not JSONL: JSONL is one object a line/,
    ],
    [
      'pretty-printed JSON',
      '{\n  "prompt": "a"\n}\n',
      /^q\.jsonl:1: none of the 3 lines is a JSON object \(line 1 is "\{" alone\): this looks like JSON objects spread over several lines \(as jq prints them without -c\): JSONL needs one object a line \(jq -c\), and a JSON array is read from a \.json file$/,
    ],
  ])('%s: refused before any record, with the format to use', async (_label, text, message) => {
    await expect(read(text, { format: 'jsonl', source: 'q.jsonl' })).rejects.toThrow(message);
  });

  it('an empty input, or blank lines only, is not refused: it has no prompts', async () => {
    expect(await read('\n\n', { format: 'jsonl', source: 'q.jsonl' })).toEqual([]);
  });
});

describe('an explicit --id-field in no JSONL row', () => {
  it.each([
    [
      'a plain row',
      [{ ticket: 'T-1', prompt: 'a' }],
      /^t\.jsonl:1: its one row has no "tiket" field for --id-field \(fields: "ticket", "prompt"\); check --id-field/,
    ],
    [
      'rows with messages and a Batch API line',
      ['{oops', { messages: [{ role: 'user', content: 'hi' }] }, { custom_id: 'c', url: '/v1/chat/completions', body: { messages: [] } }],
      /^t\.jsonl:2: none of the 3 rows has a "tiket" field for --id-field \(fields: "messages", "custom_id", "url", "body"\)/,
    ],
  ])('%s: refused before any record', async (_label, rows, message) => {
    await expect(read(jsonl(...rows), { format: 'jsonl', source: 't.jsonl', idField: 'tiket' })).rejects.toThrow(message);
  });

  it('in a later row only: read, the rows without it get line-based ids', async () => {
    const records = await read(jsonl({ prompt: 'a' }, { ticket: 'T-2', prompt: 'b' }), { format: 'jsonl', source: 't.jsonl', idField: 'ticket' });
    expect(records.map((r) => r.id)).toEqual([expect.stringMatching(/^1-[0-9a-f]{8}$/), 'T-2']);
  });

  it('none of the first 1,000 rows has it: refused', async () => {
    const rows = Array.from({ length: 1200 }, (_, i) => ({ prompt: `${i}`, ...(i === 1100 ? { ticket: 'late' } : {}) }));
    await expect(read(jsonl(...rows), { format: 'jsonl', source: 't.jsonl', idField: 'ticket' })).rejects.toThrow(
      /^t\.jsonl:1: none of the first 1,000 rows has a "ticket" field for --id-field/,
    );
  });

  it('a .json array is checked the same way', async () => {
    await expect(read(JSON.stringify([{ prompt: 'a' }]), { format: 'json', source: 't.json', idField: 'tiket' })).rejects.toThrow(
      /^t\.json:1: element 1: its one row has no "tiket" field for --id-field/,
    );
  });
});

describe('named --keep-fields in no JSONL row', () => {
  it('one no row has: refused before any record, naming it and the fields seen', async () => {
    await expect(
      read(jsonl({ id: '1', prompt: 'a', title: 'x' }, { id: '2', prompt: 'b' }), { format: 'jsonl', source: 't.jsonl', keepFields: ['title', 'titel'] }),
    ).rejects.toThrow(
      /^t\.jsonl:1: none of the 2 rows has a "titel" field for --keep-fields \(fields: "id", "prompt", "title"\); check --keep-fields, or keep every field a row has with --keep-fields all$/,
    );
  });

  it('in a later row only: read, the rows without it keep nothing of it', async () => {
    const records = await read(jsonl({ prompt: 'a' }, { prompt: 'b', note: 'n' }), { format: 'jsonl', source: 't.jsonl', keepFields: ['note'] });
    expect(records.map((r) => r.fields)).toEqual([{}, { note: 'n' }]);
  });

  it('--keep-fields all names none: never refused', async () => {
    expect(await read(jsonl({ prompt: 'a' }), { format: 'jsonl', source: 't.jsonl', keepFields: 'all' })).toHaveLength(1);
  });

  it('a .json array of objects is checked the same way', async () => {
    await expect(read(JSON.stringify([{ prompt: 'a' }]), { format: 'json', source: 't.json', keepFields: ['titel'] })).rejects.toThrow(
      /^t\.json:1: element 1: its one row has no "titel" field for --keep-fields/,
    );
  });
});
