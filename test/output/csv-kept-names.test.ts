import { describe, expect, it } from 'vitest';
import { csvHeaderColumns, csvHeaderShape, keptColumnNames, keptFieldsOf, type CsvLayout } from '../../src/output/csv-layout.js';

const reserved = new Set(['id', 'line', 'prompt', 'sample', 'title', 'tool_calls']);

describe('kept field columns (D7)', () => {
  it.each([
    [
      ['title', 'url'],
      ['input_title', 'url'],
    ],
    [
      ['id', 'input_id'],
      ['input_id', 'input_input_id'],
    ],
    [
      ['input_id', 'id'],
      ['input_input_id', 'input_id'],
    ],
    [
      ['id', 'input_id', 'input_input_id'],
      ['input_id', 'input_input_id', 'input_input_input_id'],
    ],
    [
      ['input_url', 'url', 'input_'],
      ['input_url', 'url', 'input_'],
    ],
    [['tool_calls'], ['input_tool_calls']],
  ])('%j → %j, unique, and read back to the same fields', (fields, columns) => {
    expect(keptColumnNames(fields, reserved)).toEqual(columns);
    expect(new Set([...columns, ...reserved]).size).toBe(columns.length + reserved.size);
    expect(keptFieldsOf(columns, reserved)).toEqual(fields);
  });

  it('a whole header with schema columns, answer columns and kept fields is unique and reads back', () => {
    const layout: CsvLayout = {
      escapeFormulas: false,
      keptFields: ['title', 'id', 'input_id', 'logprobs'],
      outputColumns: [
        { property: 'id', column: 'output_id' },
        { property: 'title', column: 'title' },
      ],
      answerColumns: ['tool_calls', 'logprobs'],
    };
    const header = csvHeaderColumns(layout);
    expect(new Set(header).size).toBe(header.length);
    const shape = csvHeaderShape(header)!;
    expect(shape.fieldColumns).toEqual(['output_id', 'title']);
    expect(shape.answerColumns).toEqual(['tool_calls', 'logprobs']);
    expect(shape.keptFields).toEqual(layout.keptFields);
  });
});
