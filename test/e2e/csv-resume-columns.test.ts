/**
 * Resuming a CSV whose columns are not quite this run's, through the BUILT CLI and the mock server:
 * the input gained a row that sets `tools` (the run now needs a tool_calls column the file lacks),
 * or --keep-fields all meets a CSV input that gained a column. Refused (nothing lost, nothing
 * changed) with a message that says which columns differ and what to do; a file with a tool_calls
 * column the run no longer needs is continued in its own layout, which loses nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { runCli } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const ctx = useServerAndCaseDir('llm-batch-csv-resume-columns-');

const TOOLS = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }];
const line = (row: object) => `${JSON.stringify(row)}\n`;
const table = (file: string) => parse(fs.readFileSync(file, 'utf8')) as string[][];

describe('resuming a CSV whose columns differ from this run', () => {
  it('the JSONL input gained a row with "tools": says the file lacks the tool_calls column this run needs, changes nothing', async () => {
    const input = path.join(ctx.dir, 'j1.jsonl');
    const out = path.join(ctx.dir, 'j1.csv');
    fs.writeFileSync(input, line({ id: 'a', prompt: 'plain a' }) + line({ id: 'b', prompt: 'plain b' }));
    const base = [input, '--base-url', ctx.server.url, '--no-cache', '-o', out];
    expect((await runCli(base)).code).toBe(0);
    const before = fs.readFileSync(out, 'utf8');
    fs.appendFileSync(input, line({ id: 'c', prompt: 'tool c', tools: TOOLS }));
    const sent = ctx.server.requests.length;
    const r = await runInWorker([...base, '--resume']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/j1\.csv has no tool_calls column, and this run needs one: a row of the input sets "tools"/);
    expect(r.stderr).toMatch(/write to a new output file instead .* or to JSONL/);
    expect(r.stderr).not.toMatch(/does not start with the llm-batch CSV header/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.readFileSync(out, 'utf8')).toBe(before);
    expect(ctx.server.requests.length).toBe(sent);
  });

  it('a file with a tool_calls column the run no longer needs is continued in its own layout (--force-resume)', async () => {
    const input = path.join(ctx.dir, 't.jsonl');
    const out = path.join(ctx.dir, 't.csv');
    fs.writeFileSync(input, line({ id: 't', prompt: 'tool t', tools: TOOLS }));
    const base = [input, '--base-url', ctx.server.url, '--no-cache', '-o', out];
    expect((await runCli(base)).code).toBe(0);
    // The tools row replaced by plain rows: a changed input, hence --force-resume.
    fs.writeFileSync(input, line({ id: 'p', prompt: 'plain p' }));
    const r = await runCli([...base, '--resume', '--force-resume']);
    expect(r.code, r.stderr).toBe(0);
    const rows = table(out);
    expect(rows[0]!.at(-1)).toBe('tool_calls');
    expect(
      rows
        .slice(1)
        .map((row) => row[0])
        .sort(),
    ).toEqual(['p', 't']);
    expect(rows.every((row) => row.length === rows[0]!.length)).toBe(true);
    expect(JSON.parse(rows.find((row) => row[0] === 't')!.at(-1)!)).toHaveLength(1);
  });

  it('--keep-fields all after the CSV input gained a column: names both sets of kept columns', async () => {
    const input = path.join(ctx.dir, 'k.csv');
    const out = path.join(ctx.dir, 'k.out.csv');
    fs.writeFileSync(input, 'id,prompt,topic\n1,hi,x\n');
    const base = [input, '--keep-fields', 'all', '--base-url', ctx.server.url, '--no-cache', '-o', out];
    expect((await runCli(base)).code).toBe(0);
    fs.writeFileSync(input, 'id,prompt,topic,lang\n1,hi,x,en\n2,yo,y,fr\n');
    const r = await runCli([...base, '--resume', '--force-resume']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /k\.out\.csv carries other input fields than this run: its kept-field columns are \(.*topic\), this run's --keep-fields gives \(.*topic,lang\)/,
    );
    expect(r.stderr).not.toMatch(/does not start with the llm-batch CSV header/);
  });
});

/** `file` with every '\n' made '\r\n', as `unix2dos` (or Excel saving it again) leaves it. */
const saveWithCrlf = (file: string) => fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/\n/g, '\r\n'));

describe('resuming a CSV saved again with CRLF line ends (Excel, unix2dos)', () => {
  it('continues it: the new rows end in CRLF as the old ones do, and the file reads back whole', async () => {
    const input = path.join(ctx.dir, 'crlf.txt');
    const out = path.join(ctx.dir, 'crlf.csv');
    fs.writeFileSync(input, 'one\ntwo\nthree\n');
    const base = [input, '--base-url', ctx.server.url, '--no-cache', '-o', out];
    expect((await runCli([...base, '--limit', '2'])).code).toBe(0);
    saveWithCrlf(out);
    const r = await runCli([...base, '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/1 ok, 0 failed, 2 already done/);
    const text = fs.readFileSync(out, 'utf8');
    expect(text.replace(/\r\n/g, '')).not.toContain('\n');
    const rows = parse(text) as string[][];
    expect(rows.map((row) => row.length)).toEqual(rows.map(() => rows[0]!.length));
    expect(rows.slice(1).map((row) => row[2])).toEqual(['one', 'two', 'three']);
    expect(ctx.server.requests).toHaveLength(3);
  });

  it('a refusal names what differs: the tool_calls column the file lacks, not its kept fields', async () => {
    const input = path.join(ctx.dir, 'crlf.jsonl');
    const out = path.join(ctx.dir, 'crlf-tools.csv');
    fs.writeFileSync(input, line({ id: 'a', prompt: 'plain a' }));
    const base = [input, '--base-url', ctx.server.url, '--no-cache', '-o', out];
    expect((await runCli(base)).code).toBe(0);
    saveWithCrlf(out);
    const before = fs.readFileSync(out, 'utf8');
    fs.appendFileSync(input, line({ id: 'c', prompt: 'tool c', tools: TOOLS }));
    const r = await runInWorker([...base, '--resume']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/crlf-tools\.csv has no tool_calls column, and this run needs one/);
    expect(r.stderr).not.toMatch(/kept-field columns/);
    expect(fs.readFileSync(out, 'utf8')).toBe(before);
  });
});
