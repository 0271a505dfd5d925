/**
 * A CSV input whose header does not fit the flags (--keep-fields, --prompt-field, --id-field,
 * --template naming a column it lacks) is refused before the output or its metadata is created,
 * and an existing output is left exactly as it was. The built CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const { dir, fresh, writeFile } = useServers('llm-batch-csv-header-refusals-');

const siblings = (out: string) =>
  fs
    .readdirSync(dir)
    .filter((name) => name.startsWith(path.basename(out)))
    .sort();

describe('a CSV header that does not fit the flags is refused before any output exists', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['--keep-fields', ['--keep-fields', 'title,nope'], /--keep-fields names "nope" but the CSV header has no such column \(found: "id", "title"\)$/],
    ['--prompt-field', ['--prompt-field', 'nope'], /no "nope" column in the CSV header \(found: "id", "title"\)/],
    ['--id-field', ['--prompt-field', 'title', '--id-field', 'nope'], /no "nope" column in the CSV header for --id-field/],
    ['--template', ['-t', '{{nope}}'], /--template uses \{\{nope\}\} but the CSV header has no such column/],
  ];

  it.each(cases)('%s: one line naming file:line and the field, exit 2, no output, no metadata', async (_flag, flags, message) => {
    const { server } = await fresh();
    const input = writeFile('in.csv', 'id,title\n1,Paris\n');
    for (const ext of ['csv', 'jsonl']) {
      const out = path.join(dir, `new-${_flag.slice(2)}.${ext}`);
      // --prompt-field does not go with --template (refused on its own).
      const prompt = flags.includes('-t') ? [] : ['--prompt-field', 'title'];
      const r = await runInWorker([input, ...prompt, ...flags, '-o', out, '-q', '--base-url', server.url]);
      expect(r.code).toBe(2);
      expect(siblings(out)).toEqual([]);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^llm-batch: .*in\.csv:1: /);
      expect(lines[0]).toMatch(message);
    }
    expect(server.requests).toHaveLength(0);
  });

  it('from stdin too, the header read without losing the rows a later run would need', async () => {
    const { run, server } = await fresh();
    const out = path.join(dir, 'stdin-new.jsonl');
    const r = await runInWorker(['-', '--input-format', 'csv', '--prompt-field', 'title', '--keep-fields', 'nope', '-o', out, '-q', '--base-url', server.url], {
      stdin: 'id,title\n1,Paris\n',
    });
    expect(r.code).toBe(2);
    expect(siblings(out)).toEqual([]);
    expect(r.stderr.trim()).toMatch(/^llm-batch: <stdin>:1: --keep-fields names "nope"/);
    expect(server.requests).toHaveLength(0);
    // The peeked header is replayed: a good run from stdin still reads every row.
    const ok = await run(['-', '--input-format', 'csv', '--prompt-field', 'title', '--keep-fields', 'id', '-o', out, '-q'], {
      stdin: 'id,title\n1,Paris\n2,Rome\n',
    });
    expect(ok.code, ok.stderr).toBe(0);
    expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('header on a later line after blank lines: that line is named', async () => {
    const { server } = await fresh();
    const input = writeFile('blank-first.csv', '\n\nid,title\n1,Paris\n');
    const r = await runInWorker([
      input,
      '--prompt-field',
      'title',
      '--keep-fields',
      'nope',
      '-o',
      path.join(dir, 'blank-first.csv.out.csv'),
      '-q',
      '--base-url',
      server.url,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/blank-first\.csv:3: --keep-fields names "nope"/);
  });

  it('a header that does not parse: its line named, nothing created', async () => {
    const { run } = await fresh();
    const input = writeFile('broken-header.csv', '\nid,"prompt\n1,a\n');
    const out = path.join(dir, 'broken-header.out.jsonl');
    const r = await run([input, '-o', out, '-q']);
    expect(r.code).toBe(2);
    expect(siblings(out)).toEqual([]);
    expect(r.stderr.trim()).toMatch(/^llm-batch: \S*broken-header\.csv:2: cannot parse the CSV header \(Quote Not Closed/);
  });

  it('--overwrite and --resume of an existing output: file and metadata are left byte for byte', async () => {
    const { run, server } = await fresh();
    const input = writeFile('keep.csv', 'id,title\n1,Paris\n');
    const out = path.join(dir, 'kept.csv');
    const first = await run([input, '--prompt-field', 'title', '--keep-fields', 'title', '-o', out, '-q']);
    expect(first.code, first.stderr).toBe(0);
    const before = fs.readFileSync(out);
    const metaBefore = fs.readFileSync(`${out}.meta.json`);
    for (const mode of [['--overwrite'], ['--resume', '--force-resume']]) {
      const r = await runInWorker([input, '--prompt-field', 'title', '--keep-fields', 'nope', '-o', out, '-q', ...mode, '--base-url', server.url]);
      expect(r.code, mode[0]).toBe(2);
      expect(fs.readFileSync(out).equals(before), mode[0]).toBe(true);
      expect(fs.readFileSync(`${out}.meta.json`).equals(metaBefore), mode[0]).toBe(true);
      expect(r.stderr).toMatch(/keep\.csv:1: --keep-fields names "nope"/);
    }
  });
});
