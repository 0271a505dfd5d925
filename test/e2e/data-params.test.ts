/**
 * Issue 11, small but daily: input fields carried into result rows (item 18) and per-request
 * parameters as flags, or in a plain JSONL row (item 20). The built CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';
import { firstBodyShown } from '../helpers/dry-run-body.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const { dir, fresh, writeFile } = useServers('llm-batch-data-params-');

describe('--keep-fields (item 18)', () => {
  it('CSV in, CSV out: the named columns follow the result columns, a clash is prefixed input_', async () => {
    const { run } = await fresh();
    const input = writeFile('articles.csv', 'id,title,url,body\nA1,- Paris,https://x/1,"long, body"\nA2,+1 555,https://x/2,other\n');
    const out = path.join(dir, 'kept.csv');
    const r = await run([input, '-t', 'Summarise {{body}}', '--keep-fields', 'title,url,id', '-o', out, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...records] = parse(fs.readFileSync(out)) as string[][];
    expect(header!.slice(-3)).toEqual(['title', 'url', 'input_id']);
    const byId = new Map(records.map((rec) => [rec[0], rec.slice(-3)]));
    expect(byId.get('A1')).toEqual(['- Paris', 'https://x/1', 'A1']);
    expect(byId.get('A2')).toEqual(['+1 555', 'https://x/2', 'A2']);
  });

  it('--keep-fields all with CSV in and out takes every input column; --resume reads the layout back', async () => {
    const { run, server } = await fresh();
    // A quote inside an unquoted cell, the header's too, is text (it crashed the header read once).
    const input = writeFile('all.csv', 'prompt,lang,size "in"\nhello,en,5" screen\n');
    const out = path.join(dir, 'all.csv.out.csv');
    const first = await run([input, '--keep-fields', 'all', '-o', out, '-q']);
    expect(first.code, first.stderr).toBe(0);
    expect(fs.readFileSync(out, 'utf8').split('\n')[0]).toMatch(/,input_prompt,lang,"size ""in"""$/);
    fs.appendFileSync(input, 'bonjour,fr\n');
    server.reset();
    const again = await run([input, '--keep-fields', 'all', '-o', out, '--resume', '-q']);
    expect(again.code, again.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt)).toEqual(['bonjour']);
    const records = parse(fs.readFileSync(out), { columns: true }) as Array<Record<string, string>>;
    expect(records.map((rec) => [rec['input_prompt'], rec['lang'], rec['size "in"']])).toEqual([
      ['hello', 'en', '5" screen'],
      ['bonjour', 'fr', ''],
    ]);
  });

  it('JSONL in, JSONL out: the fields ride along under "input", values as they were', async () => {
    const { run } = await fresh();
    const input = writeFile(
      'kept.jsonl',
      [JSON.stringify({ id: 'r1', prompt: 'p1', meta: { source: 'crm', n: 3 }, tags: ['a'] }), JSON.stringify({ id: 'r2', prompt: 'p2', meta: null })].join(
        '\n',
      ) + '\n',
    );
    const r = await run([input, '--keep-fields', 'meta,tags', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const rows = new Map(rowsOf(r).map((row) => [row.id, row]));
    expect(rows.get('r1')!.input).toEqual({ meta: { source: 'crm', n: 3 }, tags: ['a'] });
    expect(rows.get('r2')!.input).toEqual({ meta: null });
    const all = await run([input, '--keep-fields', 'all', '-q']);
    expect(rowsOf(all).find((row) => row.id === 'r1')!.input).toEqual({ id: 'r1', prompt: 'p1', meta: { source: 'crm', n: 3 }, tags: ['a'] });
  });

  it('--keep-fields all with JSONL input and CSV output is refused up front (columns unknown), nothing sent', async () => {
    const { run, server } = await fresh();
    const input = writeFile('all-jsonl.jsonl', '{"prompt":"x"}\n');
    const r = await run([input, '--keep-fields', 'all', '-o', path.join(dir, 'all-jsonl.csv')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "llm-batch: --keep-fields all with CSV output needs the input's fields before the run: a CSV input file (its header) or text input; JSONL rows each have their own: name the fields instead: --keep-fields a,b\n",
    );
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    [[], 'the format of standard input is known only from its rows (text: --input-format txt)'],
    [['--input-format', 'csv'], 'the header of standard input cannot be read before the run, which reads it only once'],
  ])('--keep-fields all, CSV output, stdin %j: refused with the reason, nothing sent', async (flags, why) => {
    const { server } = await fresh();
    const r = await runInWorker(['-', ...flags, '--keep-fields', 'all', '-f', 'csv', '-o', '-', '--base-url', server.url], { stdin: 'prompt\nx\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `llm-batch: --keep-fields all with CSV output needs the input's fields before the run: a CSV input file (its header) or text input; ${why}: name the fields instead: --keep-fields a,b\n`,
    );
    expect(server.requests).toHaveLength(0);
  });

  it('--keep-fields all, CSV output, text on stdin named by --input-format txt: the line is kept as input_prompt', async () => {
    const { run } = await fresh();
    const r = await run(['-', '--input-format', 'txt', '--keep-fields', 'all', '-f', 'csv', '-o', '-', '-q'], { stdin: 'from stdin\n' });
    expect(r.code, r.stderr).toBe(0);
    const [row] = parse(r.stdout, { columns: true }) as Array<Record<string, string>>;
    expect(row!['input_prompt']).toBe('from stdin');
  });

  it('text in: a line keeps its text (before the template) as "prompt", in JSONL, CSV and with all', async () => {
    const { run, server } = await fresh();
    const input = writeFile('kept.txt', 'first line\n\nsecond, with comma\n');
    const r = await run([input, '-t', 'Q: {{prompt}}', '--keep-fields', 'prompt', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(rowsOf(r).map((row) => [row.prompt, row.input])).toEqual([
      ['Q: first line', { prompt: 'first line' }],
      ['Q: second, with comma', { prompt: 'second, with comma' }],
    ]);
    const out = path.join(dir, 'kept-txt.csv');
    const csv = await run([input, '-t', 'Q: {{prompt}}', '--keep-fields', 'all', '-o', out, '-q']);
    expect(csv.code, csv.stderr).toBe(0);
    const records = parse(fs.readFileSync(out), { columns: true }) as Array<Record<string, string>>;
    expect(records.map((rec) => [rec['prompt'], rec['input_prompt']])).toEqual([
      ['Q: first line', 'first line'],
      ['Q: second, with comma', 'second, with comma'],
    ]);
    expect(server.requests).toHaveLength(4);
  });

  it('text in: a field a line does not have is a usage error before the output is created, nothing sent', async () => {
    const { server } = await fresh();
    const input = writeFile('unknown.txt', 'a line\n');
    const out = path.join(dir, 'unknown-txt.csv');
    // stdin is text only because its first line is not JSON: it may be the CSV the flag was meant for.
    for (const [args, guessed] of [
      [[input, '-o', out], ''],
      [['-o', '-'], ' (<stdin> was read as text, a prompt a line: if it is a CSV, pass --input-format csv)'],
    ] as const) {
      const r = await runInWorker([...args, '--keep-fields', 'prompt,title', '--base-url', server.url], { stdin: 'a line\n' });
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(
        `llm-batch: --keep-fields names "title", but text input only has the field "prompt" (alias "line"), the line's text: --keep-fields prompt${guessed}`,
      );
    }
    // --id-field and --prompt-field would be ignored: refused the same way.
    const idField = await runInWorker([input, '-o', out, '--id-field', 'ticket', '--base-url', server.url]);
    expect(idField.code).toBe(2);
    expect(idField.stderr.trim()).toMatch(/^llm-batch: --id-field "ticket" does not apply to text input: a line has no id field/);
    expect(fs.existsSync(out)).toBe(false);
    expect(server.requests).toHaveLength(0);
  });
});

describe('request parameters (item 20)', () => {
  it('--seed, --top-p, --stop (repeatable), --reasoning-effort and --param key=JSON reach the request body', async () => {
    const { run, requestFor } = await fresh();
    const input = writeFile('params.txt', 'with params\n');
    const r = await run([
      input,
      '--seed',
      '7',
      '--top-p',
      '0.9',
      '--stop',
      'END',
      '--stop',
      '###',
      '--reasoning-effort',
      'low',
      '--param',
      'response_format={"type":"json_object"}',
      '--param',
      'logprobs=true',
      '--param',
      'user=batch-7',
      '-q',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(requestFor('with params').body).toMatchObject({
      seed: 7,
      top_p: 0.9,
      stop: ['END', '###'],
      reasoning_effort: 'low',
      response_format: { type: 'json_object' },
      logprobs: true,
      user: 'batch-7',
    });
  });

  it.each([
    [['--param', 'model=x'], /--param model: use -m\/--model/],
    [['--param', 'stream=false'], /--param stream: use --stream/],
    [['--param', 'no-equals'], /Expected key=value/],
    [['--param', 'n=2'], /^llm-batch: --param n: llm-batch keeps one answer per prompt; --repeat N asks N times$/m],
    [['--top-p', '2'], /Expected a decimal number from 0 to 1/],
    [['--reasoning-effort', 'maximum'], /^llm-batch: --reasoning-effort must be none, minimal, low, medium, high, xhigh or max, got "maximum"$/m],
  ])('%j is refused with exit 2', async (args, message) => {
    const { server } = await fresh();
    const input = writeFile(`bad-param-${args.join('').replace(/\W/g, '')}.txt`, 'x\n');
    const r = await runInWorker([input, ...args, '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(server.requests).toHaveLength(0);
  });

  it.each([[[]], [['--dry-run']]])('--param x=<3,000 nested arrays> %j: one line, exit 2, not a stack overflow', async (extra) => {
    const { server } = await fresh();
    const input = writeFile(`deep-param${extra.length}.txt`, 'x\n');
    const r = await runInWorker([input, '--param', `x=${'['.repeat(3000)}${']'.repeat(3000)}`, ...extra, '--base-url', server.url]);
    expect([r.code, r.stderr]).toEqual([2, 'llm-batch: --param x: nested deeper than 200 levels\n']);
    expect(server.requests).toHaveLength(0);
  });

  it('--reasoning-effort takes every level OpenAI documents, none to max, and --help lists them', async () => {
    const { server, run, requestFor } = await fresh();
    const levels = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'];
    const args = (level: string) => [
      writeFile(`effort-${level}.txt`, `effort ${level}\n`),
      '--reasoning-effort',
      level.toUpperCase(),
      '-o',
      path.join(dir, `effort-${level}.jsonl`),
      '-q',
    ];
    // The first level is sent; the others' bodies are read from their dry runs, which show the body
    // the run sends (dry-run.ts's requestBody is the provider's).
    const [first, ...others] = levels;
    const sent = await run(args(first!));
    expect(sent.code, sent.stderr).toBe(0);
    expect(requestFor(`effort ${first}`).body).toMatchObject({ reasoning_effort: first });
    for (const level of others) {
      const dry = await runInWorker([...args(level), '--dry-run', '--base-url', server.url]);
      expect(dry.code, dry.stderr).toBe(0);
      const body = firstBodyShown(dry.stdout);
      expect(body).toMatchObject({ messages: [{ role: 'user', content: `effort ${level}` }], reasoning_effort: level });
    }
    const help = await run(['--help']);
    // The help wraps its descriptions at 80 columns.
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(' --reasoning-effort <level> reasoning models: none, minimal, low, medium, high, xhigh or max --param ');
  });

  it('a plain JSONL row: chat parameters (seed, response_format…) are sent and win over flags; other keys stay data', async () => {
    const { run, requestFor } = await fresh();
    const input = writeFile(
      'row-params.jsonl',
      [
        JSON.stringify({ prompt: 'row one', seed: 42, response_format: { type: 'json_object' }, title: 'data, not a parameter', metadata: { a: 1 } }),
        JSON.stringify({ prompt: 'row two' }),
      ].join('\n') + '\n',
    );
    const r = await run([input, '--seed', '1', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const one = requestFor('row one').body;
    expect(one).toMatchObject({ seed: 42, response_format: { type: 'json_object' } });
    expect(one).not.toHaveProperty('title');
    expect(one).not.toHaveProperty('metadata');
    expect(requestFor('row two').body).toMatchObject({ seed: 1 });
  });

  it('--dry-run shows the parameters in the request it would send', async () => {
    const { run } = await fresh();
    const input = writeFile('dry-params.txt', 'dry\n');
    const r = await run([input, '--dry-run', '--seed', '5', '--param', 'top_k=40']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/"seed": 5/);
    expect(r.stdout).toMatch(/"top_k": 40/);
  });
});
