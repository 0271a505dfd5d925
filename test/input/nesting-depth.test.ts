import { describe, expect, it } from 'vitest';
import { jsonlRecord } from '../../src/input/jsonl-reader.js';
import { MAX_NESTING, tooDeepField } from '../../src/input/nesting-depth.js';
import { nestedDeeper } from '../../src/util/nested-deeper.js';
import { renderTemplate } from '../../src/input/template.js';
import { stringifyExact } from '../../src/structured/exact-numbers.js';
import { read } from '../helpers/input-chunks.js';

const objects = (depth: number) => `${'{"k":'.repeat(depth)}1${'}'.repeat(depth)}`;
const arrays = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

describe('nesting depth of a row value', () => {
  it.each([
    ['objects', objects],
    ['arrays', arrays],
  ])('%s: MAX_NESTING levels pass, one more does not', (_label, nest) => {
    expect(nestedDeeper(JSON.parse(nest(MAX_NESTING)), MAX_NESTING)).toBe(false);
    expect(nestedDeeper(JSON.parse(nest(MAX_NESTING + 1)), MAX_NESTING)).toBe(true);
  });

  it('walks without recursing: 200,000 levels are measured, not a stack overflow', () => {
    expect(nestedDeeper(JSON.parse(arrays(200_000)), MAX_NESTING)).toBe(true);
  });

  it('a value MAX_NESTING deep is one every recursive helper still handles (the bound is below them)', () => {
    for (const nest of [objects, arrays]) {
      const row = JSON.parse(`{"x":${nest(MAX_NESTING)}}`) as Record<string, unknown>;
      expect(tooDeepField(row)).toBeUndefined();
      expect(renderTemplate('{{x}}', row)).toHaveProperty('text');
      expect(stringifyExact({ input: row })).toContain('1');
    }
  });

  it('names the field, and the body field of a Batch API line', () => {
    expect(tooDeepField({ a: 1, x: JSON.parse(objects(MAX_NESTING + 1)) })).toBe('x');
    expect(tooDeepField({ custom_id: 'r', body: { messages: [], metadata: JSON.parse(arrays(MAX_NESTING + 1)) } })).toBe('body.metadata');
  });

  it('a short row is not walked: it cannot be that deep', () => {
    const row = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('walked');
        },
      },
    );
    expect(tooDeepField(row, 2 * MAX_NESTING)).toBeUndefined();
  });
});

describe('a JSONL row with a value nested too deep', () => {
  it('is an input error row naming file, line and field, without that field (was a RangeError from --keep-fields or a template)', async () => {
    const line = `{"prompt":"c","x":${objects(6000)}}`;
    for (const options of [{ keepFields: 'all' as const }, { template: '{{prompt}} {{x}}', keepFields: ['x'] }]) {
      const record = jsonlRecord(line, 3, { format: 'jsonl', source: 'in.jsonl', ...options });
      expect(record.problem).toEqual({ message: `in.jsonl:3: "x" is nested too deep (over ${MAX_NESTING} levels)`, field: 'x' });
      expect(record.fields).not.toHaveProperty('x');
      expect(() => stringifyExact(record)).not.toThrow();
    }
  });

  it("keeps the id, prompt and kept fields its other fields give, as another bad row's", () => {
    const deep = objects(6000);
    const options = { format: 'jsonl', source: 'in.jsonl', keepFields: ['title', 'x', 'body'] } as const;
    const brief = (line: string, more: Record<string, unknown> = {}) => {
      const record = jsonlRecord(line, 3, { ...options, ...more });
      return [record.id, record.prompt, record.fields, record.problem?.field];
    };
    expect(brief(`{"id":"r7","prompt":"hello","title":"T","x":${deep}}`)).toEqual(['r7', 'hello', { title: 'T' }, 'x']);
    expect(brief(`{"id":8,"q":"hi","title":"T","x":${deep}}`, { template: 'Q: {{q}} ({{title}})' })).toEqual(['8', 'Q: hi (T)', { title: 'T' }, 'x']);
    // A Batch API line's messages still give its prompt; its body, without the deep field, is not kept.
    const batch = `{"custom_id":"b","title":"T","body":{"messages":[{"role":"user","content":"batch"}],"x":${deep}}}`;
    expect(brief(batch)).toEqual(['b', 'batch', { title: 'T' }, 'body.x']);
  });

  it('keeps none of them when a number in the row is one JSON.parse does not read as written (reading it so walks the deep field)', () => {
    const record = jsonlRecord(`{"id":"r7","prompt":"hello","n":12345678901234567890,"x":${objects(6000)}}`, 3, {
      format: 'jsonl',
      source: 'in.jsonl',
      keepFields: 'all',
    });
    expect(record).toMatchObject({ id: expect.stringMatching(/^3-[0-9a-f]{8}$/), prompt: '', problem: { field: 'x' } });
    expect(record.fields).toBeUndefined();
  });

  it('the reader goes on past it', async () => {
    const text = `{"prompt":"a"}\n{"prompt":"b","x":${arrays(200_000)}}\n{"prompt":"c"}\n`;
    const records = await read(text, { format: 'jsonl', source: 'in.jsonl', keepFields: 'all' });
    expect(records.map((r) => r.problem?.message ?? r.prompt)).toEqual(['a', `in.jsonl:2: "x" is nested too deep (over ${MAX_NESTING} levels)`, 'c']);
  });
});

describe('a .json array with an element nested too deep', () => {
  it('is an error row for that element (a field, or the element itself); the rest are read', async () => {
    const text = `[{"prompt":"a","x":${arrays(8000)}},"b",${arrays(8000)}]`;
    const records = await read(text, { format: 'json', source: 'in.json', keepFields: 'all', template: '{{prompt}}' });
    expect(records.map((r) => r.problem?.message ?? r.prompt)).toEqual([
      `in.json:1: element 1: "x" is nested too deep (over ${MAX_NESTING} levels)`,
      'b',
      `in.json:1: element 3: nested too deep (over ${MAX_NESTING} levels)`,
    ]);
  });

  it("keeps an object element's id, prompt and kept fields, as a JSONL row's", async () => {
    const text = `[{"id":"r1","prompt":"a","title":"T","x":${arrays(8000)}},"b"]`;
    const records = await read(text, { format: 'json', source: 'in.json', keepFields: ['title'] });
    expect(records.map((r) => [r.id, r.prompt, r.fields, r.problem?.field])).toEqual([
      ['r1', 'a', { title: 'T' }, 'x'],
      [expect.stringMatching(/^2-[0-9a-f]{8}$/), 'b', {}, undefined],
    ]);
  });
});
