import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../src/output/csv-columns.js';
import { csvHeaderColumns, csvHeaderShape, keptColumnNames, keptFieldsOf, layoutOfHeader, type CsvLayout } from '../../src/output/csv-layout.js';

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

  // Review s9 F10: schema properties that are result names with `input_` in front.
  const schemaReserved = new Set([...reserved, 'input_title', 'input_id', 'input_input_line']);
  it.each([
    [['title'], ['input_input_title']],
    [['id'], ['input_input_id']],
    [
      ['title', 'input_title', 'input_input_title'],
      ['input_input_title', 'input_input_input_title', 'input_input_input_input_title'],
    ],
    [
      ['input_title', 'title'],
      ['input_input_input_title', 'input_input_title'],
    ],
    [
      ['line', 'input_line', 'input_input_line'],
      ['input_line', 'input_input_input_line', 'input_input_input_input_line'],
    ],
    // Below a chain's lowest reserved name a field keeps its own name.
    [
      ['url', 'input_url'],
      ['url', 'input_url'],
    ],
  ])('with schema columns input_title, input_id, input_input_line: %j → %j, unique, read back', (fields, columns) => {
    expect(keptColumnNames(fields, schemaReserved)).toEqual(columns);
    expect(new Set([...columns, ...schemaReserved]).size).toBe(columns.length + schemaReserved.size);
    expect(keptFieldsOf(columns, schemaReserved)).toEqual(fields);
  });

  it('no two columns of one name, whatever the fields and the reserved names (every combination on one chain)', () => {
    const names = ['x', 'input_x', 'input_input_x', 'input_input_input_x'];
    const subsets = (n: number) => Array.from({ length: 2 ** n }, (_, bits) => names.filter((_, i) => bits & (1 << i)));
    for (const taken of subsets(names.length)) {
      const reservedHere = new Set([...taken, 'id', 'input_']);
      for (const fields of subsets(names.length)) {
        for (const order of [fields, [...fields].reverse()]) {
          const columns = keptColumnNames(order, reservedHere);
          expect(new Set([...columns, ...reservedHere]).size, `${order} with ${taken}`).toBe(columns.length + reservedHere.size);
          expect(keptFieldsOf(columns, reservedHere)).toEqual(order);
        }
      }
    }
  });

  it('a schema property input_title next to a kept title: the header is unique and reads back', () => {
    const layout: CsvLayout = {
      escapeFormulas: false,
      keptFields: ['title', 'input_title', 'id'],
      outputColumns: [
        { property: 'title', column: 'title' },
        { property: 'input_title', column: 'input_title' },
        { property: 'input_id', column: 'input_id' },
      ],
    };
    const header = csvHeaderColumns(layout);
    expect(new Set(header).size).toBe(header.length);
    expect(header.slice(-3)).toEqual(['input_input_title', 'input_input_input_title', 'input_input_id']);
    expect(csvHeaderShape(header)!.keptFields).toEqual(layout.keptFields);
  });

  // EXC s22 F9: SQL (sqlite3 .import) takes `ID` for `id`.
  const sqlUnique = (names: readonly string[]) => new Set(names.map((n) => n.toLowerCase())).size === names.length;
  it.each([
    [
      ['ID', 'Prompt', 'Line', 'Title', 'Model'],
      ['input_ID', 'input_Prompt', 'input_Line', 'input_Title', 'Model'],
    ],
    [
      ['Input_ID', 'ID'],
      ['input_Input_ID', 'input_ID'],
    ],
    [
      ['TOOL_CALLS', 'Url'],
      ['input_TOOL_CALLS', 'Url'],
    ],
  ])('names in another case clash too: %j → %j, unique to SQL, read back', (fields, columns) => {
    expect(keptColumnNames(fields, reserved)).toEqual(columns);
    expect(sqlUnique([...columns, ...reserved])).toBe(true);
    expect(keptFieldsOf(columns, reserved)).toEqual(fields);
  });

  it('no two columns one name to SQL, whatever the case of the fields and reserved names (every combination on one chain)', () => {
    const names = ['x', 'X', 'input_x', 'Input_X', 'INPUT_input_x'];
    const subsets = (n: number) => Array.from({ length: 2 ** n }, (_, bits) => names.filter((_, i) => bits & (1 << i)));
    const key = (n: string) => n.toLowerCase();
    for (const taken of subsets(names.length)) {
      const reservedHere = new Set([...taken, 'id']);
      for (const fields of subsets(names.length)) {
        for (const order of [fields, [...fields].reverse()]) {
          const columns = keptColumnNames(order, reservedHere);
          expect(sqlUnique([...columns, ...new Set([...reservedHere].map(key))]), `${order} with ${taken}`).toBe(true);
          expect(keptFieldsOf(columns, reservedHere)).toEqual(order);
        }
      }
    }
  });

  // Kept fields that are one name to SQL among themselves (a JSONL row with title and Title, a CSV
  // input with columns id and ID): the later one moves up its chain, and the header reads back.
  it.each([
    [
      ['title', 'Title'],
      ['input_title', 'input_input_Title'],
    ],
    [
      ['url', 'Url', 'URL'],
      ['url', 'input_Url', 'input_input_URL'],
    ],
    [
      ['id', 'ID'],
      ['input_id', 'input_input_ID'],
    ],
    [
      ['Prompt', 'prompt'],
      ['input_Prompt', 'input_input_prompt'],
    ],
    // Sitting in another case on an earlier field's name moves a field too, so that the header of
    // url,Url (url,input_Url) stands for those fields only.
    [
      ['url', 'input_Url'],
      ['url', 'input_input_Url'],
    ],
    [
      ['url', 'Url', 'input_url'],
      ['url', 'input_Url', 'input_input_url'],
    ],
    // One case on a chain: named as each alone.
    [
      ['url', 'input_url'],
      ['url', 'input_url'],
    ],
  ])('fields one name to SQL among themselves: %j → %j, unique to SQL, read back', (fields, columns) => {
    expect(keptColumnNames(fields, reserved)).toEqual(columns);
    expect(sqlUnique([...columns, ...reserved])).toBe(true);
    expect(keptFieldsOf(columns, reserved)).toEqual(fields);
    // A whole header (title no result column there): unique to SQL, read back as named now.
    const header = csvHeaderColumns({ escapeFormulas: false, keptFields: fields });
    expect(sqlUnique(header)).toBe(true);
    expect(csvHeaderShape(header)).toMatchObject({ caseSensitiveNames: false, keptFields: fields });
  });

  it('any order of fields in any case on one chain, beside any reserved names: unique to SQL and read back', () => {
    const names = ['x', 'X', 'input_x', 'input_X', 'Input_x', 'input_input_X', 'INPUT_input_x'];
    const orders = function* (from: readonly string[], n: number): Generator<string[]> {
      if (n === 0) yield [];
      else for (const [i, name] of from.entries()) for (const rest of orders(from.toSpliced(i, 1), n - 1)) yield [name, ...rest];
    };
    const chain = ['x', 'input_x', 'input_input_x', 'input_input_input_x'];
    for (let bits = 0; bits < 2 ** chain.length; bits++) {
      const reservedHere = new Set([...chain.filter((_, i) => bits & (1 << i)), 'id']);
      for (let n = 0; n <= 4; n++) {
        for (const fields of orders(names, n)) {
          const columns = keptColumnNames(fields, reservedHere);
          expect(sqlUnique([...columns, ...reservedHere]), `${fields} with ${[...reservedHere]}`).toBe(true);
          expect(keptFieldsOf(columns, reservedHere)).toEqual(fields);
        }
      }
    }
  });

  it('a header written before kept fields were apart from each other in case (title beside Title) reads back as written', () => {
    const header = [...CSV_COLUMNS, 'title', 'Title', 'input_ID'];
    const shape = csvHeaderShape(header)!;
    expect(shape).toMatchObject({ caseSensitiveNames: true, keptFields: ['title', 'Title', 'input_ID'] });
    expect(csvHeaderColumns(layoutOfHeader(shape, false))).toEqual(header);
  });

  it('a header written before case counted (a kept ID beside id) reads back as written and is continued that way', () => {
    // llm-batch before s22: kept ID, Prompt, Model, input_ID took their own names.
    const header = [...CSV_COLUMNS, 'ID', 'Prompt', 'input_ID', 'Model'];
    const shape = csvHeaderShape(header)!;
    expect(shape.caseSensitiveNames).toBe(true);
    expect(shape.keptFields).toEqual(['ID', 'Prompt', 'input_ID', 'Model']);
    expect(csvHeaderColumns(layoutOfHeader(shape, false))).toEqual(header);
    // The same fields now: a header unique to SQL, read back to them.
    const now = csvHeaderColumns({ escapeFormulas: false, keptFields: shape.keptFields });
    expect(now.slice(CSV_COLUMNS.length)).toEqual(['input_ID', 'input_Prompt', 'input_input_ID', 'input_Model']);
    expect(sqlUnique(now)).toBe(true);
    expect(csvHeaderShape(now)).toMatchObject({ caseSensitiveNames: false, keptFields: shape.keptFields });
  });
});
