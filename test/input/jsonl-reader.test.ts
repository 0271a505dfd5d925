import { describe, expect, it } from 'vitest';
import type { PromptRecord } from '../../src/types.js';
import { jsonlRecord } from '../../src/input/jsonl-reader.js';
import { stringifyExact } from '../../src/structured/exact-numbers.js';
import { brief, read, readFixture } from '../helpers/input-chunks.js';

const jsonl = (...rows: unknown[]) => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
/** One row as line 1, through the per-row parser (the reader refuses a first row without a prompt outright). */
const one = async (row: unknown, options: Record<string, unknown> = {}): Promise<PromptRecord> =>
  jsonlRecord(typeof row === 'string' ? row : JSON.stringify(row), 1, { format: 'jsonl', source: 'x.jsonl', ...options });

describe('jsonl input', () => {
  it('reads the fixture: prompts, a messages row, per-row params', async () => {
    const records = await readFixture('prompts.jsonl', { format: 'jsonl' });
    expect(records.map(brief)).toEqual([
      { line: 1, id: 'q1', prompt: "What is the capital of Australia, and why isn't it Sydney?" },
      { line: 2, id: 'q2', prompt: 'Summarise in one paragraph how HTTPS protects data in transit.' },
      { line: 3, id: 'q3', prompt: 'How do I find duplicate emails in a users table?' },
      { line: 4, id: 'q4', prompt: 'Write a limerick about a cat who learns to code.' },
    ]);
    expect(records[2]?.messages).toEqual([
      { role: 'system', content: 'You are a terse SQL expert.' },
      { role: 'user', content: 'How do I find duplicate emails in a users table?' },
    ]);
    expect(records[3]?.params).toEqual({ model: 'gpt-4o-mini', temperature: 1.1 });
    expect(records[0]?.params).toEqual({});
    expect(records[0]?.extraBody).toBeUndefined();
  });

  it('reads OpenAI Batch API request lines', async () => {
    const records = await readFixture('batch-api.jsonl', { format: 'jsonl', system: 'Be concise.' });
    expect(records.map((r) => [r.id, r.line, r.problem])).toEqual([
      ['req-1', 1, undefined],
      ['req-2', 2, undefined],
      ['req-3', 3, undefined],
    ]);
    expect(records[0]).toMatchObject({
      prompt: "Classify the sentiment of: 'The delivery was late but the food was great.'",
      params: { model: 'gpt-4o-mini', max_tokens: 50 },
      messages: [{ role: 'system', content: 'Be concise.' }, { role: 'user' }],
    });
    expect(records[0]?.extraBody).toBeUndefined();
    // The row's own system message is kept and the run's is not added.
    expect(records[1]?.messages[0]).toEqual({ role: 'system', content: 'Reply with a single word.' });
    expect(records[1]?.messages).toHaveLength(2);
    expect(records[1]?.params).toEqual({ model: 'gpt-4o-mini', temperature: 0 });
    // Other body fields pass through, except streaming.
    expect(records[2]?.extraBody).toEqual({ seed: 42 });
    expect(records[2]?.params).toEqual({ model: 'gpt-4o-mini', max_tokens: 50, temperature: 0.2 });
  });

  it("reads OpenAI's max_completion_tokens as the row's answer cap, and does not pass it through twice", async () => {
    const row = await one({ prompt: 'hi', max_completion_tokens: 77 });
    expect(row.params).toEqual({ max_tokens: 77 });
    const batch = await one({ custom_id: 'c', body: { model: 'o3-mini', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 88, seed: 1 } });
    expect(batch.params).toEqual({ model: 'o3-mini', max_tokens: 88 });
    expect(batch.extraBody).toEqual({ seed: 1 });
  });

  it('makes a row reusing an id an input error under an id of its own (resume and compaction key on ids)', async () => {
    const records = await read(
      jsonl(
        { id: 'a', prompt: 'one' },
        { id: 'b', prompt: 'two' },
        { id: 'a', prompt: 'three' },
        { id: 7, prompt: 'four' },
        { prompt: 'five' },
        { id: '7', prompt: 'six' },
      ),
      { format: 'jsonl', source: 'x.jsonl' },
    );
    expect(records.map((r) => r.problem?.message ?? null)).toEqual([
      null,
      null,
      'x.jsonl:3: duplicate id "a" (first on line 1); ids must be unique: pick another --id-field, or drop the id to use line-based ids',
      null,
      null,
      'x.jsonl:6: duplicate id "7" (first on line 4); ids must be unique: pick another --id-field, or drop the id to use line-based ids',
    ]);
    expect(records[2]!.problem?.field).toBe('id');
    expect(records[2]!.prompt).toBe('three');
    expect(new Set(records.map((r) => r.id)).size).toBe(6); // every row keeps an id of its own
    // Stable: the same input gives the duplicate the same id again (a resume recognises its row).
    const again = await read(jsonl({ id: 'a', prompt: 'one' }, { id: 'b', prompt: 'two' }, { id: 'a', prompt: 'three' }), {
      format: 'jsonl',
      source: 'x.jsonl',
    });
    expect(again[2]!.id).toBe(records[2]!.id);
  });

  it('into a CSV, takes ids that differ only in a lone surrogate for one id: UTF-8 writes both as U+FFFD', async () => {
    // Written as `s\uFFFD` three times, a CSV's resume took all three for answered and compacted two away.
    const records = await read(
      jsonl({ id: 's\ud800', prompt: 'a' }, { id: 's\ufffd', prompt: 'b' }, { id: 's\udc00', prompt: 'c' }, { id: 's', prompt: 'd' }),
      { format: 'jsonl', source: 'x.jsonl', csvIds: true },
    );
    expect(records.map((r) => r.problem?.message ?? null)).toEqual([
      null,
      'x.jsonl:2: duplicate id "s\ufffd" (first on line 1); ids must be unique: pick another --id-field, or drop the id to use line-based ids',
      'x.jsonl:3: duplicate id "s\\udc00" (first on line 1, the same once written: a lone UTF-16 surrogate is written as U+FFFD); ids must be unique: pick another --id-field, or drop the id to use line-based ids',
      null,
    ]);
    expect(records[0]!.id).toBe('s\ud800'); // kept as given: JSONL writes it escaped, and its resume finds it
  });

  it('into JSONL, keeps them apart: JSONL writes a lone surrogate escaped', async () => {
    const records = await read(jsonl({ id: 't\ud83c', prompt: 'a' }, { id: 't\ud83d', prompt: 'b' }), { format: 'jsonl', source: 'x.jsonl' });
    expect(records.map((r) => [r.id, r.problem])).toEqual([
      ['t\ud83c', undefined],
      ['t\ud83d', undefined],
    ]);
  });

  it('checks ids that look like line-based ones, and ids of error rows, too', async () => {
    const records = await read(
      jsonl(
        { id: '20240101-00000042', prompt: 'one' },
        { id: '20240101-00000042', prompt: 'two' },
        { id: 'b', prompt: 'q', max_tokens: 0 },
        { id: 'b', prompt: 'r' },
      ),
      { format: 'jsonl', source: 'x.jsonl' },
    );
    expect(records[1]!.problem?.message).toMatch(/^x\.jsonl:2: duplicate id "20240101-00000042" \(first on line 1\)/);
    expect(records[2]!.problem?.message).toMatch(/"max_tokens" must be a positive integer/);
    expect(records[3]!.problem?.message).toMatch(/^x\.jsonl:4: duplicate id "b" \(first on line 3\)/);
    expect(new Set(records.map((r) => r.id)).size).toBe(4);
  });

  it('turns bad lines into problem records and keeps going', async () => {
    const records = await readFixture('bad.jsonl', { format: 'jsonl' });
    expect(records.map((r) => [r.line, r.id, r.problem === undefined])).toEqual([
      [1, 'ok-1', true],
      [2, expect.stringMatching(/^2-[0-9a-f]{8}$/), false],
      [3, 'ok-2', true],
      [4, 'no-prompt', false],
      [5, 'ok-3', true],
    ]);
    expect(records[1]?.problem?.message).toMatch(/^bad\.jsonl:2: invalid JSON \(.+\)$/);
    expect(records[3]?.problem).toEqual({ message: 'bad.jsonl:4: no "prompt" or "messages" field', field: 'prompt' });
    for (const bad of [records[1], records[3]]) {
      expect(bad).toMatchObject({ source: 'bad.jsonl', messages: [], params: {} });
    }
  });

  it.each<[string, unknown, Record<string, unknown>, RegExp, string | undefined]>([
    ['invalid JSON', '{"id": 1,}', {}, /^x\.jsonl:1: invalid JSON \(.*position.*\)$/, undefined],
    ['an array', '[1, 2]', {}, /^x\.jsonl:1: expected a JSON object, got an array$/, undefined],
    ['a string', '"hello"', {}, /expected a JSON object, got a string$/, undefined],
    ['null', 'null', {}, /expected a JSON object, got null$/, undefined],
    ['no prompt', { id: 1, text: 'hi' }, {}, /^x\.jsonl:1: no "prompt" or "messages" field$/, 'prompt'],
    ['non-string prompt', { prompt: 42 }, {}, /"prompt" must be a string$/, 'prompt'],
    ['empty prompt', { prompt: '  ' }, {}, /empty "prompt"$/, 'prompt'],
    ['bad id', { id: true, prompt: 'hi' }, {}, /"id" must be a string or number$/, 'id'],
    [
      'temperature as a string',
      { prompt: 'hi', temperature: '0.7' },
      {},
      /^x\.jsonl:1: "temperature" must be a number from 0 to 2 \(got "0\.7"\)$/,
      'temperature',
    ],
    ['temperature out of range', { prompt: 'hi', temperature: -1 }, {}, /^x\.jsonl:1: "temperature" must be a number from 0 to 2 \(got -1\)$/, 'temperature'],
    ['max_tokens zero', { prompt: 'hi', max_tokens: 0 }, {}, /"max_tokens" must be a positive integer \(got 0\)$/, 'max_tokens'],
    ['max_tokens fractional', { prompt: 'hi', max_tokens: 1.5 }, {}, /"max_tokens" must be a positive integer/, 'max_tokens'],
    [
      'max_completion_tokens zero',
      { prompt: 'hi', max_completion_tokens: 0 },
      {},
      /"max_completion_tokens" must be a positive integer \(got 0\)$/,
      'max_completion_tokens',
    ],
    [
      'both answer caps',
      { prompt: 'hi', max_tokens: 10, max_completion_tokens: 20 },
      {},
      /^x\.jsonl:1: gives both "max_tokens" and "max_completion_tokens"; keep one/,
      'max_completion_tokens',
    ],
    [
      'both caps in a batch body',
      { custom_id: 'b', body: { messages: [{ role: 'user', content: 'x' }], max_tokens: 5, max_completion_tokens: 5 } },
      {},
      /gives both "max_tokens" and "max_completion_tokens"/,
      'max_completion_tokens',
    ],
    ['model not a string', { prompt: 'hi', model: 4 }, {}, /"model" must be a non-empty string/, 'model'],
    [
      'max_tokens beyond a double, as written',
      '{"prompt":"hi","max_tokens":1e400}',
      {},
      /"max_tokens" must be a positive integer \(got 1e400\)$/,
      'max_tokens',
    ],
    [
      'a temperature in a batch body, as written',
      '{"custom_id":"b","body":{"messages":[{"role":"user","content":"x"}],"temperature":-1e400}}',
      {},
      /"temperature" must be a number from 0 to 2 \(got -1e400\)$/,
      'temperature',
    ],
    ['messages not an array', { messages: 'hi' }, {}, /"messages" must be an array of messages$/, 'messages'],
    ['messages empty', { messages: [] }, {}, /"messages" is empty$/, 'messages'],
    ['an empty user message', { id: '3', messages: [{ role: 'user', content: '' }] }, {}, /^x\.jsonl:1: every message in "messages" is empty$/, 'messages'],
    [
      'only blank messages and blank text parts',
      {
        messages: [
          { role: 'system', content: ' ' },
          { role: 'user', content: [{ type: 'text', text: '\n' }] },
        ],
      },
      {},
      /^x\.jsonl:1: every message in "messages" is empty$/,
      'messages',
    ],
    [
      'an empty message in a batch body',
      { custom_id: 'b', body: { messages: [{ role: 'user', content: '' }] } },
      {},
      /^x\.jsonl:1: every message in "body\.messages" is empty$/,
      'messages',
    ],
    ['message without role', { messages: [{ content: 'hi' }] }, {}, /"messages\[0\]\.role" must be a string$/, 'messages'],
    ['message not an object', { messages: [{ role: 'user', content: 'a' }, 'b'] }, {}, /"messages\[1\]" must be an object/, 'messages'],
    ['message without content', { messages: [{ role: 'user' }] }, {}, /^x\.jsonl:1: "messages\[0\]\.content" is missing$/, 'messages'],
    [
      'message with null content',
      {
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: null },
        ],
      },
      {},
      /"messages\[1\]\.content" must be a string or an array of content parts \(got null\)$/,
      'messages',
    ],
    [
      'batch message with numeric content',
      { custom_id: 'b', body: { messages: [{ role: 'user', content: 7 }] } },
      {},
      /"body\.messages\[0\]\.content" must be a string or an array of content parts \(got number\)$/,
      'messages',
    ],
    [
      'template on messages',
      { messages: [{ role: 'user', content: 'hi' }] },
      { template: 'Q: {{x}}' },
      /^x\.jsonl:1: --template cannot apply to a row with messages$/,
      'messages',
    ],
    [
      'template on a batch line with messages',
      { custom_id: 'b', url: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'hi' }] } },
      { template: 'Q: {{x}}' },
      /^x\.jsonl:1: --template cannot apply to a Batch API line with "body\.messages": its request is its body$/,
      'messages',
    ],
    ['template field missing', { id: 1, title: 'T' }, { template: '{{title}}: {{body}}' }, /^x\.jsonl:1: template field "body" is missing$/, 'body'],
    ['template field null', { body: null }, { template: '{{body}}' }, /template field "body" is null$/, 'body'],
    [
      'batch line for another endpoint',
      { custom_id: 'e', url: '/v1/embeddings', body: { input: 'x' } },
      {},
      /"url" must be \/v1\/chat\/completions \(got "\/v1\/embeddings"\)$/,
      'url',
    ],
    ['batch line without messages', { custom_id: 'b', url: '/v1/chat/completions', body: { model: 'm' } }, {}, /"body\.messages" is missing$/, 'messages'],
    [
      'batch line whose body is no object',
      { custom_id: 'c3', body: 'str' },
      {},
      /^x\.jsonl:1: "body" must be an object \(a Batch API request line\), got a string$/,
      'body',
    ],
    [
      'batch line asking n answers (billed n times, one kept, one reserved under --max-cost)',
      { custom_id: 'b', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], n: 5, max_tokens: 100 } },
      {},
      /"body\.n" must be 1 \(got 5\): llm-batch keeps one answer per prompt; --repeat N asks N$/,
      'n',
    ],
    [
      'batch line with a bad temperature',
      { custom_id: 'b', body: { messages: [{ role: 'user', content: 'x' }], temperature: 'hot' } },
      {},
      /"temperature" must be a number/,
      'temperature',
    ],
  ])('problem: %s', async (_label, row, options, message, field) => {
    const record = await one(row, options);
    expect(record.problem?.message).toMatch(message);
    expect(record.problem?.field).toBe(field);
    expect(record).toMatchObject({ line: 1, source: 'x.jsonl', messages: [], params: {} });
    expect(record.problem?.message).not.toMatch(/\n/);
  });

  it('keeps the best-effort prompt and the explicit id on a problem record', async () => {
    const record = await one({ id: 'r9', prompt: 'hello', temperature: 'warm' });
    expect(record).toMatchObject({ id: 'r9', prompt: 'hello', problem: { field: 'temperature' } });
  });

  it.each<[string, unknown, Record<string, unknown>, string, string]>([
    ['an id of the wrong type', { id: { n: 1 }, prompt: 'hello', title: 'T' }, {}, 'hello', 'id'],
    ['an --id-field of the wrong type', { uid: [1], prompt: 'hello', title: 'T' }, { idField: 'uid' }, 'hello', 'uid'],
    ['an id of the wrong type, with a template', { id: true, q: 'x', title: 'T' }, { template: 'Q: {{q}}' }, 'Q: x', 'id'],
    ['an id of the wrong type, with messages', { id: true, messages: [{ role: 'user', content: 'hi' }], title: 'T' }, {}, 'hi', 'id'],
    [
      'a Batch API line for another endpoint',
      { custom_id: 'b1', url: '/v1/embeddings', body: { messages: [{ role: 'user', content: 'batch prompt' }] }, title: 'T' },
      {},
      'batch prompt',
      'url',
    ],
  ])('keeps the prompt the row holds on a problem record: %s', async (_label, row, options, prompt, field) => {
    const record = await one(row, { keepFields: ['title'], ...options });
    expect(record).toMatchObject({ prompt, fields: { title: 'T' }, problem: { field } });
  });

  describe('ids', () => {
    it.each<[string, unknown, Record<string, unknown>, string | RegExp]>([
      ['string id', { id: 'abc', prompt: 'p' }, {}, 'abc'],
      ['numeric id', { id: 17, prompt: 'p' }, {}, '17'],
      ['custom_id', { custom_id: 'c-1', prompt: 'p' }, {}, 'c-1'],
      ['id wins over custom_id', { id: 'i', custom_id: 'c', prompt: 'p' }, {}, 'i'],
      ['idField', { uid: 'u-1', id: 'i', prompt: 'p' }, { idField: 'uid' }, 'u-1'],
      ['idField missing falls back to custom_id', { custom_id: 'c', prompt: 'p' }, { idField: 'uid' }, 'c'],
      ['no id: fallback key', { prompt: 'p' }, {}, /^1-[0-9a-f]{8}$/],
      ['blank id: fallback key', { id: ' ', prompt: 'p' }, {}, /^1-[0-9a-f]{8}$/],
    ])('%s', async (_label, row, options, expected) => {
      const record = await one(row, options);
      if (typeof expected === 'string') expect(record.id).toBe(expected);
      else expect(record.id).toMatch(expected);
    });

    it('fallback keys are stable and change with the raw line', async () => {
      const a = await one({ prompt: 'p' });
      const b = await one({ prompt: 'p' });
      const spaced = await one('{"prompt": "p"}');
      const edited = await one({ prompt: 'p2' });
      expect(a.id).toBe(b.id);
      expect(spaced.id).not.toBe(a.id); // hashed from the raw text, not the parsed value
      expect(edited.id).not.toBe(a.id);
    });
  });

  it('uses promptField', async () => {
    const record = await one({ question: 'Why?' }, { promptField: 'question' });
    expect(record.prompt).toBe('Why?');
    expect((await one({ prompt: 'x' }, { promptField: 'question' })).problem?.message).toMatch(/no "question" or "messages" field/);
  });

  it('a field the template uses is data, not a parameter, also model, temperature and the answer cap', async () => {
    const row = await one(
      { model: 'iPhone 15', temperature: 31, max_completion_tokens: 0, max_tokens: 7 },
      { template: '{{model}} at {{temperature}} C, {{max_completion_tokens}}' },
    );
    expect(row.problem).toBeUndefined();
    expect(row).toMatchObject({ prompt: 'iPhone 15 at 31 C, 0', params: { max_tokens: 7 } });
    expect(row.params).not.toHaveProperty('model');
    expect(row.params).not.toHaveProperty('temperature');
  });

  it('renders a template over top-level fields, and over body+top level for Batch lines', async () => {
    const plain = await one({ id: 1, title: 'Rain', n: 2 }, { template: 'Summarise: {{ title }} ({{n}}) #{{id}}' });
    expect(plain.prompt).toBe('Summarise: Rain (2) #1');
    expect(plain.messages).toEqual([{ role: 'user', content: 'Summarise: Rain (2) #1' }]);
    const batch = await one(
      { custom_id: 'b1', method: 'POST', url: '/v1/chat/completions', body: { model: 'm', text: 'hello', seed: 1 } },
      { template: '{{custom_id}}: {{text}}' },
    );
    expect(batch).toMatchObject({ id: 'b1', prompt: 'b1: hello', params: { model: 'm' } });
    // Fields the template consumed are data, not request parameters.
    expect(batch.extraBody).toEqual({ seed: 1 });
  });

  describe('a row with a body that is not a Batch API request line is data', () => {
    it.each<[string, Record<string, unknown>]>([
      ['an article with its url', { url: 'https://example.com/a', title: 'A', body: 'Text of A' }],
      ['a body that is not an object, beside custom_id', { custom_id: 'c', title: 'A', body: 'Text of A' }],
      ['a logged HTTP request', { id: 'r1', method: 'POST', url: '/api/orders', title: 'A', body: { user: 'bob', model: 'X200' } }],
      ['a logged request with a path', { id: 'r1', method: 'POST', path: '/api/orders', title: 'A', body: { model: 'X200', seed: 3 } }],
    ])('%s: its template fields are top-level, nothing of body is sent', async (_label, row) => {
      const record = await one(row, { template: 'Summarise {{title}}: {{body}}' });
      expect(record.problem).toBeUndefined();
      expect(record.prompt).toBe(`Summarise A: ${typeof row['body'] === 'string' ? row['body'] : JSON.stringify(row['body'])}`);
      expect(record.params).toEqual({});
      expect(record.extraBody).toBeUndefined();
    });

    it('a template that uses {{body}} makes even a Batch API shaped body data', async () => {
      const row = { custom_id: 'c', method: 'POST', url: '/v1/chat/completions', body: { model: 'X200', messages: [{ role: 'user', content: 'hi' }] } };
      const record = await one(row, { template: 'Explain {{method}} {{body}}' });
      expect(record).toMatchObject({ id: 'c', prompt: `Explain POST ${JSON.stringify(row.body)}`, params: {} });
      expect(record.extraBody).toBeUndefined();
    });

    it('without a template, such a row needs its prompt field like any other', async () => {
      const record = await one({ url: 'https://example.com/a', body: 'Text of A' }, { promptField: 'body' });
      expect(record).toMatchObject({ prompt: 'Text of A', params: {} });
      expect(record.problem).toBeUndefined();
    });

    it('a Batch API line is still one without custom_id when its url names the endpoint', async () => {
      const record = await one({ method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content: 'hi' }] } });
      expect(record).toMatchObject({ prompt: 'hi', params: { model: 'm' } });
    });
  });

  it('a template that uses {{messages}} takes them as data, inserted as JSON', async () => {
    const messages = [
      { role: 'user', content: 'my order is late' },
      { role: 'assistant', content: 'sorry' },
    ];
    const record = await one({ id: 'c1', messages }, { template: 'Classify this chat: {{messages}}' });
    expect(record.problem).toBeUndefined();
    const prompt = `Classify this chat: ${JSON.stringify(messages)}`;
    expect(record).toMatchObject({ id: 'c1', prompt, messages: [{ role: 'user', content: prompt }] });
    // Data, so not checked as a conversation either.
    expect((await one({ messages: [] }, { template: 'Chat: {{messages}}' })).prompt).toBe('Chat: []');
  });

  describe("a row's system", () => {
    it("is that row's system message, over -s; not a request parameter", async () => {
      const record = await one({ id: 'x', text: 'hello', system: 'be terse' }, { promptField: 'text', system: 'run system' });
      expect(record.problem).toBeUndefined();
      expect(record.messages).toEqual([
        { role: 'system', content: 'be terse' },
        { role: 'user', content: 'hello' },
      ]);
      expect(record.extraBody).toBeUndefined();
      const templated = await one({ title: 'T', system: 'be terse' }, { template: 'Say {{title}}' });
      expect(templated.messages).toEqual([
        { role: 'system', content: 'be terse' },
        { role: 'user', content: 'Say T' },
      ]);
    });

    it('goes before a conversation that has none; null is absent; one the template uses is data', async () => {
      const chat = await one({ system: 'be terse', messages: [{ role: 'user', content: 'hi' }] }, { system: 'run system' });
      expect(chat.messages).toEqual([
        { role: 'system', content: 'be terse' },
        { role: 'user', content: 'hi' },
      ]);
      expect((await one({ prompt: 'hi', system: null }, { system: 'run system' })).messages[0]).toEqual({ role: 'system', content: 'run system' });
      const data = await one({ system: 'Windows 11', issue: 'slow' }, { template: '{{issue}} on {{system}}' });
      expect(data.messages).toEqual([{ role: 'user', content: 'slow on Windows 11' }]);
    });

    it('is sent as written: braces in it are text, not --system placeholders', async () => {
      // Filled as -s was, a row with no `name` failed as `--system field "name" is missing`.
      const bare = await one({ system: 'Answer as {{name}}: value', prompt: 'hello' });
      expect(bare.problem).toBeUndefined();
      expect(bare.messages[0]).toEqual({ role: 'system', content: 'Answer as {{name}}: value' });
      const withField = await one({ system: 'Fill {{name}} in', prompt: 'hi', name: 'Ada' }, { system: 'run {{name}}' });
      expect(withField.messages).toEqual([
        { role: 'system', content: 'Fill {{name}} in' },
        { role: 'user', content: 'hi' },
      ]);
      const chat = await one({ system: 'Keep {{x}}', messages: [{ role: 'user', content: 'hi' }] });
      expect(chat.messages[0]).toEqual({ role: 'system', content: 'Keep {{x}}' });
    });

    it.each<[string, Record<string, unknown>, RegExp]>([
      ['not a string', { id: 'x', prompt: 'hi', system: 5 }, /^x\.jsonl:1: "system" must be a non-empty string \(got 5\)$/],
      ['blank', { prompt: 'hi', system: ' ' }, /^x\.jsonl:1: "system" must be a non-empty string \(got " "\)$/],
      ['an object', { prompt: 'hi', system: { n: 2 } }, /^x\.jsonl:1: "system" must be a non-empty string \(got \{"n":2\}\)$/],
      [
        'beside a conversation that starts with its own',
        {
          system: 'a',
          messages: [
            { role: 'system', content: 'b' },
            { role: 'user', content: 'hi' },
          ],
        },
        /^x\.jsonl:1: gives both "system" and a system message in "messages"; keep one$/,
      ],
    ])('%s: an error row naming the field', async (_label, row, message) => {
      const record = await one(row);
      expect(record.problem).toEqual({ message: expect.stringMatching(message), field: 'system' });
      expect(record.prompt).toBe('hi');
    });
  });

  it('takes the id, the template fields and the kept fields as written; request parameters stay numbers', async () => {
    const row = '{"id":12345678901234567891,"n":-0.0,"o":{"x":1e400},"temperature":0.10000000000000000001,"seed":12345678901234567890,"prompt":"p"}';
    const record = await one(row, { template: '{{n}} {{o}} {{id}}', keepFields: ['id', 'n', 'o'] });
    expect(record).toMatchObject({ id: '12345678901234567891', prompt: '-0.0 {"x":1e400} 12345678901234567891', params: { temperature: 0.1 } });
    expect(stringifyExact(record.fields)).toBe('{"id":12345678901234567891,"n":-0.0,"o":{"x":1e400}}');
    // What is sent is JSON.parse's value, as before: a request body holds no kept numbers.
    expect(record.extraBody).toEqual({ seed: 12345678901234567000 });
    const batch = await one('{"custom_id":-0.0,"method":"POST","url":"/v1/chat/completions","body":{"model":"m","ref":98765432109876543210}}', {
      template: 'ref {{ref}}',
      keepFields: 'all',
    });
    expect(batch).toMatchObject({ id: '-0.0', prompt: 'ref 98765432109876543210' });
    expect(stringifyExact(batch.fields)).toContain('"custom_id":-0.0');
  });

  it('an ordinary row is JSON.parse read once: its kept fields are that value', async () => {
    const record = await one('{"id":7,"n":1.50,"e":1E5,"prompt":"p"}', { template: '{{n}} {{e}}', keepFields: 'all' });
    expect(record).toMatchObject({ id: '7', prompt: '1.5 100000', fields: { id: 7, n: 1.5, e: 100000, prompt: 'p' } });
  });

  it('shows the last user message of a conversation, as JSON when it is multimodal', async () => {
    const parts = [
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
    ];
    const record = await one({
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: parts },
      ],
    });
    expect(record.prompt).toBe(JSON.stringify(parts));
    expect(record.messages[2]?.content).toEqual(parts);
  });

  it('an assistant turn that only calls tools may have no content, or null: sent as given', async () => {
    const call = { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } };
    const messages = [
      { role: 'user', content: 'q' },
      { role: 'assistant', tool_calls: [call] },
      { role: 'tool', tool_call_id: 'c1', content: '42' },
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'user', content: 'and?' },
    ];
    const record = await one({ messages });
    expect(record.problem).toBeUndefined();
    expect(record.messages).toEqual(messages);
  });

  it.each([
    ['an image with no text', [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }]],
    [
      'a system message with text and an empty user turn',
      [
        { role: 'system', content: 'Translate: bonjour' },
        { role: 'user', content: '' },
      ],
    ],
    ['only a tool call', [{ role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] }]],
  ])('a conversation with something in it is sent: %s', async (_label, messages) => {
    const record = await one({ messages });
    expect(record.problem).toBeUndefined();
    expect(record.messages).toEqual(messages);
  });

  it('a legacy function turn may have null content: sent as given', async () => {
    const messages = [
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: null, function_call: { name: 'w', arguments: '{}' } },
      { role: 'function', name: 'w', content: null },
      { role: 'user', content: 'so?' },
    ];
    const record = await one({ messages });
    expect(record.problem).toBeUndefined();
    expect(record.messages).toEqual(messages);
  });

  it('prepends the system message unless the row starts with one', async () => {
    const plain = await one({ prompt: 'hi' }, { system: 'S' });
    expect(plain.messages.map((m) => m.role)).toEqual(['system', 'user']);
    const own = await one(
      {
        messages: [
          { role: 'system', content: 'mine' },
          { role: 'user', content: 'hi' },
        ],
      },
      { system: 'S' },
    );
    expect(own.messages).toEqual([
      { role: 'system', content: 'mine' },
      { role: 'user', content: 'hi' },
    ]);
    const convo = await one({ messages: [{ role: 'user', content: 'hi' }] }, { system: 'S' });
    expect(convo.messages[0]).toEqual({ role: 'system', content: 'S' });
    // A developer message is the conversation's instructions as much (OpenAI's newer models name it so).
    const developer = [
      { role: 'developer', content: 'D' },
      { role: 'user', content: 'U' },
    ];
    expect((await one({ messages: developer }, { system: 'S' })).messages).toEqual(developer);
    expect((await one({ messages: developer, system: 'row' })).problem).toEqual({
      message: expect.stringMatching(/gives both "system" and a developer message in "messages"; keep one$/),
      field: 'system',
    });
  });

  it('skips blank lines but counts them, with CRLF, a BOM and no final newline', async () => {
    const text = '\uFEFF{"prompt":"a"}\r\n\r\n   \r\n{"prompt":"b"}\r\n{"prompt":"c"}';
    for (const size of [1, 3, Infinity]) {
      const records = await read(text, { format: 'jsonl' }, size);
      expect(records.map((r) => [r.line, r.prompt, r.problem])).toEqual([
        [1, 'a', undefined],
        [4, 'b', undefined],
        [5, 'c', undefined],
      ]);
    }
    // The fallback key ignores the line ending style.
    const lf = await read('{"prompt":"a"}\n', { format: 'jsonl' });
    const crlf = await read('{"prompt":"a"}\r\n', { format: 'jsonl' });
    expect(crlf[0]?.id).toBe(lf[0]?.id);
  });
});
