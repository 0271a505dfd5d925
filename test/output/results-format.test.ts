import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTPUT_FORMAT_KEY, readBackFormat, resultsFileFormat, storedResultsFormat, writeRunMeta } from '../../src/output/index.js';
import { useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

const JSONL_ROW = '{"id":"1","line":1,"prompt":"a","response":"b","error":null}\n';
const CSV_HEAD = 'id,line,prompt,response,error_type\n1,1,a,b,\n';

/** A file `name` holding `content`, with run metadata recording `recorded` when given. */
function results(name: string, content: string, recorded?: string): string {
  const file = join(tmp(), name);
  writeFileSync(file, content);
  if (recorded !== undefined) writeRunMeta(file, { model: 'm', [OUTPUT_FORMAT_KEY]: recorded });
  return file;
}

describe('the format of an existing results file: what it holds, not its name', () => {
  it.each([
    ['JSONL under a .csv name (-o r.csv -f jsonl)', 'r.csv', JSONL_ROW, undefined, 'jsonl', 'jsonl'],
    ['CSV under a .jsonl name (-o x.jsonl -f csv)', 'x.jsonl', CSV_HEAD, undefined, 'csv', 'csv'],
    ['JSONL under a .json name (-o r.json -f jsonl)', 'r.json', JSONL_ROW, undefined, 'jsonl', 'jsonl'],
    ['a CSV with a UTF-8 BOM', 'r.txt', `\ufeff${CSV_HEAD}`, undefined, 'csv', 'csv'],
    // A text output of JSON answers with empty ids starts with `{` too: its metadata decides.
    ['text the metadata records, whatever its first bytes', 'r.jsonl', '{"a":1}\n\n', 'text', 'text', 'jsonl'],
    ['the first bytes over a record that disagrees (the file was replaced by hand)', 'r.csv', JSONL_ROW, 'csv', 'jsonl', 'jsonl'],
    ['a torn or foreign first line: the record', 'r.jsonl', 'garbage\n', 'csv', 'csv', 'csv'],
    ['a torn or foreign first line, no record: the name', 'r.csv', 'garbage\n', undefined, undefined, 'csv'],
    ['a text output of an older run (no record): the name', 'out.txt', '[1-abc] hello\n\n', undefined, undefined, 'jsonl'],
    ['an empty file: the name', 'r.jsonl', '', undefined, undefined, 'jsonl'],
  ] as const)('%s', (_name, name, content, recorded, stored, readBack) => {
    const file = results(name, content, recorded);
    expect(storedResultsFormat(file)).toBe(stored);
    expect(readBackFormat(file)).toBe(readBack);
  });

  it('falls back to the extension for a missing file, and says nothing for an unknown one', () => {
    const dir = tmp();
    expect(resultsFileFormat(join(dir, 'new.csv'))).toBe('csv');
    expect(resultsFileFormat(join(dir, 'new.txt'))).toBe('text');
    expect(resultsFileFormat(join(dir, 'new.json'))).toBeUndefined();
  });

  it('damaged metadata is no format (the resume that checks the settings says so)', () => {
    const file = results('r.csv', JSONL_ROW);
    writeFileSync(`${file}.meta.json`, '{not json');
    expect(storedResultsFormat(file)).toBe('jsonl');
  });

  it('never opens a FIFO (no reader would come: it would hang)', () => {
    const fifo = join(tmp(), 'rows.csv');
    execFileSync('mkfifo', [fifo]);
    expect(storedResultsFormat(fifo)).toBeUndefined();
    expect(readBackFormat(fifo)).toBe('csv');
  });
});
