/**
 * A lone CR inside a CSV line is text, and counts no line: through the BUILT CLI (--mock), the
 * rows after one keep the line an editor shows, in their `line`, their error's `file:line`, and the
 * line-based id of a row without one. csv-parse counted every CR as a line break, so each lone CR
 * shifted every later row by one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJsonl, runCli, tempDir } from '../helpers/run-cli.js';

const tmp = tempDir('llm-batch-csv-lone-cr-');
afterAll(() => tmp.cleanup());

interface Row {
  id: string;
  line: number;
  prompt: string;
  error: { message: string } | null;
}

async function rows(name: string, text: string): Promise<Row[]> {
  fs.writeFileSync(path.join(tmp.dir, name), text);
  const r = await runCli([name, '--mock', '-o', '-', '--order', 'input', '-q'], { cwd: tmp.dir });
  expect(r.code, r.stderr).toBe(1);
  return parseJsonl<Row>(r.stdout);
}

describe.concurrent('a lone CR inside a CSV line', () => {
  it('in an unquoted cell of an LF file: later rows keep their lines, error lines and line-based ids', async () => {
    const got = await rows('cr4.csv', 'id,prompt\n1,first part\rsecond part\n2,fine\n3,too,many\n,no id here\n');
    // The same file without the CR: the lines and the id of the row without one are the file's.
    const plain = await rows('plain4.csv', 'id,prompt\n1,first part second part\n2,fine\n3,too,many\n,no id here\n');
    expect(got.map((x) => [x.id.replace(/-.*/, '-…'), x.line, x.error?.message ?? null])).toEqual([
      ['1', 2, null],
      ['2', 3, null],
      ['3', 4, 'cr4.csv:4: row has 3 cells but the header has 2 columns (quote cells that contain commas)'],
      ['5-…', 5, null],
    ]);
    expect(got[0]?.prompt).toBe('first part\rsecond part');
    expect(got[3]?.id).toBe(plain[3]?.id);
  });

  it('in a quoted cell of a CRLF file', async () => {
    const got = await rows('cr5.csv', 'id,prompt\r\n1,"a\rb"\r\n2,c\r\n,d\r\n3,x,y\r\n');
    expect(got.map((x) => [x.id.replace(/-.*/, '-…'), x.line, x.prompt])).toEqual([
      ['1', 2, 'a\rb'],
      ['2', 3, 'c'],
      ['4-…', 4, 'd'],
      ['3', 5, 'x'],
    ]);
  });
});
