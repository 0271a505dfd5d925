import { describe, expect, it } from 'vitest';
import { reportRowFromCsv } from '../../src/report/read-report-rows.js';
import { keptNumberText } from '../../src/structured/exact-numbers.js';

const row = (output: string, response: string, errorType = '') => ({ id: 'a', prompt: 'p', output, response, error_type: errorType });

describe("a report of a CSV's one `output` column", () => {
  it('of a --json run: the compact JSON cell gives its keys as fields, numbers as written', () => {
    const r = reportRowFromCsv(row('{"a":1,"b":[1,2],"n":12345678901234567890}', '{"a": 1, "b": [1, 2], "n": 12345678901234567890}'), ['output']);
    expect(Object.keys(r.output!)).toEqual(['a', 'b', 'n']);
    expect(r.output!['a']).toBe(1);
    expect(r.output!['b']).toEqual([1, 2]);
    // A kept number: a JSON.rawJSON on Node 22+ (String() of it throws), a LosslessNumber on 20.
    expect(keptNumberText(r.output!['n'])).toBe('12345678901234567890');
  });

  it('of a schema whose one property is named output: the cell stays that property, even when it holds JSON', () => {
    expect(reportRowFromCsv(row('{"a":1}', '{"output":"{\\"a\\":1}"}'), ['output']).output).toEqual({ output: '{"a":1}' });
    expect(reportRowFromCsv(row('plain text', '{"output":"plain text"}'), ['output']).output).toEqual({ output: 'plain text' });
  });

  it('of a failed row: no answer (its JSONL row has output null), not an empty field', () => {
    expect(reportRowFromCsv(row('', 'not json', 'invalid_output'), ['output']).output).toBeNull();
    expect(reportRowFromCsv(row('', '', 'server_error'), ['label', 'score']).output).toBeNull();
    // An ok row's empty cell is an answer's empty string.
    expect(reportRowFromCsv(row('', '{"output":""}'), ['output']).output).toEqual({ output: '' });
  });
});

describe('a report of CSV field columns named like Object.prototype', () => {
  it('keeps a `__proto__` column as a field, named or found, and reads no inherited cell', () => {
    const record = JSON.parse('{"id":"a","prompt":"p","response":"{}","error_type":"","__proto__":"v"}') as Record<string, string>;
    for (const fields of [['__proto__', 'constructor'], undefined]) {
      const output = reportRowFromCsv(record, fields).output!;
      expect(Object.hasOwn(output, '__proto__'), String(fields)).toBe(true);
      expect(Object.getOwnPropertyDescriptor(output, '__proto__')?.value).toBe('v');
      expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
    }
    expect(reportRowFromCsv(record, ['constructor']).output).toEqual({ constructor: '' });
  });
});
