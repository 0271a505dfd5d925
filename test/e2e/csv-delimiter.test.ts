/**
 * CSV input separated by something other than a comma: `;` (as a spreadsheet set to a language whose
 * decimal mark is the comma exports it), `|`, a tab (`.tsv`). --csv-delimiter reads it; a `.tsv` file
 * is read with tabs; a header that another separator would split says which flag reads it; the flag
 * with an input that is no CSV, or a value that is no one character, is refused.
 * The BUILT CLI against the mock server (refusals, which send nothing, in the worker).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stderrLines, useServers } from '../helpers/mock-server-hooks.js';
import { parseJsonl } from '../helpers/run-cli.js';
import { parse } from 'csv-parse/sync';
import { runInWorker } from '../helpers/run-in-worker.js';

const { dir, fresh, writeFile } = useServers('llm-batch-csv-delimiter-');

type Row = { id: string; line: number; prompt: string; response: string | null };
const rowsOf = (file: string) => parseJsonl<Row>(fs.readFileSync(file, 'utf8')).sort((a, b) => a.line - b.line);

describe('CSV input with another separator', () => {
  it("--csv-delimiter ';': a template fills from its columns; a quoted cell keeps its ';'; the run's settings record it", async () => {
    const { server, run } = await fresh();
    const input = writeFile('semi.csv', 'id;title;note\n1;Hello;a\n2;"Wide; world";b\n');
    const out = path.join(dir, 'semi.jsonl');
    const r = await run([input, '--csv-delimiter', ';', '-t', 'Say {{title}} ({{note}})', '-o', out, '-q']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(rowsOf(out).map((row) => [row.id, row.line, row.prompt])).toEqual([
      ['1', 2, 'Say Hello (a)'],
      ['2', 3, 'Say Wide; world (b)'],
    ]);
    expect(server.requests.map((q) => q.prompt).sort()).toEqual(['Say Hello (a)', 'Say Wide; world (b)']);
    expect(JSON.parse(fs.readFileSync(`${out}.meta.json`, 'utf8'))).toMatchObject({ csvDelimiter: ';' });
  });

  it("--keep-fields all into a CSV output from a ';' file without an extension: the input's columns, filled", async () => {
    const { run } = await fresh();
    const input = writeFile('export', 'id;prompt;topic\n1;hello;a\n2;"x; y";b\n');
    const out = path.join(dir, 'kept.csv');
    const r = await run([input, '--csv-delimiter', ';', '--keep-fields', 'all', '-o', out, '-q']);
    expect(r.stderr).toBe('');
    const [header, ...lines] = parse(fs.readFileSync(out, 'utf8')) as string[][];
    expect(header!.slice(-3)).toEqual(['input_id', 'input_prompt', 'topic']);
    expect(lines.map((cells) => cells.slice(-3)).sort()).toEqual([
      ['1', 'hello', 'a'],
      ['2', 'x; y', 'b'],
    ]);
  });

  it('a .tsv file is read with tabs, its only column the prompt; "|" from stdin with the flag', async () => {
    const { run } = await fresh();
    const tsv = writeFile('rows.tsv', 'id\tprompt\nt1\tfirst\nt2\tsecond, with a comma\nt3\tthird\tone cell too many\n');
    const out = path.join(dir, 'tsv.jsonl');
    const r = await run([tsv, '-o', out, '-q']);
    expect(stderrLines(r)[0]).toMatch(/rows\.tsv:4: row has 3 cells but the header has 2 columns \(quote cells that contain tabs\)$/);
    expect(rowsOf(out).map((row) => [row.id, row.prompt, row.response === null])).toEqual([
      ['t1', 'first', false],
      ['t2', 'second, with a comma', false],
      [expect.any(String), 'third', true],
    ]);
    const piped = path.join(dir, 'piped.jsonl');
    const p = await run(['--csv-delimiter', '|', '-o', piped, '-q'], { stdin: 'id|prompt\np1|from a pipe\n' });
    expect(p.stderr).toBe('');
    expect(rowsOf(piped).map((row) => [row.id, row.prompt])).toEqual([['p1', 'from a pipe']]);
  });

  it('a resume with another separator is refused naming the flag; stdin with only a header says so', async () => {
    const { run } = await fresh();
    const input = writeFile('one-column.csv', 'prompt\nfirst\nsecond\n');
    const out = path.join(dir, 'resumed.jsonl');
    expect((await run([input, '--csv-delimiter', ';', '-o', out, '-q'])).code).toBe(0);
    const written = fs.readFileSync(out, 'utf8');
    const r = await run([input, '--resume', '-o', out]);
    expect(stderrLines(r)).toEqual([
      expect.stringContaining('different run (csvDelimiter (--csv-delimiter): was ";", now (not set)); refusing to mix results'),
    ]);
    expect(r.code).toBe(2);
    expect(fs.readFileSync(out, 'utf8')).toBe(written);
    // The request parameters are keyed as the API names them: the flags that set them are named too.
    const params = await run([input, '--csv-delimiter', ';', '--resume', '-o', out, '--top-p', '0.5']);
    expect(stderrLines(params)).toEqual([
      expect.stringContaining(
        'different run (params (--seed, --top-p, --stop, --reasoning-effort or --param): was (not set), now {"top_p":0.5}); refusing to mix results',
      ),
    ]);
    expect(fs.readFileSync(out, 'utf8')).toBe(written);
    const header = await run(['--csv-delimiter', ';', '-o', path.join(dir, 'header-only.jsonl')], { stdin: 'id;prompt\n' });
    expect(stderrLines(header)).toEqual(['llm-batch: no prompts on stdin (it was empty or only blank lines, or a CSV header): nothing was sent']);
    expect(header.code).toBe(5);
  });

  it('without the flag, a header another separator splits says which flag reads it; exit 2, nothing sent', async () => {
    const { server } = await fresh();
    const semi = writeFile('hint.csv', 'id;title\n1;Hello\n');
    const tabs = writeFile('hint-tabs.csv', 'id\ttitle\n1\tHello\n');
    for (const [input, hint] of [
      [semi, `; separated by ";"? pass --csv-delimiter ';')`],
      [tabs, '; separated by tabs? pass --csv-delimiter tab)'],
    ] as const) {
      const r = await runInWorker([input, '-t', 'Say {{title}}', '-o', path.join(dir, 'never.jsonl'), '--base-url', server.url]);
      expect(stderrLines(r)).toEqual([
        expect.stringMatching(/^llm-batch: \S+:1: --template uses \{\{title\}\} but the CSV header has no such column \(found: /),
      ]);
      expect(r.stderr.trimEnd().endsWith(hint)).toBe(true);
      expect(r.code).toBe(2);
    }
    expect(server.requests).toHaveLength(0);
    expect(fs.existsSync(path.join(dir, 'never.jsonl'))).toBe(false);
  });

  it.each([
    [
      'a comma-separated .tsv',
      'comma.tsv',
      'id,prompt\n1,hello\n',
      [],
      /the CSV header "id,prompt" is one column: the file looks separated by ",": pass --csv-delimiter ',' to read it so/,
    ],
    [
      'a tab-separated file read with --csv-delimiter ;',
      'tabs.csv',
      'id\tprompt\n1\thello\n',
      ['--csv-delimiter', ';'],
      /looks separated by tabs: pass --csv-delimiter tab /,
    ],
    [
      "Excel's sep= line",
      'sep.csv',
      'sep=;\nid;prompt\n1;hello\n',
      ['--csv-delimiter', ';'],
      /:1: the first line "sep=;" is a spreadsheet's separator hint, which llm-batch does not read: delete that line and pass --csv-delimiter ';'$/,
    ],
  ])('%s: one line, exit 2, nothing sent (each line would have gone whole)', async (_what, name, text, flags, said) => {
    const { server } = await fresh();
    const r = await runInWorker([writeFile(name, text), ...flags, '-o', '-', '--base-url', server.url]);
    expect(stderrLines(r)).toEqual([expect.stringMatching(said)]);
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    ['a text input', ['p.txt', '--csv-delimiter', ';'], /^llm-batch: --csv-delimiter goes with a CSV input, not txt$/],
    [
      'two characters',
      ['p.csv', '--csv-delimiter', ';;'],
      /^llm-batch: --csv-delimiter must be one character other than a quote or a line break, or "tab", got ";;"$/,
    ],
    ['a quote', ['p.csv', '--csv-delimiter', '"'], /^llm-batch: --csv-delimiter must be one character/],
  ])('--csv-delimiter with %s: one line, exit 2, nothing sent', async (_what, [name, ...flags], said) => {
    const { server } = await fresh();
    const input = writeFile(name!, name!.endsWith('.csv') ? 'prompt\nhi\n' : 'hi\n');
    const r = await runInWorker([input, ...flags, '-o', '-', '--base-url', server.url]);
    expect(stderrLines(r)).toEqual([expect.stringMatching(said)]);
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(0);
  });
});
