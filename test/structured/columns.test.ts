import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, rowToCsvRecord } from '../../src/output/csv-columns.js';
import { csvHeaderColumns } from '../../src/output/csv-layout.js';
import { columnValue, outputCell, outputColumns } from '../../src/structured/columns.js';
import { reaskMessages } from '../../src/structured/reask.js';
import type { ResultRow } from '../../src/types.js';

describe('outputColumns', () => {
  it('one column per top-level property, in schema order', () => {
    const cols = outputColumns({ type: 'object', properties: { b: {}, a: {}, c: {} } }, CSV_COLUMNS);
    expect(cols.map((c) => c.column)).toEqual(['b', 'a', 'c']);
  });
  it('a property named like a built-in column is prefixed output_, again until unique', () => {
    const cols = outputColumns({ type: 'object', properties: { id: {}, prompt: {}, output_prompt: {}, summary: {} } }, CSV_COLUMNS);
    expect(cols).toEqual([
      { property: 'id', column: 'output_id' },
      { property: 'prompt', column: 'output_output_prompt' },
      { property: 'output_prompt', column: 'output_prompt' },
      { property: 'summary', column: 'summary' },
    ]);
    expect(new Set([...CSV_COLUMNS, ...cols.map((c) => c.column)]).size).toBe(CSV_COLUMNS.length + 4);
  });
  it('a property named like a built-in column in another case is prefixed too: SQL takes ID for id (EXC s22 F9)', () => {
    const cols = outputColumns({ properties: { ID: {}, Prompt: {}, OUTPUT_id: {}, Title: {} } }, CSV_COLUMNS);
    expect(cols.map((c) => c.column)).toEqual(['output_output_ID', 'output_Prompt', 'OUTPUT_id', 'Title']);
    const keys = [...CSV_COLUMNS, ...cols.map((c) => c.column)].map((name) => name.toLowerCase());
    expect(new Set(keys).size).toBe(keys.length);
    // As an older llm-batch named them, to continue a file it wrote.
    expect(outputColumns({ properties: { ID: {}, Prompt: {} } }, CSV_COLUMNS, { caseSensitive: true }).map((c) => c.column)).toEqual(['ID', 'Prompt']);
  });
  it('properties one name to SQL among themselves: the later is prefixed (title, Title → title, output_Title)', () => {
    const cols = outputColumns({ properties: { title: {}, Title: {}, output_title: {}, TITLE: {} } }, CSV_COLUMNS);
    expect(cols.map((c) => c.column)).toEqual(['title', 'output_output_Title', 'output_title', 'output_output_output_TITLE']);
    const keys = [...CSV_COLUMNS, ...cols.map((c) => c.column)].map((name) => name.toLowerCase());
    expect(new Set(keys).size).toBe(keys.length);
    // As an older llm-batch named them, to continue a file it wrote.
    const before = outputColumns({ properties: { title: {}, Title: {} } }, CSV_COLUMNS, { caseSensitive: true });
    expect(before.map((c) => c.column)).toEqual(['title', 'Title']);
  });
  it('a root without properties gets one output column', () => {
    expect(outputColumns({ type: 'array' }, CSV_COLUMNS)).toEqual([{ property: '', column: 'output', whole: true }]);
  });
  it('a property named "" is a field like any other: column output_ (output_output_ next to an output_ property)', () => {
    expect(outputColumns({ properties: { '': {}, b: {} } }, CSV_COLUMNS)).toEqual([
      { property: '', column: 'output_' },
      { property: 'b', column: 'b' },
    ]);
    const cols = outputColumns({ properties: { output_: {}, '': {} } }, CSV_COLUMNS);
    expect(cols).toEqual([
      { property: 'output_', column: 'output_' },
      { property: '', column: 'output_output_' },
    ]);
    const answer = { '': 'empty-named', output_: true };
    expect(cols.map((c) => columnValue(answer, c))).toEqual([true, 'empty-named']);
  });
});

describe('columnValue', () => {
  it('the whole-value column holds the whole answer, even one with a single key named like the column', () => {
    const [whole] = outputColumns({}, CSV_COLUMNS);
    expect(columnValue({ output: 5 }, whole!)).toEqual({ output: 5 });
    expect(columnValue([1, 2], whole!)).toEqual([1, 2]);
  });
  it('a field column holds its property only', () => {
    const [a] = outputColumns({ properties: { a: {} } }, CSV_COLUMNS);
    expect(columnValue({ a: 0 }, a!)).toBe(0);
    expect(columnValue({ b: 1 }, a!)).toBeUndefined();
    expect(columnValue(null, a!)).toBeUndefined();
  });
});

describe('outputCell', () => {
  it.each<[unknown, string]>([
    ['a, "b"\nc', 'a, "b"\nc'],
    [3.5, '3.5'],
    [0, '0'],
    [true, 'true'],
    [false, 'false'],
    [null, ''],
    [undefined, ''],
    [['x', { y: [1, 2] }], '["x",{"y":[1,2]}]'],
    [{ k: 'ü' }, '{"k":"ü"}'],
  ])('%j → %j', (value, cell) => expect(outputCell(value)).toBe(cell));
});

describe('CSV row with field columns', () => {
  const row: ResultRow = {
    id: 'r1',
    line: 2,
    prompt: 'p',
    response: '{"a":1}',
    error: null,
    attempts: 1,
    latency_ms: 5,
    model: 'm',
    finish_reason: 'stop',
    usage: null,
    output: { a: '=SUM(A1)', b: [1], c: null },
  };
  const cols = outputColumns({ properties: { a: {}, b: {}, c: {} } }, CSV_COLUMNS);
  it('fields follow id; built-in columns keep their order', () => {
    expect(csvHeaderColumns({ escapeFormulas: false, keptFields: ['k'], outputColumns: cols })).toEqual(['id', 'a', 'b', 'c', ...CSV_COLUMNS.slice(1), 'k']);
    const cells = rowToCsvRecord(row, false, [], cols);
    expect(cells.slice(0, 5)).toEqual(['r1', '=SUM(A1)', '[1]', '', '2']);
    expect(cells).toHaveLength(CSV_COLUMNS.length + 3);
  });
  it('an error row has empty field cells', () => {
    const cells = rowToCsvRecord({ ...row, output: null, error: { type: 'invalid_output', message: 'x' } }, false, [], cols);
    expect(cells.slice(1, 4)).toEqual(['', '', '']);
  });
});

describe('reaskMessages', () => {
  it('appends the invalid answer as the assistant turn and the problems as a user turn', () => {
    const sent = [{ role: 'user', content: 'extract' }];
    const msgs = reaskMessages(sent, '{"a":2}', 'schema', ['/a: must be string']);
    expect(msgs).toHaveLength(3);
    expect(msgs[0]).toBe(sent[0]);
    expect(msgs[1]).toEqual({ role: 'assistant', content: '{"a":2}' });
    expect(msgs[2]!.role).toBe('user');
    expect(msgs[2]!.content).toMatch(/did not match the required JSON schema:\n- \/a: must be string\n/);
    expect(sent).toHaveLength(1);
  });

  it.each([
    ['json', 'Your answer was not valid JSON:\n- x\nAnswer again with only the corrected JSON, nothing else.'],
    ['object', 'Your answer was not a JSON object:\n- x\nAnswer again with only a JSON object, nothing else.'],
    ['schema', 'Your answer did not match the required JSON schema:\n- x\nAnswer again with only the corrected JSON, nothing else.'],
  ] as const)('says what a %s check found, and names a schema only then', (kind, said) => {
    expect(reaskMessages([], 'y', kind, ['x'])[1]!.content).toBe(said);
  });
});
