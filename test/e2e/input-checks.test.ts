/**
 * Input that would fail every row, or send nothing at all, caught by the built CLI before a request
 * is paid for: one line naming the file, and a documented exit code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, runShell } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { useServer } from '../helpers/mock-server-hooks.js';

const ctx = useServer('llm-batch-input-checks-');

describe('a JSONL prompt field under another name', () => {
  it('is refused up front with the fields seen and --prompt-field suggested, not one line per row', async () => {
    ctx.server.reset();
    const file = path.join(ctx.dir, 'questions.jsonl');
    fs.writeFileSync(file, Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: i, question: `q${i}` })).join('\n') + '\n');
    const out = path.join(ctx.dir, 'questions-out.jsonl');
    const r = await runCli([file, '--base-url', ctx.server.url, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^llm-batch: .*questions\.jsonl:1: none of the 50 rows has a "prompt" or "messages" field \(fields: "id", "question"\); pass --prompt-field question /,
      ),
    ]);
    expect(ctx.server.requests).toHaveLength(0);
    // Refused before the output or its metadata is created: nothing for a corrected run to trip on.
    expect(fs.readdirSync(ctx.dir).filter((name) => name.startsWith('questions-out'))).toEqual([]);

    // The same from stdin, and with the suggested flag it runs.
    const piped = await runInWorker(['--base-url', ctx.server.url], { stdin: fs.readFileSync(file, 'utf8') });
    expect(piped.code).toBe(2);
    expect(piped.stderr).toMatch(/^llm-batch: <stdin>:1: none of the 50 rows has a "prompt" or "messages" field .*--prompt-field question/);
    const fixed = await runCli([file, '--base-url', ctx.server.url, '--prompt-field', 'question', '-o', out]);
    expect(fixed.code).toBe(0);
    expect(ctx.server.requests).toHaveLength(50);
  });
});

describe('a .jsonl file none of whose lines is a JSON object', () => {
  it('is refused as not JSONL, before any output exists: one line, exit 2', async () => {
    ctx.server.reset();
    const file = path.join(ctx.dir, 'plain.jsonl');
    fs.writeFileSync(file, 'first question\nsecond question\n');
    const out = path.join(ctx.dir, 'plain-out.jsonl');
    const r = await runInWorker([file, '--base-url', ctx.server.url, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^llm-batch: .*plain\.jsonl:1: none of the 2 lines is a JSON object \(line 1 is not JSON: "first question"\), so this is not JSONL: for one prompt per line pass --input-format txt/,
      ),
    ]);
    expect(fs.readdirSync(ctx.dir).filter((name) => name.startsWith('plain-out'))).toEqual([]);
    expect(ctx.server.requests).toHaveLength(0);
  });
});

describe('a JSONL prompt field that the first row lacks', () => {
  it.each([
    ['the default "prompt"', [], 'prompt'],
    ['a --prompt-field', ['--prompt-field', 'question'], 'question'],
  ])('%s: in either row order, the rows that have it run and the others are "input" error rows (file and stdin)', async (_what, flags, field) => {
    const lacking = JSON.stringify({ id: 'lacking', q: 'x' });
    const having = (id: string) => JSON.stringify({ id, [field]: `ask ${id}` });
    for (const [lines, badLine] of [
      [[lacking, having('a'), having('b')], 1],
      [[having('a'), lacking, having('b')], 2],
    ] as const) {
      ctx.server.reset();
      const file = path.join(ctx.dir, 'sparse.jsonl');
      fs.writeFileSync(file, `${lines.join('\n')}\n`);
      const args = ['--base-url', ctx.server.url, ...flags, '-o', '-', '--order', 'input'];
      for (const [r, source] of [
        [await runCli([file, ...args]), '.*sparse\\.jsonl'],
        [await runCli(args, { stdin: fs.readFileSync(file, 'utf8') }), '<stdin>'],
      ] as const) {
        expect(r.code, r.stderr).toBe(1);
        const rows = r.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { id: string; error: { type: string } | null });
        const expected = lines.map((l) => [(JSON.parse(l) as { id: string }).id, l === lacking ? 'input' : null]);
        expect(rows.map((row) => [row.id, row.error?.type ?? null])).toEqual(expected);
        expect(r.stderr).toMatch(new RegExp(`^llm-batch: ${source}:${badLine}: no "${field}" or "messages" field$`, 'm'));
      }
      expect(ctx.server.requests).toHaveLength(4);
    }
  });
});

describe('an input with no prompts', () => {
  it.each([
    ['an empty file', 'empty.txt', ''],
    ['only blank lines', 'blank.txt', '\n  \n\n'],
    ['a CSV with only its header', 'header.csv', 'id,prompt\n'],
    ['a 0-byte CSV', 'zero.csv', ''],
    ['an empty JSONL file', 'empty.jsonl', '\n'],
    ['a 0-byte .json file', 'zero.json', ''],
    ['a .json file of a byte order mark and blank lines', 'blank.json', '\uFEFF\n \n'],
    ['an empty JSON array', 'array.json', '[]\n'],
  ])('%s: says so and exits 5, not a green "0 ok"', async (_what, name, text) => {
    ctx.server.reset();
    const file = path.join(ctx.dir, name);
    fs.writeFileSync(file, text);
    const r = await runCli([file, '--base-url', ctx.server.url, '-o', path.join(ctx.dir, `${name}.out.jsonl`)]);
    expect(r.code).toBe(5);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^llm-batch: no prompts in .*${name.replace('.', '\\.')} \\(.*\\): nothing was sent$`)),
    ]);
    // Why, in words that fit the file: an empty array is no "CSV header".
    expect(r.stderr).toContain(name.endsWith('.json') ? '(it is empty, or an empty JSON array)' : '(it is empty, or holds only blank lines or a CSV header)');
    // -q still says it: cron mails stderr.
    const quiet = await runCli([file, '--base-url', ctx.server.url, '-q']);
    expect(quiet.code).toBe(5);
    expect(quiet.stderr).toMatch(/no prompts in /);
  });

  it('an empty JSON array on stdin: exit 5, said as one', async () => {
    const r = await runCli(['-', '--input-format', 'json', '--base-url', ctx.server.url], { stdin: '[]\n' });
    expect(r.code).toBe(5);
    expect(r.stderr).toBe('llm-batch: no prompts on stdin (it was empty or only blank lines, or an empty JSON array): nothing was sent\n');
  });

  it('an empty input file name (`"$INPUT"` unset): exit 2, said as such', async () => {
    const r = await runCli(['', '--base-url', ctx.server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('llm-batch: the input file name is empty (an unset variable?): give a prompts file, or - for stdin\n');
  });

  it('into a new -o (a CSV one writes its header as it opens): nothing is left, and the next run into it goes on', async () => {
    ctx.server.reset();
    const input = path.join(ctx.dir, 'nightly.txt');
    fs.writeFileSync(input, '');
    for (const out of [path.join(ctx.dir, 'nightly.csv'), path.join(ctx.dir, 'nightly.jsonl')]) {
      const r = await runCli([input, '--base-url', ctx.server.url, '-o', out, '-q']);
      expect(r.code, r.stderr).toBe(5);
      expect([fs.existsSync(out), fs.existsSync(`${out}.meta.json`), fs.existsSync(`${out}.lock`)]).toEqual([false, false, false]);
    }
    // A --batch-api run's plan too: its next run into the path is not taken for one with batches.
    const batchOut = path.join(ctx.dir, 'nightly-batch.jsonl');
    const batch = await runCli([input, '--base-url', ctx.server.url, '-o', batchOut, '--batch-api', '--no-cache', '-q']);
    expect(batch.code, batch.stderr).toBe(5);
    expect(fs.readdirSync(ctx.dir).filter((f) => f.startsWith('nightly-batch'))).toEqual([]);
    // A symlink -o is the user's, even one to nothing yet: kept.
    const link = path.join(ctx.dir, 'nightly-link.csv');
    fs.symlinkSync(path.join(ctx.dir, 'nightly-target.csv'), link);
    expect((await runCli([input, '--base-url', ctx.server.url, '-o', link, '-q'])).code).toBe(5);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    // The upstream export comes in: the same commands run.
    fs.writeFileSync(input, 'one\ntwo\n');
    const next = await runCli([input, '--base-url', ctx.server.url, '-o', path.join(ctx.dir, 'nightly.csv'), '-q']);
    expect(next.code, next.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(2);
    const nextBatch = await runCli([input, '--base-url', ctx.server.url, '-o', batchOut, '--batch-api', '--poll', '0.05', '--no-cache', '-q']);
    expect(nextBatch.code, nextBatch.stderr).toBe(0);
  });

  it('empty stdin: says so and exits 5', async () => {
    const r = await runCli(['--base-url', ctx.server.url], { stdin: '' });
    expect(r.code).toBe(5);
    expect(r.stderr.trim()).toBe('llm-batch: no prompts on stdin (it was empty or only blank lines): nothing was sent');
    expect(r.stdout).toBe('');
  });

  it('stdin closed (`<&-`): says that, not "empty", and exits 5; `< /dev/null` is empty', async () => {
    const closed = await runShell(`$LLM --base-url ${ctx.server.url} <&-`, ctx.dir);
    expect(closed.code).toBe(5);
    expect(closed.stderr).toBe(
      'llm-batch: no prompts: stdin is closed (`<&-`, or a job started without an input): give the prompts file as an argument, or pipe it in; nothing was sent\n',
    );
    const empty = await runShell(`$LLM --base-url ${ctx.server.url} < /dev/null`, ctx.dir);
    expect([empty.code, empty.stderr]).toEqual([5, 'llm-batch: no prompts on stdin (it was empty or only blank lines): nothing was sent\n']);
  });

  it('a resume with everything already done is not empty: exit 0', async () => {
    ctx.server.reset();
    const file = path.join(ctx.dir, 'done.txt');
    fs.writeFileSync(file, 'one\ntwo\n');
    const out = path.join(ctx.dir, 'done.jsonl');
    expect((await runCli([file, '--base-url', ctx.server.url, '-o', out])).code).toBe(0);
    const again = await runCli([file, '--base-url', ctx.server.url, '-o', out, '--resume']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/0 ok, 0 failed, 2 already done/);
  });
});

describe('a --template that would send the same literal prompt on every row', () => {
  it.each([
    ['a missing closing brace', 'Summarise {{title}', /--template has a "\{\{" at column 11 that opens no \{\{field\}\} placeholder \("\{\{title\}"\)/],
    ['single braces', 'Summarise {title}', /--template has no \{\{field\}\} placeholder, .*: \{title\} at column 11 needs double braces, \{\{title\}\}/],
    ['empty braces', 'A {{}} {{title}}', /--template has an empty placeholder \{\{\}\} at column 3/],
    ['no placeholder', 'Summarise this', /--template has no \{\{field\}\} placeholder/],
  ])('%s: refused up front in one line, exit 2, nothing sent or created (live and --dry-run)', async (_what, template, message) => {
    ctx.server.reset();
    const file = path.join(ctx.dir, 't.csv');
    fs.writeFileSync(file, 'title,body\nT1,B1\nT2,B2\n');
    const out = path.join(ctx.dir, 't-out.jsonl');
    const r = await runInWorker([file, '--base-url', ctx.server.url, '-t', template, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
    expect(ctx.server.requests).toHaveLength(0);
    expect(fs.existsSync(out)).toBe(false);
    const dry = await runInWorker([file, '-t', template, '--dry-run']);
    expect(dry.code).toBe(2);
    expect(dry.stderr).toMatch(message);
  });

  it('a template with JSON braces around its placeholders runs, text input included', async () => {
    ctx.server.reset();
    const file = path.join(ctx.dir, 'j.txt');
    fs.writeFileSync(file, 'rain\nsun\n');
    const r = await runCli([file, '--base-url', ctx.server.url, '-t', 'Answer as {"word": "{{prompt}}", "tags": [{"k": 1}]}', '-o', '-']);
    expect(r.code, r.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(2);
    expect(r.stdout).toContain('Answer as {\\"word\\": \\"rain\\", \\"tags\\": [{\\"k\\": 1}]}');
  });
});

describe('a JSONL template field that the first row lacks', () => {
  it('runs the rows that have it and makes the others "input" error rows (file and stdin); a field no row has is refused', async () => {
    ctx.server.reset();
    const file = path.join(ctx.dir, 'fr.jsonl');
    fs.writeFileSync(file, '{"a":"1"}\n{"a":"2","b":"x"}\n{"a":"3","b":null}\n{"a":"4","b":"y"}\n');
    const r = await runCli([file, '--base-url', ctx.server.url, '-t', '{{a}} {{b}}', '-o', '-', '--order', 'input']);
    expect(r.code, r.stderr).toBe(1);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { prompt: string; error: { type: string; message: string } | null });
    expect(rows.map((row) => row.error?.message ?? row.prompt)).toEqual([
      expect.stringMatching(/fr\.jsonl:1: template field "b" is missing$/),
      '2 x',
      expect.stringMatching(/fr\.jsonl:3: template field "b" is null$/),
      '4 y',
    ]);
    expect(rows[0]?.error?.type).toBe('input');
    expect(ctx.server.requests).toHaveLength(2);

    const piped = await runCli(['--base-url', ctx.server.url, '-t', '{{a}} {{b}}', '-o', '-'], { stdin: fs.readFileSync(file, 'utf8') });
    expect(piped.code, piped.stderr).toBe(1);
    expect(piped.stderr).toMatch(/<stdin>:1: template field "b" is missing/);
    expect(ctx.server.requests).toHaveLength(4);

    // A misspelt field (in no row) still stops the run before any request.
    const typo = await runInWorker([file, '--base-url', ctx.server.url, '-t', '{{a}} {{bb}}', '-o', '-']);
    expect(typo.code).toBe(2);
    expect(typo.stderr.trim()).toMatch(/^llm-batch: .*fr\.jsonl:1: --template uses \{\{bb\}\} but none of the 4 rows has such a field \(fields: "a", "b"\)$/);
    expect(ctx.server.requests).toHaveLength(4);
  });
});

describe('--dry-run with prompts too long to show or to send', () => {
  it('cuts a 5 MB prompt for display, and warns that it exceeds the context window', async () => {
    const file = path.join(ctx.dir, 'huge.jsonl');
    const huge = `${'start '}${'lorem ipsum dolor sit amet '.repeat(200_000)}the end`;
    fs.writeFileSync(file, `${JSON.stringify({ id: 'small', prompt: 'hello' })}\n${JSON.stringify({ id: 'huge', prompt: huge })}\n`);
    const r = await runInWorker([file, '--dry-run', '-m', 'gpt-4o-mini'], { env: { OPENAI_API_KEY: undefined } });
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeLessThan(20_000);
    expect(r.stdout).toMatch(/"content": "start lorem ipsum[^"]* \[…5,\d{3},\d{3} characters not shown…\] [^"]*the end"/);
    expect(r.stdout).toMatch(/cut here for display; the run sends them whole/);
    expect(r.stdout).toMatch(
      /Warning: 1 prompt exceeds the model's context window[^\n]*\n {2}.*huge\.jsonl:2 \(id huge\): [\d,]+ prompt tokens > 128,000 \(gpt-4o-mini\)/,
    );
    expect(r.stderr).toMatch(/^llm-batch: warning: 1 prompt exceeds the model's context window/);
    // The small one fits; max_tokens counts toward the window.
    expect(r.stdout).not.toMatch(/small\.jsonl|id small\)/);
  });

  it('counts max_tokens toward the window, and checks no window for an unlisted model', async () => {
    const file = path.join(ctx.dir, 'edge.txt');
    fs.writeFileSync(file, `${'word '.repeat(15_000)}\n`);
    const fits = await runCli([file, '--dry-run', '-m', 'gpt-3.5-turbo'], { env: { OPENAI_API_KEY: undefined } });
    expect(fits.stdout).not.toMatch(/Warning/);
    const over = await runInWorker([file, '--dry-run', '-m', 'gpt-3.5-turbo', '--max-tokens', '2000'], { env: { OPENAI_API_KEY: undefined } });
    expect(over.stdout).toMatch(/edge\.txt:1 \(id [^)]+\): [\d,]+ prompt tokens \+ max_tokens 2,000 > 16,385 \(gpt-3\.5-turbo\)/);
    const local = await runInWorker([file, '--dry-run', '-m', 'llama3.2', '--max-tokens', '900000'], { env: { OPENAI_API_KEY: undefined } });
    expect(local.stdout).not.toMatch(/Warning/);
  });
});

describe('a .json array whose elements lack the prompt or template field', () => {
  it.each([
    [
      'the prompt field',
      [],
      /questions\.json:1: element 1: none of the 3 rows has a "prompt" or "messages" field \(fields: "id", "question"\); pass --prompt-field question /,
    ],
    [
      'a --prompt-field',
      ['--prompt-field', 'text'],
      /questions\.json:1: element 1: none of the 3 rows has a "text" field \(fields: "id", "question"\); check --prompt-field/,
    ],
    [
      'a --template field',
      ['--template', 'Q: {{questoin}}'],
      /questions\.json:1: element 1: --template uses \{\{questoin\}\} but none of the 3 rows has such a field \(fields: "id", "question"\)/,
    ],
  ])('%s that no element has: refused up front as JSONL is (exit 2, one line, nothing sent)', async (_what, flags, message) => {
    ctx.server.reset();
    const file = path.join(ctx.dir, 'questions.json');
    fs.writeFileSync(file, JSON.stringify([1, 2, 3].map((i) => ({ id: i, question: `q${i}` }))));
    const out = path.join(ctx.dir, 'questions-json-out.jsonl');
    const r = await runInWorker([file, '--base-url', ctx.server.url, ...flags, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
    expect(ctx.server.requests).toHaveLength(0);
    expect(fs.existsSync(out) && fs.statSync(out).size > 0).toBe(false);
  });

  it('an element lacking it is its own "input" error row wherever it is; a string element is a prompt', async () => {
    const file = path.join(ctx.dir, 'sparse.json');
    for (const [elements, flags, bad] of [
      [[{ id: 'x', q: 'no prompt' }, { id: 'a', prompt: 'ask a' }, 'ask b'], [], 'no "prompt" or "messages" field'],
      [
        [
          { id: 'b', title: 'ask b' },
          { id: 'x', q: 'no title' },
          { id: 'a', title: 'ask a' },
        ],
        ['--template', 'T {{title}}'],
        'template field "title" is missing',
      ],
    ] as const) {
      ctx.server.reset();
      fs.writeFileSync(file, JSON.stringify(elements));
      const r = await runCli([file, '--base-url', ctx.server.url, ...flags, '-o', '-', '--order', 'input']);
      const rows = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string; error: { type: string; message: string } | null });
      expect(rows).toHaveLength(3);
      const failed = rows.filter((row) => row.error !== null);
      expect(failed.map((row) => [row.id, row.error?.type])).toEqual([['x', 'input']]);
      expect(failed[0]!.error!.message).toContain(bad);
      expect(r.code, r.stderr).toBe(1);
      expect(ctx.server.requests).toHaveLength(2);
    }
  });
  it('names a bad element by the file line it begins on, and the element, on stderr, in its row and in --dry-run', async () => {
    ctx.server.reset();
    // `jq . records.json`: element 1 (id "a") begins on line 2, element 2 on line 6, element 3 on line 10.
    const file = path.join(ctx.dir, 'pretty.json');
    fs.writeFileSync(
      file,
      `${JSON.stringify(
        [
          { id: 'a', prompt: 'hi' },
          { id: 'b', text: 'x' },
          { id: 'a', prompt: 'yo' },
        ],
        null,
        2,
      )}\n`,
    );
    const messages = [
      'pretty.json:6: element 2: no "prompt" or "messages" field',
      'pretty.json:10: element 3: duplicate id "a" (first in element 1 at line 2); ids must be unique: pick another --id-field, or drop the id to use line-based ids',
    ];
    /** The text from the file's name on, of each line naming a place in it. */
    const places = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.includes('pretty.json:'))
        .map((l) => l.slice(l.indexOf('pretty.json:')));
    const r = await runCli([file, '--base-url', ctx.server.url, '-o', '-', '--order', 'input']);
    expect(r.code, r.stderr).toBe(1);
    expect(places(r.stderr)).toEqual(messages);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; line: number; error: { message: string } | null });
    // A row's `line` and line-based id stay the element's position; its message is stderr's.
    expect(rows.map((row) => [row.line, row.id, row.error && places(row.error.message)[0]])).toEqual([
      [1, 'a', null],
      [2, 'b', messages[0]],
      [3, expect.stringMatching(/^3-[0-9a-f]{8}$/), messages[1]],
    ]);

    // The bad records --dry-run lists, and the place of the first request it shows.
    const dry = await runInWorker([file, '--dry-run', '--base-url', ctx.server.url]);
    expect(places(dry.stdout)).toEqual([...messages, 'pretty.json:2: element 1)']);
  });
});
