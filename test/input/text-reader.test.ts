import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { readRecords } from '../../src/input/index.js';
import { CHUNKINGS, brief, collect, read, readFixture } from '../helpers/input-chunks.js';

describe('txt input', () => {
  it('reads the fixture: one user message per line, fallback ids', async () => {
    const records = await readFixture('prompts.txt', { format: 'txt' });
    expect(records).toHaveLength(5);
    expect(records.map((r) => r.line)).toEqual([1, 2, 3, 4, 5]);
    const first = records[0];
    expect(first).toEqual({
      id: expect.stringMatching(/^1-[0-9a-f]{8}$/),
      line: 1,
      source: 'prompts.txt',
      prompt: 'Explain the difference between a process and a thread in two sentences.',
      messages: [{ role: 'user', content: 'Explain the difference between a process and a thread in two sentences.' }],
      params: {},
    });
    expect(records.every((r) => r.problem === undefined)).toBe(true);
  });

  it('skips blank lines but counts them; trims the end and keeps leading whitespace', async () => {
    const records = await read('first\n\n   \n  indented  \t\nlast', { format: 'txt' });
    expect(records.map((r) => [r.line, r.prompt])).toEqual([
      [1, 'first'],
      [4, '  indented'],
      [5, 'last'],
    ]);
  });

  it('gives the same records for LF, CRLF, a BOM and no final newline, however the input is chunked', async () => {
    const lf = await read('alpha\n\nbeta\ngamma\n', { format: 'txt' });
    for (const text of ['alpha\r\n\r\nbeta\r\ngamma\r\n', '\uFEFFalpha\n\nbeta\ngamma', '\uFEFFalpha\r\n\r\nbeta\r\ngamma']) {
      for (const [, toSource] of CHUNKINGS) {
        expect(await collect(readRecords(toSource(text), { source: 'input', format: 'txt' }))).toEqual(lf);
      }
    }
    expect(lf.map(brief).map((r) => r.line)).toEqual([1, 3, 4]);
  });

  it('ids are stable across runs and change when a line is edited or moved', async () => {
    const [a] = await read('same prompt\n', { format: 'txt' });
    const [b] = await read('same prompt\n', { format: 'txt' });
    const [edited] = await read('same prompt, edited\n', { format: 'txt' });
    const [, moved] = await read('new first line\nsame prompt\n', { format: 'txt' });
    expect(a?.id).toBe(b?.id);
    expect(edited?.id).not.toBe(a?.id);
    expect(moved?.id).not.toBe(a?.id);
    expect(moved?.id).toMatch(/^2-/);
  });

  it('applies a template with {{prompt}} and its alias {{line}}', async () => {
    const records = await read('cats\ndogs\n', { format: 'txt', template: 'Write a poem about {{ prompt }} ({{line}}).' });
    expect(records.map((r) => r.prompt)).toEqual(['Write a poem about cats (cats).', 'Write a poem about dogs (dogs).']);
    expect(records[0]?.messages).toEqual([{ role: 'user', content: 'Write a poem about cats (cats).' }]);
  });

  it('rejects a template field text input cannot have, before reading anything', async () => {
    await expect(read('cats\n', { format: 'txt', template: 'About {{title}}: {{prompt}}' })).rejects.toThrow(UsageError);
    await expect(read('cats\n', { format: 'txt', template: 'About {{title}}' })).rejects.toThrow(/\{\{title\}\}.*only has \{\{prompt\}\}/);
  });

  it.each([
    [{ idField: 'ticket' }, /^--id-field "ticket" does not apply to text input: a line has no id field, its id is <line>-<hash of its text>/],
    [{ promptField: 'question' }, /^--prompt-field "question" does not apply to text input: each line is a prompt, whole/],
  ])('refuses %o, which a text line would ignore, before reading anything', async (options, message) => {
    await expect(read('cats\n', { format: 'txt', ...options })).rejects.toThrow(UsageError);
    await expect(read('cats\n', { format: 'txt', ...options })).rejects.toThrow(message);
  });

  it('takes --prompt-field prompt (or line): that is what a line is', async () => {
    expect((await read('cats\n', { format: 'txt', promptField: 'line' })).map((r) => r.prompt)).toEqual(['cats']);
  });

  it('prepends the system message', async () => {
    const [record] = await read('hi\n', { format: 'txt', system: 'Be brief.' });
    expect(record?.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ]);
    expect(record?.prompt).toBe('hi');
  });
});
