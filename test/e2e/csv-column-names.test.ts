/**
 * Review s8 D7: every CSV header is unique by construction. A kept input field named like a result
 * or schema column, or like one with `input_` in front, gets `input_` in front; the header reads
 * back to the same fields (--resume, --compact). The built CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { parseJsonl } from '../helpers/run-cli.js';

const { dir, fresh, writeFile } = useServers('llm-batch-csv-names-');

const headerOf = (file: string) => (parse(fs.readFileSync(file), { to_line: 1 }) as string[][])[0]!;
const recordsOf = (file: string) => parse(fs.readFileSync(file), { columns: true }) as Array<Record<string, string>>;

describe('CSV column names (D7)', () => {
  it('a kept field named like a --json-schema property is input_<name>; the schema column keeps the answer', async () => {
    const { run } = await fresh();
    const input = writeFile('tickets.csv', 'title,category,body\nPrinter on fire,hardware,help\nVPN down,network,again\n');
    const schema = JSON.stringify({
      type: 'object',
      properties: { id: { type: 'string' }, title: { type: 'string' }, category: { type: 'string' } },
      required: ['id', 'title', 'category'],
      additionalProperties: false,
    });
    const out = path.join(dir, 'tickets.out.csv');
    const r = await run([input, '-t', '{{title}}: {{body}}', '--json-schema', schema, '--keep-fields', 'title,category,body', '-o', out, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const header = headerOf(out);
    expect(new Set(header).size).toBe(header.length);
    expect(header.slice(0, 5)).toEqual(['id', 'output_id', 'title', 'category', 'line']);
    expect(header.slice(-3)).toEqual(['input_title', 'input_category', 'body']);
    const records = recordsOf(out);
    expect(records.map((rec) => [rec['input_title'], rec['input_category']]).sort()).toEqual([
      ['Printer on fire', 'hardware'],
      ['VPN down', 'network'],
    ]);
    for (const rec of records) expect(JSON.parse(rec['response']!).title).toBe(rec['title']);
  });

  it.each([
    ['blank lines before the header', '\n\nid,title,prompt\n1,T,hi\n', [], ['input_id', 'title', 'input_prompt'], ['1', 'T', 'hi']],
    ['a quoted name over two lines', 'id,"first\nname",prompt\n1,Ann,hi\n', [], ['input_id', 'first\nname', 'input_prompt'], ['1', 'Ann', 'hi']],
    [
      'a Latin-1 name under --encoding latin1',
      Buffer.from('id,caf\xe9,prompt\n1,x,hi\n', 'latin1'),
      ['--encoding', 'latin1'],
      ['input_id', 'café', 'input_prompt'],
      ['1', 'x', 'hi'],
    ],
    [
      'a UTF-16 file',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,naïve,prompt\n1,y,hi\n', 'utf16le')]),
      [],
      ['input_id', 'naïve', 'input_prompt'],
      ['1', 'y', 'hi'],
    ],
  ] as const)('--keep-fields all into CSV with %s: the columns the run reads, filled', async (_what, text, flags, columns, cells) => {
    const { run } = await fresh();
    const input = path.join(dir, 'kept-header.csv');
    fs.writeFileSync(input, text);
    const out = path.join(dir, 'kept-header.out.csv');
    fs.rmSync(out, { force: true });
    fs.rmSync(`${out}.meta.json`, { force: true });
    const r = await run([input, ...flags, '--keep-fields', 'all', '-o', out, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const [header, row] = parse(fs.readFileSync(out)) as string[][];
    expect(header!.slice(-3)).toEqual(columns);
    expect(row!.slice(-3)).toEqual(cells);
  });

  it('input columns id,input_id with --keep-fields all: unique names, and --resume and --compact read the fields back', async () => {
    const { run, server } = await fresh();
    const input = writeFile('ids.csv', 'id,input_id,prompt\nA,x1,hello\nB,x2,world\n');
    const out = path.join(dir, 'ids.out.csv');
    expect((await run([input, '--keep-fields', 'all', '-o', out, '-q'])).code).toBe(0);
    const header = headerOf(out);
    expect(new Set(header).size).toBe(header.length);
    // The input's `id` is input_id, as documented; its own `input_id` column moved one prefix further.
    expect(header.slice(-3)).toEqual(['input_id', 'input_input_id', 'input_prompt']);
    fs.appendFileSync(input, 'C,x3,again\n');
    server.reset();
    const again = await run([input, '--keep-fields', 'all', '-o', out, '--resume', '-q']);
    expect(again.code, again.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt)).toEqual(['again']);
    const byId = new Map(recordsOf(out).map((rec) => [rec['id'], rec]));
    expect([...byId.keys()].sort()).toEqual(['A', 'B', 'C']);
    expect(byId.get('C')).toMatchObject({ input_id: 'C', input_input_id: 'x3', input_prompt: 'again' });
    const compacted = path.join(dir, 'ids.compact.jsonl');
    const c = await run(['--compact', out, '-o', compacted]);
    expect(c.code, c.stderr).toBe(0);
    const rows = parseJsonl<{ id: string; input: Record<string, string> }>(fs.readFileSync(compacted, 'utf8'));
    expect(rows.find((row) => row.id === 'A')!.input).toEqual({ id: 'A', input_id: 'x1', prompt: 'hello' });
  });
});
