import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../src/input/index.js';

describe('detectFormat', () => {
  it.each([
    ['prompts.txt', 'txt'],
    ['notes.TEXT', 'txt'],
    ['a/b/list.prompts', 'txt'],
    ['data.jsonl', 'jsonl'],
    ['DATA.NDJSON', 'jsonl'],
    ['./rows.Csv', 'csv'],
    ['archive.csv.gz', undefined],
    ['data.json', 'json'],
    ['data.xlsx', undefined],
    ['README', undefined],
    ['<stdin>', undefined],
    ['.csv', undefined], // a dotfile named ".csv" has no extension
  ] as const)('%s → %s', (path, expected) => {
    expect(detectFormat(path)).toBe(expected);
  });
});
