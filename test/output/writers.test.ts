import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunError } from '../../src/errors.js';
import { parse } from 'csv-parse/sync';
import { formatFromPath, openFileWriter, type CsvLayout, type OutputFormat } from '../../src/output/index.js';
import type { ResultRow } from '../../src/types.js';
import { errRow, okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

const HEADER =
  'id,line,prompt,response,error_type,error_message,error_status,error_code,attempts,latency_ms,model,finish_reason,prompt_tokens,completion_tokens,cached_tokens,' +
  'started_at,finished_at,requested_model,sample,cached,batch_id\n';

async function writeAll(path: string, format: OutputFormat, rows: ResultRow[], append = false, csv?: CsvLayout): Promise<void> {
  const w = openFileWriter(path, format, { append, csv });
  for (const r of rows) await w.write(r);
  await w.close();
}

describe('formatFromPath', () => {
  it.each([
    ['out.jsonl', 'jsonl'],
    ['out.ndjson', 'jsonl'],
    ['OUT.JSONL', 'jsonl'],
    ['dir.x/out.csv', 'csv'],
    ['notes.txt', 'text'],
    ['out.json', undefined],
    ['out', undefined],
  ] as const)('%s → %s', (path, expected) => {
    expect(formatFromPath(path)).toBe(expected);
  });
});

describe('JSONL file writer', () => {
  it('writes one JSON line per row, keys in ResultRow order', async () => {
    const path = join(tmp(), 'out.jsonl');
    // Keys deliberately out of order, plus an unknown key: the line must still come out in ResultRow order.
    const base = errRow('b', 'boom');
    const shuffled = {
      usage: null,
      extra: 'dropped',
      error: { code: 'c1', message: 'boom', status: 504, type: 'http' },
      finish_reason: base.finish_reason,
      model: base.model,
      latency_ms: base.latency_ms,
      attempts: base.attempts,
      response: base.response,
      prompt: base.prompt,
      line: base.line,
      id: base.id,
    };
    await writeAll(path, 'jsonl', [okRow('a', 'hi\nthere'), shuffled as ResultRow]);
    expect(readFileSync(path, 'utf8')).toBe(
      '{"id":"a","line":1,"prompt":"prompt a","response":"hi\\nthere","error":null,"attempts":1,"latency_ms":120,' +
        '"model":"gpt-4o-mini","finish_reason":"stop","usage":{"prompt_tokens":5,"completion_tokens":7}}\n' +
        '{"id":"b","line":2,"prompt":"prompt b","response":null,"error":{"type":"http","message":"boom","status":504,"code":"c1"},' +
        '"attempts":3,"latency_ms":null,"model":null,"finish_reason":null,"usage":null}\n',
    );
  });

  it('append keeps content; append=false truncates', async () => {
    const path = join(tmp(), 'out.jsonl');
    await writeAll(path, 'jsonl', [okRow('a', '1')]);
    await writeAll(path, 'jsonl', [okRow('b', '2')], true);
    expect(
      readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).id),
    ).toEqual(['a', 'b']);
    await writeAll(path, 'jsonl', [okRow('c', '3')], false);
    expect(
      readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).id),
    ).toEqual(['c']);
  });

  it('append=true creates a missing file', async () => {
    const path = join(tmp(), 'new.jsonl');
    await writeAll(path, 'jsonl', [okRow('a', '1')], true);
    expect(existsSync(path)).toBe(true);
  });

  it('refuses to append after a torn last line', async () => {
    const path = join(tmp(), 'out.jsonl');
    writeFileSync(path, '{"id":"a"');
    expect(() => openFileWriter(path, 'jsonl', { append: true })).toThrow(/incomplete line/);
  });

  it('writes the row before write() returns (no await needed)', async () => {
    const path = join(tmp(), 'out.jsonl');
    const w = openFileWriter(path, 'jsonl', { append: false });
    void w.write(okRow('a', 'x'));
    expect(readFileSync(path, 'utf8')).toContain('"id":"a"');
    await w.close();
  });

  it('rejects writes after close, close is idempotent', async () => {
    const path = join(tmp(), 'out.jsonl');
    const w = openFileWriter(path, 'jsonl', { append: false });
    await w.close();
    await w.close();
    await expect(w.write(okRow('a', 'x'))).rejects.toBeInstanceOf(RunError);
  });

  it('throws RunError(output) when the file cannot be opened', () => {
    const path = join(tmp(), 'missing-dir', 'out.jsonl');
    expect(() => openFileWriter(path, 'jsonl', { append: false })).toThrow(RunError);
    try {
      openFileWriter(path, 'jsonl', { append: false });
    } catch (err) {
      expect((err as RunError).code).toBe('output');
    }
  });
});

describe('CSV file writer', () => {
  it('writes header and flattened rows', async () => {
    const path = join(tmp(), 'out.csv');
    await writeAll(path, 'csv', [
      okRow('a', 'hi'),
      errRow('b', 'bad, gateway', { error: { type: 'http', message: 'bad, gateway', status: 502, code: 'upstream' } }),
      okRow('c', 'two\nlines "quoted"'),
    ]);
    expect(readFileSync(path, 'utf8')).toBe(
      HEADER +
        'a,1,prompt a,hi,,,,,1,120,gpt-4o-mini,stop,5,7,,,,,,,\n' +
        'b,2,prompt b,,http,"bad, gateway",502,upstream,3,,,,,,,,,,,,\n' +
        'c,1,prompt c,"two\nlines ""quoted""",,,,,1,120,gpt-4o-mini,stop,5,7,,,,,,,\n',
    );
  });

  it('writes the header only once across append runs', async () => {
    const path = join(tmp(), 'out.csv');
    await writeAll(path, 'csv', [okRow('a', '1')], true);
    await writeAll(path, 'csv', [okRow('b', '2')], true);
    await writeAll(path, 'csv', [], true);
    const text = readFileSync(path, 'utf8');
    expect(text.split(HEADER).length - 1).toBe(1);
    expect(text.startsWith(HEADER)).toBe(true);
    expect(text).toContain('\na,1,');
    expect(text).toContain('\nb,1,');
  });

  it('writes a header into an existing empty file when appending', async () => {
    const path = join(tmp(), 'out.csv');
    writeFileSync(path, '');
    await writeAll(path, 'csv', [], true);
    expect(readFileSync(path, 'utf8')).toBe(HEADER);
  });

  it('refuses to append to a CSV file with another header', async () => {
    const path = join(tmp(), 'out.csv');
    writeFileSync(path, 'a,b,c\n1,2,3\n');
    expect(() => openFileWriter(path, 'csv', { append: true })).toThrow(/header/);
  });

  it.each(['-1', '+1 555 0100', '- Paris', '=SUM(A1:A9)', '@cmd', '\tx'])('by default writes %j exactly as it is', async (response) => {
    const path = join(tmp(), 'out.csv');
    await writeAll(path, 'csv', [okRow('a', response)]);
    // What python's csv, sqlite3 .import or pandas read back: the answer as it was.
    const records = parse(readFileSync(path)) as string[][];
    expect(records[1]![3]).toBe(response);
  });

  it.each([
    ['=SUM(A1:A9)', "'=SUM(A1:A9)"],
    ['+1 555', "'+1 555"],
    ['-2 apples', "'-2 apples"],
    ['- Paris', "'- Paris"],
    ['@cmd', "'@cmd"],
    ['\tx', "'\tx"],
    ['\rx', `"'\rx"`],
    ['a=b', 'a=b'],
    ['-1', '-1'],
    ['+2.5', '+2.5'],
    ['-3e4', '-3e4'],
  ])('with --csv-escape-formulas escapes %j as %j (plain numbers stay numbers)', async (response, cell) => {
    const path = join(tmp(), 'out.csv');
    await writeAll(path, 'csv', [okRow('a', response)], false, { escapeFormulas: true, keptFields: [] });
    expect(readFileSync(path, 'utf8')).toBe(`${HEADER}a,1,prompt a,${cell},,,,,1,120,gpt-4o-mini,stop,5,7,,,,,,,\n`);
  });
});

describe('text file writer', () => {
  it('writes responses and errors separated by blank lines', async () => {
    const path = join(tmp(), 'out.txt');
    await writeAll(path, 'text', [
      okRow('a', 'Paris.\n'),
      okRow('', 'no id\nsecond line'),
      errRow('c', 'request timed out after 60s'),
      okRow('d', '', { response: null }),
    ]);
    expect(readFileSync(path, 'utf8')).toBe('[a] Paris.\n\nno id\nsecond line\n\n[c] [error timeout] request timed out after 60s\n\n[d] \n\n');
  });

  it('labels the answers of a run with several models or --repeat by model and sample, as the terminal does', async () => {
    const path = join(tmp(), 'matrix.txt');
    await writeAll(path, 'text', [
      okRow('a', 'one', { requested_model: 'gpt-4o-mini', sample: 0 }),
      okRow('a', 'two', { requested_model: 'gpt-4o-mini', sample: 1 }),
      errRow('a', 'request timed out after 60s', { requested_model: 'o1', sample: 0 }),
    ]);
    expect(readFileSync(path, 'utf8')).toBe('[a · gpt-4o-mini] one\n\n[a · gpt-4o-mini #2] two\n\n[a · o1] [error timeout] request timed out after 60s\n\n');
  });
});
