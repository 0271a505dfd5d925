/**
 * Review s9 F10: a kept field whose `input_` name is itself a --json-schema column (`title` kept next
 * to a schema property `input_title`, `id` next to `input_id`) takes a free name further along
 * (`input_input_title`), so no CSV header has two columns of one name, each column keeps its own
 * value, and --resume and --compact read the fields back. The built CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { parseJsonl } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const { dir, fresh, writeFile } = useServers('llm-batch-csv-kept-');

const headerOf = (file: string) => (parse(fs.readFileSync(file), { to_line: 1 }) as string[][])[0]!;
const recordsOf = (file: string) => parse(fs.readFileSync(file), { columns: true }) as Array<Record<string, string>>;
const schemaOf = (names: string[]) =>
  JSON.stringify({
    type: 'object',
    properties: Object.fromEntries(names.map((n) => [n, { type: 'string' }])),
    required: names,
    additionalProperties: false,
  });

describe('kept fields never share a name with a schema column (F10)', () => {
  it('schema title + input_title, --keep-fields title: the kept title is input_input_title; --resume and --compact read it back', async () => {
    const { run, server } = await fresh();
    const input = writeFile('s3.csv', 'id,title,prompt\n1,KEPT-ONE,hello\n2,KEPT-TWO,world\n');
    const out = path.join(dir, 's3.out.csv');
    const args = [input, '--json-schema', schemaOf(['title', 'input_title']), '--keep-fields', 'title', '-o', out, '-q'];
    const r = await run(args);
    expect(r.code, r.stderr).toBe(0);
    const header = headerOf(out);
    expect(new Set(header).size).toBe(header.length);
    expect(header.slice(0, 4)).toEqual(['id', 'title', 'input_title', 'line']);
    expect(header.at(-1)).toBe('input_input_title');
    for (const rec of recordsOf(out)) {
      const answer = JSON.parse(rec['response']!) as Record<string, string>;
      expect(rec['title']).toBe(answer['title']);
      expect(rec['input_title']).toBe(answer['input_title']);
    }
    expect(recordsOf(out).map((rec) => rec['input_input_title'])).toEqual(['KEPT-ONE', 'KEPT-TWO']);

    fs.appendFileSync(input, '3,KEPT-THREE,again\n');
    server.reset();
    const again = await run([...args, '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt)).toEqual(['again']);
    expect(headerOf(out)).toEqual(header);
    expect(recordsOf(out).map((rec) => rec['input_input_title'])).toEqual(['KEPT-ONE', 'KEPT-TWO', 'KEPT-THREE']);

    const compacted = path.join(dir, 's3.compact.jsonl');
    const c = await runInWorker(['--compact', out, '-o', compacted, '--base-url', server.url]);
    expect(c.code, c.stderr).toBe(0);
    const rows = parseJsonl<{ id: string; input: Record<string, string> }>(fs.readFileSync(compacted, 'utf8'));
    expect(rows.map((row) => [row.id, row.input])).toEqual([
      ['1', { title: 'KEPT-ONE' }],
      ['2', { title: 'KEPT-TWO' }],
      ['3', { title: 'KEPT-THREE' }],
    ]);
    // Compacted to CSV again: the same header.
    const again2 = path.join(dir, 's3.compact.csv');
    expect((await run(['--compact', out, '-o', again2])).code).toBe(0);
    expect(headerOf(again2)).toEqual(header);
  });

  it('schema input_id, --keep-fields all with id and input_id columns: every name once, each with its own value', async () => {
    const { run, server } = await fresh();
    const input = writeFile('ids.csv', 'id,input_id,prompt\nA,x1,hello\n');
    const out = path.join(dir, 'ids.out.csv');
    const r = await run([input, '--json-schema', schemaOf(['input_id', 'input_input_id']), '--keep-fields', 'all', '-o', out, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const header = headerOf(out);
    expect(new Set(header).size).toBe(header.length);
    expect(header.slice(0, 3)).toEqual(['id', 'input_id', 'input_input_id']);
    expect(header.slice(-3)).toEqual(['input_input_input_id', 'input_input_input_input_id', 'input_prompt']);
    const [rec] = recordsOf(out);
    expect(rec).toMatchObject({ id: 'A', input_input_input_id: 'A', input_input_input_input_id: 'x1', input_prompt: 'hello' });
    const compacted = path.join(dir, 'ids.compact.jsonl');
    expect((await runInWorker(['--compact', out, '-o', compacted, '--base-url', server.url])).code).toBe(0);
    const [row] = parseJsonl<{ input: Record<string, string> }>(fs.readFileSync(compacted, 'utf8'));
    expect(row!.input).toEqual({ id: 'A', input_id: 'x1', prompt: 'hello' });
  });
});

describe('names that are one name to SQL in another case (EXC s22 F9)', () => {
  it('kept ID, Prompt, Model are input_ID…; a file written before that resumes in its own header and compacts back', async () => {
    const { run, server } = await fresh();
    const input = writeFile('case.csv', 'ID,Prompt,Model\nT1,hello,x\nT2,world,y\n');
    const out = path.join(dir, 'case.out.csv');
    const args = [input, '--id-field', 'ID', '--prompt-field', 'Prompt', '--keep-fields', 'all', '-q'];
    const r = await run([...args, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const header = headerOf(out);
    expect(header.slice(-3)).toEqual(['input_ID', 'input_Prompt', 'input_Model']);
    // sqlite3 .import takes ID for id: every name once, case aside.
    expect(new Set(header.map((name) => name.toLowerCase())).size).toBe(header.length);
    expect(recordsOf(out).map((rec) => [rec['id'], rec['input_ID'], rec['input_Model']])).toEqual([
      ['T1', 'T1', 'x'],
      ['T2', 'T2', 'y'],
    ]);

    // The file as llm-batch wrote it before case counted (kept columns ID,Prompt,Model), T1 answered.
    const old = path.join(dir, 'case.old.csv');
    const [head, first] = fs.readFileSync(out, 'utf8').split(/\r?\n/);
    const oldHeader = head!.replace(/,input_ID,input_Prompt,input_Model$/, ',ID,Prompt,Model');
    fs.writeFileSync(old, `${oldHeader}\n${first}\n`);
    fs.copyFileSync(`${out}.meta.json`, `${old}.meta.json`);
    server.reset();
    const again = await run([...args, '-o', old, '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt)).toEqual(['world']);
    expect(fs.readFileSync(old, 'utf8').split(/\r?\n/)[0]).toBe(oldHeader);
    expect(recordsOf(old).map((rec) => [rec['id'], rec['ID'], rec['Prompt'], rec['Model']])).toEqual([
      ['T1', 'T1', 'hello', 'x'],
      ['T2', 'T2', 'world', 'y'],
    ]);

    const compacted = path.join(dir, 'case.compact.jsonl');
    const c = await runInWorker(['--compact', old, '-o', compacted, '--base-url', server.url]);
    expect(c.code, c.stderr).toBe(0);
    const rows = parseJsonl<{ input: Record<string, string> }>(fs.readFileSync(compacted, 'utf8'));
    expect(rows.map((row) => row.input)).toEqual([
      { ID: 'T1', Prompt: 'hello', Model: 'x' },
      { ID: 'T2', Prompt: 'world', Model: 'y' },
    ]);
  });
});

describe('kept fields and schema properties one name to SQL among themselves', () => {
  const sqlUnique = (header: readonly string[]) => new Set(header.map((name) => name.toLowerCase())).size === header.length;

  it('JSONL fields title and Title, schema properties note and Note: apart in the header; --resume and --compact keep each value in its field', async () => {
    const { run, server } = await fresh();
    const line = (n: number) => JSON.stringify({ prompt: `p${n}`, title: `lower-${n}`, Title: `Upper-${n}` });
    const input = writeFile('tt.jsonl', `${line(1)}\n${line(2)}\n`);
    const out = path.join(dir, 'tt.out.csv');
    const args = [input, '--json-schema', schemaOf(['note', 'Note']), '--keep-fields', 'title,Title', '-o', out, '-q'];
    const r = await run(args);
    expect(r.code, r.stderr).toBe(0);
    const header = headerOf(out);
    expect(sqlUnique(header), header.join(',')).toBe(true);
    expect(header.slice(0, 3)).toEqual(['id', 'note', 'output_Note']);
    expect(header.slice(-2)).toEqual(['title', 'input_Title']);
    const valuesOf = (file: string) => recordsOf(file).map((rec) => [rec['title'], rec['input_Title']]);
    expect(valuesOf(out)).toEqual([
      ['lower-1', 'Upper-1'],
      ['lower-2', 'Upper-2'],
    ]);
    for (const rec of recordsOf(out)) {
      const answer = JSON.parse(rec['response']!) as Record<string, string>;
      expect([rec['note'], rec['output_Note']]).toEqual([answer['note'], answer['Note']]);
    }

    fs.appendFileSync(input, `${line(3)}\n`);
    server.reset();
    const again = await run([...args, '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt)).toEqual(['p3']);
    expect(headerOf(out)).toEqual(header);
    expect(valuesOf(out).at(-1)).toEqual(['lower-3', 'Upper-3']);

    const compacted = path.join(dir, 'tt.compact.jsonl');
    const c = await runInWorker(['--compact', out, '-o', compacted, '--base-url', server.url]);
    expect(c.code, c.stderr).toBe(0);
    const rows = parseJsonl<{ input: Record<string, string> }>(fs.readFileSync(compacted, 'utf8'));
    expect(rows.map((row) => row.input)).toEqual([1, 2, 3].map((n) => ({ title: `lower-${n}`, Title: `Upper-${n}` })));
    const again2 = path.join(dir, 'tt.compact.csv');
    expect((await runInWorker(['--compact', out, '-o', again2, '--base-url', server.url])).code).toBe(0);
    expect(headerOf(again2)).toEqual(header);
    expect(valuesOf(again2)).toEqual(valuesOf(out));
  });

  it('CSV columns id, ID, Prompt, prompt under --keep-fields all: each once to SQL, read back to its own field', async () => {
    const { run, server } = await fresh();
    const input = writeFile('idID.csv', 'id,ID,Prompt,prompt\nlow,UP,Big,small\n');
    const out = path.join(dir, 'idID.out.csv');
    const r = await run([input, '--keep-fields', 'all', '-o', out, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const header = headerOf(out);
    expect(sqlUnique(header), header.join(',')).toBe(true);
    expect(header.slice(-4)).toEqual(['input_id', 'input_input_ID', 'input_Prompt', 'input_input_prompt']);
    expect(recordsOf(out)[0]).toMatchObject({ id: 'low', input_id: 'low', input_input_ID: 'UP', input_Prompt: 'Big', input_input_prompt: 'small' });
    const compacted = path.join(dir, 'idID.compact.jsonl');
    expect((await runInWorker(['--compact', out, '-o', compacted, '--base-url', server.url])).code).toBe(0);
    const [row] = parseJsonl<{ input: Record<string, string> }>(fs.readFileSync(compacted, 'utf8'));
    expect(row!.input).toEqual({ id: 'low', ID: 'UP', Prompt: 'Big', prompt: 'small' });
  });
});
