/**
 * Issue 11 (a user's first day), data in and out: CSV that round-trips exactly, .json arrays,
 * refused extensions and binaries, stream outputs, and text that is not UTF-8. The built CLI
 * against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { rowsOf, stderrLines, useServers } from '../helpers/mock-server-hooks.js';
import { runCli } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { MAX_LINE_CHARS } from '../../src/input/read-lines.js';

const { dir, fresh, writeFile } = useServers('llm-batch-data-formats-');

describe('CSV output keeps data exact (item 2)', () => {
  const answers = ['-1', '+1 555 0100', '- Paris', '=1+1', '@home'];

  it('by default every cell reads back exactly as answered, in any CSV reader', async () => {
    const { run } = await fresh({ reply: (p) => p.replace(/^q /, '') });
    const input = writeFile('exact.txt', answers.map((a) => `q ${a}`).join('\n') + '\n');
    const out = path.join(dir, 'exact.csv');
    const r = await run([input, '-o', out, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const records = parse(fs.readFileSync(out), { columns: true }) as Array<Record<string, string>>;
    expect(records.map((rec) => rec['response']).sort()).toEqual([...answers].sort());
  });

  it('--csv-escape-formulas protects spreadsheets (numbers stay numbers) and --resume reads it back exactly', async () => {
    const { run, server } = await fresh({ reply: (p) => p.replace(/^q /, '') });
    const input = writeFile('escaped.txt', answers.map((a) => `q ${a}`).join('\n') + '\n');
    const out = path.join(dir, 'escaped.csv');
    const r = await run([input, '-o', out, '-q', '--csv-escape-formulas']);
    expect(r.code, r.stderr).toBe(0);
    const records = parse(fs.readFileSync(out), { columns: true }) as Array<Record<string, string>>;
    expect(records.map((rec) => rec['response']).sort()).toEqual(['-1', "'+1 555 0100", "'- Paris", "'=1+1", "'@home"].sort());
    // Appended prompts: the resume must see the old rows as done (ids unescaped), and keep the layout.
    fs.appendFileSync(input, 'q =2\n');
    server.reset();
    const again = await run([input, '-o', out, '-q', '--csv-escape-formulas', '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt)).toEqual(['q =2']);
    // Without the flag the same file would be read differently: refused, saying to resume with it (not --force-resume).
    const mixed = await runInWorker([input, '-o', out, '-q', '--resume', '--base-url', server.url]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(
      /escaped\.csv was written with --csv-escape-formulas, and a resume \(--force-resume too\) cannot change that: .*; resume with it\n$/,
    );
    // Forced, the old rows would read back otherwise and their prompts go out again: still refused.
    const forced = await runInWorker([input, '-o', out, '-q', '--resume', '--force-resume', '--base-url', server.url]);
    expect(forced.code).toBe(2);
    expect(forced.stderr).toBe(mixed.stderr);
    expect(server.requests.map((q) => q.prompt)).toEqual(['q =2']);
  });

  it('--csv-escape-formulas refuses a header cell that would start a formula (a kept column, a schema property): exit 2, nothing written', async () => {
    const { run, server } = await fresh();
    const input = writeFile('formula-header.csv', 'id,prompt,"=HYPERLINK(""http://x"";""y"")"\nr1,hello,=1+1\n');
    const out = path.join(dir, 'formula-header.csv.out.csv');
    const kept = await run([input, '--keep-fields', 'all', '-o', out, '--csv-escape-formulas']);
    expect(kept.code).toBe(2);
    expect(stderrLines(kept)).toEqual([
      `llm-batch: --csv-escape-formulas: the output's header would start a formula, "=HYPERLINK(\\"http://x\\";\\"y\\")" (a column of ${input}): cells are escaped, but not header cells, which name the columns a resume reads; rename the column, or name the fields to keep (--keep-fields a,b)`,
    ]);
    const schema = JSON.stringify({ type: 'object', properties: { '=1+2': { type: 'string' } }, required: ['=1+2'], additionalProperties: false });
    // Its dry run says so alike.
    const dry = await run([input, '--keep-fields', 'all', '-o', out, '--csv-escape-formulas', '--dry-run']);
    expect({ code: dry.code, stderr: dry.stderr }).toEqual({ code: 2, stderr: kept.stderr });
    const property = await run([input, '--json-schema', schema, '-o', out, '--csv-escape-formulas']);
    expect(property.code).toBe(2);
    expect(property.stderr).toContain(`the output's header would start a formula, "=1+2" (a property of the schema)`);
    expect(fs.existsSync(out)).toBe(false);
    expect(server.requests).toHaveLength(0);
    // A resume of a file that has such a header already (written before the check): it goes on, escaping its cells.
    const older = path.join(dir, 'formula-header-older.csv');
    expect((await run([input, '--keep-fields', 'all', '-o', older, '-q'])).code).toBe(0);
    const meta = JSON.parse(fs.readFileSync(`${older}.meta.json`, 'utf8'));
    fs.writeFileSync(`${older}.meta.json`, JSON.stringify({ ...meta, csvEscapeFormulas: true }));
    fs.appendFileSync(input, 'r2,=2+2,x\n');
    const resumed = await run([input, '--keep-fields', 'all', '-o', older, '-q', '--resume', '--csv-escape-formulas']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(fs.readFileSync(older, 'utf8')).toMatch(/\nr2,[^\n]*'=2\+2/);
    // A header cut short is written again by the resume: refused as a new one.
    const torn = path.join(dir, 'formula-header-torn.csv');
    fs.writeFileSync(torn, 'id,li');
    const tornResume = await run([input, '--keep-fields', 'all', '-o', torn, '-q', '--resume', '--csv-escape-formulas']);
    expect(tornResume.code).toBe(2);
    expect(tornResume.stderr).toContain("the output's header would start a formula");
    expect(fs.readFileSync(torn, 'utf8')).toBe('id,li');
    // Without the flag, or to JSONL (no header), the same runs go on.
    expect((await run([input, '--keep-fields', 'all', '-o', out, '-q'])).code).toBe(0);
    expect((await run([input, '--keep-fields', 'all', '-o', path.join(dir, 'formula-header.jsonl'), '-q', '--csv-escape-formulas'])).code).toBe(0);
  });

  it("--compact's CSV copy of an escaped CSV carries its record: copied again to JSONL, the answers are as answered", async () => {
    const { run } = await fresh({ reply: (p) => p.replace(/^q /, '') });
    const input = writeFile('copied.txt', answers.map((a) => `q ${a}`).join('\n') + '\n');
    const out = path.join(dir, 'copied.csv');
    expect((await run([input, '-o', out, '-q', '--csv-escape-formulas'])).code).toBe(0);
    const copy = path.join(dir, 'copied-again.csv');
    const jsonl = path.join(dir, 'copied-again.jsonl');
    expect((await runCli(['--compact', out, '-o', copy, '-q'])).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(`${copy}.meta.json`, 'utf8'))).toMatchObject({ csvEscapeFormulas: true, outputFormat: 'csv' });
    expect((await runInWorker(['--compact', copy, '-o', jsonl, '-q'])).code).toBe(0);
    const rows = fs
      .readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((row) => row.response).sort()).toEqual([...answers].sort());
  });
});

describe('--csv-escape-formulas without a CSV output', () => {
  it('says in one line that it escapes nothing, and the run writes its JSONL as answered', async () => {
    const { run } = await fresh({ reply: () => '=1+1' });
    const input = writeFile('formula.txt', 'q\n');
    const out = path.join(dir, 'formula.jsonl');
    const r = await run([input, '-o', out, '--csv-escape-formulas']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('llm-batch: --csv-escape-formulas escapes the cells of a CSV output; this run writes JSONL, cells as answered\n');
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).response).toBe('=1+1');
    // Not with -q, nor where it escapes, nor to a CSV on stdout.
    const quiet = await run([input, '-o', path.join(dir, 'formula-q.jsonl'), '-q', '--csv-escape-formulas']);
    const csv = await run([input, '-o', path.join(dir, 'formula.csv'), '--csv-escape-formulas']);
    const piped = await run([input, '-f', 'csv', '--csv-escape-formulas']);
    for (const other of [quiet, csv, piped]) {
      expect(other.code, other.stderr).toBe(0);
      expect(other.stderr).not.toContain('--csv-escape-formulas');
    }
    expect(piped.stdout).toContain("'=1+1");
  });

  it('a JSONL output resumes with or without it, and a CSV merged from that JSONL holds the cells as answered', async () => {
    const { run, server } = await fresh({ reply: () => '=1+1' });
    const input = writeFile('formula-resume.txt', 'q\n');
    const plain = path.join(dir, 'formula-plain.jsonl');
    const flagged = path.join(dir, 'formula-flagged.jsonl');
    expect((await run([input, '-o', plain, '-q'])).code).toBe(0);
    expect((await run([input, '-o', flagged, '-q', '--csv-escape-formulas'])).code).toBe(0);
    fs.appendFileSync(input, 'r\n');
    server.reset();
    for (const [out, flags] of [
      [plain, ['--csv-escape-formulas']],
      [flagged, []],
    ] as const) {
      const resumed = await run([input, '-o', out, '-q', '--resume', ...flags]);
      expect(resumed.code, resumed.stderr).toBe(0);
    }
    expect(server.requests.map((q) => q.prompt)).toEqual(['r', 'r']);
    const merged = path.join(dir, 'formula-merged.csv');
    const m = await runCli(['merge', flagged, '-o', merged, '-q']);
    expect(m.code, m.stderr).toBe(0);
    const records = parse(fs.readFileSync(merged), { columns: true }) as Array<Record<string, string>>;
    expect(records.map((rec) => rec['response'])).toEqual(['=1+1', '=1+1']);
  });
});

describe('input formats by extension (item 4)', () => {
  it('a .json array of strings and objects is read as records, not as lines', async () => {
    const { run, server } = await fresh();
    const input = writeFile('arr.json', JSON.stringify(['first prompt', { id: 'b', prompt: 'second prompt' }, 'third\nprompt'], null, 2));
    const r = await run([input, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt).sort()).toEqual(['first prompt', 'second prompt', 'third\nprompt']);
    expect(rowsOf(r).find((row) => row.id === 'b')?.response).toBe('ECHO second prompt');
  });

  it('a file without an extension is sniffed like stdin: JSONL when its first line is an object', async () => {
    const { run, server } = await fresh();
    const input = writeFile('no-extension', '{"id":"n1","prompt":"from a file without an extension"}\n');
    const r = await run([input, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt)).toEqual(['from a file without an extension']);
    expect(rowsOf(r)[0]!.id).toBe('n1');
  });

  it('a .json file that is not an array is refused with exit 2 and nothing sent', async () => {
    const { run, server } = await fresh();
    const input = writeFile('obj.json', '{"prompt": "hi"}\n');
    const r = await run([input]);
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/obj\.json: a \.json input must be an array .*\.jsonl/)]);
    expect(server.requests).toHaveLength(0);
  });

  // As a JSONL's or a CSV's: the fixed command then runs without --resume or --overwrite.
  it.each([
    ['no prompt field', 'fields.json', '[{"text":"a"},{"text":"b"}]', /fields\.json:1: element 1: none of the 2 rows has a "prompt" .* --prompt-field text/],
    ['not JSON', 'broken.json', '[1,\n{', /broken\.json:2: not valid JSON at column 2/],
    ['not an array', 'object.json', '{"prompt": "hi"}', /object\.json: a \.json input must be an array/],
  ])('a .json input with %s is refused before the output or its metadata exists', async (_what, name, text, message) => {
    const { server } = await fresh();
    const input = writeFile(name, text);
    const out = path.join(dir, `${name}.out.csv`);
    const r = await runInWorker([input, '-o', out, '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([expect.stringMatching(message)]);
    expect(r.stderr).not.toContain('--resume');
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.existsSync(`${out}.meta.json`)).toBe(false);
    expect(server.requests).toHaveLength(0);
  });

  it('--keep-fields keeps a .json string element as a text line: its prompt', async () => {
    const { run } = await fresh();
    const input = writeFile('kept.json', JSON.stringify(['alpha', { prompt: 'beta', title: 'T' }]));
    const r = await run([input, '--keep-fields', 'prompt,title', '--order', 'input', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(rowsOf(r).map((row) => row.input)).toEqual([{ prompt: 'alpha' }, { prompt: 'beta', title: 'T' }]);
    const all = await run([input, '--keep-fields', 'all', '-t', 'Q: {{prompt}}', '--order', 'input', '-q']);
    expect(all.code, all.stderr).toBe(0);
    expect(rowsOf(all).map((row) => row.input)).toEqual([{ prompt: 'alpha' }, { prompt: 'beta', title: 'T' }]);
  });

  it.each([
    ['sheet.xlsx', Buffer.from('PK\u0003\u0004\u0014\u0000\u0006\u0000binary-xlsx-content\u0000\u0000', 'latin1')],
    ['notes.md', Buffer.from('# title\n- item\n')],
  ])('an unknown extension (%s) is refused with a message naming --input-format', async (name, bytes) => {
    const { server } = await fresh();
    const input = path.join(dir, name);
    fs.writeFileSync(input, bytes);
    const r = await runInWorker([input, '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot tell the format of .* pass --input-format/);
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    [
      'q.jsonl.gz',
      /^llm-batch: \S*q\.jsonl\.gz: a gzip file \(by its name\), not prompts: decompress it first \(e\.g\. zcat \S*q\.jsonl\.gz \| llm-batch --input-format jsonl\)\n$/,
    ],
    ['rows.xz', /^llm-batch: \S*rows\.xz: an xz file \(by its name\), not prompts: decompress it first \(e\.g\. xzcat \S*rows\.xz \| llm-batch\)\n$/],
    ['sheet.tsv.gz', /: decompress it first \(e\.g\. zcat \S*sheet\.tsv\.gz \| llm-batch --input-format csv --csv-delimiter tab\)\n$/],
  ])('a compressed input (%s) is refused in one line that says how to decompress it, in the format its name gives', async (name, message) => {
    const { server } = await fresh();
    const input = path.join(dir, name);
    fs.writeFileSync(input, zlib.gzipSync('{"prompt":"hi"}\n'));
    const r = await runInWorker([input, '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(server.requests).toHaveLength(0);
  });

  it('a binary file refuses to be text even with --input-format txt', async () => {
    const { server } = await fresh();
    const input = path.join(dir, 'renamed.bin');
    fs.writeFileSync(input, Buffer.from('PK\u0003\u0004\u0014\u0000\u0006\u0000\u0000\u0000\u0000\u0000more binary\n', 'latin1'));
    const r = await runInWorker([input, '--input-format', 'txt', '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ZIP archive \(\.xlsx, \.docx, \.zip\), not prompts: export it as \.csv, \.jsonl or \.txt$/m);
    expect(r.stderr).not.toMatch(/--input-format/); // it was just passed, to no avail
    // A refusal, one line: no "stopped (error): 0 ok, 0 failed …" summary of a run that never began.
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(server.requests).toHaveLength(0);
  });

  // A signature of printable ASCII is a first word a prompt may have; without a NUL it is text.
  it.each([
    ['par.txt', 'PAR1 of the contract: summarise\nother\n', []],
    ['par.txt', 'PAR1 of the contract: summarise\nother\n', ['--input-format', 'txt']],
    ['pdf.txt', '%PDF-1.7 is a version; explain\nother\n', []],
    ['sq.txt', 'SQLite format 3 vs 2?\nother\n', []],
    ['-', 'PAR1 of the contract: summarise\nother\n', []],
  ])('a text %s starting like a binary signature is read as text (%j, flags %j)', async (name, text, flags) => {
    const { run, server } = await fresh();
    const args = name === '-' ? ['-', ...flags, '-q'] : [writeFile(name, text), ...flags, '-q'];
    const r = await run(args, name === '-' ? { stdin: text } : {});
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt).sort()).toEqual(text.trimEnd().split('\n').sort());
  });

  it('a real Parquet file is still refused by its signature, even with --input-format txt', async () => {
    const { server } = await fresh();
    const input = path.join(dir, 'data.txt');
    fs.writeFileSync(input, Buffer.from('PAR1\u0015\u0004\u0015\u0010\u0000\u0000\u0000rows\nPAR1', 'latin1'));
    const r = await runInWorker([input, '--input-format', 'txt', '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/data\.txt: this is a Parquet file, not prompts: export it as \.csv, \.jsonl or \.txt$/m);
    expect(server.requests).toHaveLength(0);
  });

  it('--keep-fields naming a column the CSV header lacks: one line naming it and the columns, exit 2, nothing sent', async () => {
    const { server } = await fresh();
    const input = path.join(dir, 'tickets.csv');
    fs.writeFileSync(input, 'title,body\nHello,World\n');
    const r = await runInWorker([input, '-t', '{{title}}', '--keep-fields', 'titel,body', '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tickets\.csv:1: --keep-fields names "titel" but the CSV header has no such column \(found: "title", "body"\)$/m);
    expect(r.stdout).toBe('');
    expect(server.requests).toHaveLength(0);
  });

  it('a gzip file: decompress it first', async () => {
    const { server } = await fresh();
    const input = path.join(dir, 'prompts.txt.gz');
    fs.writeFileSync(input, zlib.gzipSync('one\ntwo\n'));
    const r = await runInWorker([input, '--input-format', 'txt', '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/prompts\.txt\.gz: this is a gzip file, not prompts: decompress it first \(e\.g\. zcat FILE \| llm-batch\)$/m);
    expect(server.requests).toHaveLength(0);
  });

  it.each(['out.json', 'out.tsv'])('-o %s is refused instead of quietly writing JSONL', async (name) => {
    const { server } = await fresh();
    const input = writeFile(`for-${name}.txt`, 'a\n');
    const out = path.join(dir, name);
    const r = await runInWorker([input, '-o', out, '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/writes \.jsonl, \.csv or \.txt/);
    expect(fs.existsSync(out)).toBe(false);
    expect(server.requests).toHaveLength(0);
  });
});

describe('an output that is not a regular file is a stream (item 5)', () => {
  it('-o /dev/null: runs, no lock or metadata attempted, exit 0', async () => {
    const { run, server } = await fresh();
    const input = writeFile('devnull.txt', 'a\nb\n');
    // As root the old code littered /dev with these; as a user it failed (exit 2). Neither may happen.
    const stray = () => ['/dev/null.lock', '/dev/null.meta.json'].map((f) => fs.statSync(f, { throwIfNoEntry: false })?.mtimeMs);
    const before = stray();
    const r = await run([input, '-o', '/dev/null', '-q']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(2);
    expect(stray()).toEqual(before);
  });

  it('-o /dev/stdout: rows reach stdout', async () => {
    const { run } = await fresh();
    const input = writeFile('devstdout.txt', 'a\nb\n');
    const r = await run([input, '-o', '/dev/stdout', '-q']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(
      rowsOf(r)
        .map((row) => row.response)
        .sort(),
    ).toEqual(['ECHO a', 'ECHO b']);
  });

  it('--resume with a stream output is a usage error', async () => {
    const { server } = await fresh();
    const input = writeFile('devnull-resume.txt', 'a\n');
    const r = await runInWorker([input, '-o', '/dev/null', '--resume', '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--resume needs a regular output file; \/dev\/null is a stream/);
  });
});

describe('text that is not UTF-8 (item 7)', () => {
  it('UTF-16 LE with a BOM (Notepad, PowerShell >) is decoded: clean prompts', async () => {
    const { run, server } = await fresh();
    const input = path.join(dir, 'utf16.txt');
    fs.writeFileSync(input, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('café au lait\r\nnaïve question\r\n', 'utf16le')]));
    const r = await run([input, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt).sort()).toEqual(['café au lait', 'naïve question']);
  });

  it('UTF-16 BE with a BOM, piped on stdin, is decoded too', async () => {
    const { server } = await fresh();
    const bytes = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('hello there\n', 'utf16le').swap16()]);
    const { spawnCli, waitForExit } = await import('../helpers/run-cli.js');
    const child = spawnCli(['-q', '--base-url', server.url], { openStdin: '' });
    child.stdin!.end(bytes);
    const r = await waitForExit(child);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt)).toEqual(['hello there']);
  });

  // They went out as "\uFFFD" and "\uFFFDx", exit 0: a prompt the user never wrote, billed.
  it.each([
    [
      'cut at an odd byte',
      Buffer.concat([Buffer.from('\uFEFFhi\nthere\n', 'utf16le'), Buffer.from('x')]),
      /odd16\.txt:3: not valid UTF-16 \(a last byte 0x78 without its pair: the file is cut short\)$/,
    ],
    ['with an unpaired surrogate', Buffer.from('\uFEFFhi\nthere\n\uD800x\n', 'utf16le'), /odd16\.txt:3: not valid UTF-16 \(an unpaired surrogate 0xD800\)$/],
  ])('damaged UTF-16 (%s) is refused naming its line; with -o nothing is sent', async (_, bytes, message) => {
    const { run, server } = await fresh();
    const input = path.join(dir, 'odd16.txt');
    fs.writeFileSync(input, bytes);
    const out = path.join(dir, 'odd16.jsonl');
    const refused = await runInWorker([input, '-o', out, '--overwrite', '--base-url', server.url]);
    expect(refused.code).toBe(2);
    expect(stderrLines(refused)).toEqual([expect.stringMatching(message)]);
    expect(server.requests).toHaveLength(0);
    // Without -o the lines before it are answered as they are read; the bad line never goes out.
    const live = await run([input, '-c', '1']);
    expect(live.code).toBe(2);
    expect(server.requests.map((q) => q.prompt)).not.toContainEqual(expect.stringContaining('\uFFFD'));
  });

  it('Latin-1 bytes are refused naming the line and --encoding; with --encoding latin1 they are decoded', async () => {
    const { run, server } = await fresh();
    const input = path.join(dir, 'latin1.txt');
    fs.writeFileSync(input, Buffer.from('plain line\ncafé\n', 'latin1'));
    const r = await run([input]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/latin1\.txt:2: not valid UTF-8 \(byte 0xE9\).*--encoding latin1/);
    expect(server.requests.map((q) => q.prompt)).not.toContain('caf\uFFFD');
    // With -o, the file is checked whole before the first request: nothing is paid for.
    server.reset();
    const out = path.join(dir, 'latin1.jsonl');
    const refused = await runInWorker([input, '-o', out, '--base-url', server.url]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/latin1\.txt:2: not valid UTF-8/);
    expect(server.requests).toHaveLength(0);
    server.reset();
    const ok = await run([input, '-q', '--encoding', 'latin1']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt).sort()).toEqual(['café', 'plain line']);
  });

  it('a line over the cap deep in a file, with -o: refused before the first request, and --overwrite keeps the old rows', async () => {
    const { run, server } = await fresh();
    const long = Buffer.alloc(MAX_LINE_CHARS + 1, 'a');
    const out = path.join(dir, 'long.jsonl');
    expect((await run([writeFile('old.txt', 'old one\nold two\n'), '-o', out, '-q'])).code).toBe(0);
    const before = fs.readFileSync(out);
    // `long`: no extension, so the format is told by the text (a line of it, not a JSON array).
    for (const name of ['long.txt', 'long.csv', 'long']) {
      const input = path.join(dir, name);
      const header = name.endsWith('.csv') ? 'prompt\n' : '';
      fs.writeFileSync(input, Buffer.concat([Buffer.from(`${header}short one\nshort two\n`), long, Buffer.from('\nafter\n')]));
      server.reset();
      const line = header ? 4 : 3;
      const refused = await runInWorker([input, '-o', out, '--overwrite', '--base-url', server.url]);
      expect({ code: refused.code, stderr: refused.stderr }).toEqual({
        code: 2,
        stderr: `llm-batch: ${input}:${line}: line is longer than ${MAX_LINE_CHARS} characters; is this the right file and format?\n`,
      });
      expect(server.requests).toHaveLength(0);
      expect(fs.readFileSync(out).equals(before)).toBe(true);
    }
  });

  it('a JSON array whose one line is over the line cap, in a file the text tells the format of: read as JSON, not refused', async () => {
    const { run, server } = await fresh();
    const input = path.join(dir, 'array');
    fs.writeFileSync(input, Buffer.concat([Buffer.from('["'), Buffer.alloc(MAX_LINE_CHARS + 1, 'a'), Buffer.from('", "short"]\n')]));
    const r = await run([input, '-o', path.join(dir, 'array.jsonl'), '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt.length).sort((a, b) => a - b)).toEqual([5, MAX_LINE_CHARS + 1]);
  });

  it('a resume under another --encoding is refused: every line that is not ASCII would be another prompt', async () => {
    const { run, server } = await fresh();
    const input = writeFile('utf8.txt', 'café one\nnaïve two\nplain three\n');
    const out = path.join(dir, 'enc.jsonl');
    expect((await run([input, '-o', out, '-q', '--limit', '2'])).code).toBe(0);
    server.reset();
    const refused = await runInWorker([input, '-o', out, '-q', '--resume', '--encoding', 'latin1', '--base-url', server.url]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/enc\.jsonl was written by a different run \(encoding: was \(not set\), now "latin1"\)/);
    expect(server.requests).toHaveLength(0);
    const resumed = await run([input, '-o', out, '-q', '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt)).toEqual(['plain three']);
  });
});
