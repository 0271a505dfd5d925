/**
 * Structured extraction end to end through the BUILT CLI against the mock server: --json-schema
 * (strict response_format, validation, re-asks, CSV columns), --schema-in-prompt, --json, the stop
 * on a server that refuses response_format, and schema usage errors before any request.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer, type MockServerOptions } from '../helpers/mock-server.js';
import { ROOT, SECRET_KEY, parseJsonl, runCli, tempDir, type CliOptions, type CliResult } from '../helpers/run-cli.js';
import { firstBodyShown } from '../helpers/dry-run-body.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { CSV_COLUMNS } from '../../src/output/csv-columns.js';
import { strictify } from '../../src/structured/strictify.js';
import { compileCheck } from '../../src/structured/validate.js';
import type { ResultRow } from '../../src/types.js';

const { dir, cleanup } = tempDir('llm-batch-structured-');
const servers: MockServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  cleanup();
});

async function server(options: MockServerOptions = {}): Promise<{ mock: MockServer; run: (args: string[], o?: CliOptions) => ReturnType<typeof runCli> }> {
  const mock = await startMockServer(options);
  servers.push(mock);
  return { mock, run: (args, o) => runCli([...args, '--base-url', mock.url], o) };
}

const TICKETS = path.join(ROOT, 'fixtures', 'tickets.csv');
const TICKET_SCHEMA = path.join(ROOT, 'fixtures', 'ticket-schema.json');
const strictTicket = strictify(JSON.parse(fs.readFileSync(TICKET_SCHEMA, 'utf8'))).schema;

let n = 0;
function write(name: string, text: string): string {
  const file = path.join(dir, `${++n}-${name}`);
  fs.writeFileSync(file, text);
  return file;
}

const SMALL = JSON.stringify({
  type: 'object',
  properties: { label: { type: 'string', enum: ['a', 'b'] }, score: { type: 'integer', minimum: 1, maximum: 5 } },
  required: ['label', 'score'],
  additionalProperties: false,
});

/** An answer whose numbers a double cannot hold. */
const ANSWER = '{"order_id":1234567890123456789,"price":0.12345678901234567891,"ids":[9007199254740993,2],"n":3}';
/** An answer giving a key twice, the last time with more digits than a double holds. */
const TWICE = '{"id":1,"label":"a","id":12345678901234567890,"n":{"v":2,"v":-0.0}}';
/** Each prompt of the shared --json runs and its scripted answer (none: the mock's usual `{"answer": …}`). */
const JSON_ANSWERS = new Map<string, string | undefined>([
  ['extract, json', ANSWER],
  ['twice, json', TWICE],
  ['say "hi", json', undefined],
  ['list colours [[schema:invalid-json]]', undefined],
  // JSON mode's system message: for a prompt that does not say JSON, not for one that does.
  ['name three colours', undefined],
  ['return json: three colours', undefined],
]);
const jsonRuns = new Map<string, Promise<{ mock: MockServer; r: CliResult }>>();

/**
 * `--json -q` (`jsonl`) or `--json -f csv -q` (`csv`) on the prompts of JSON_ANSWERS, each run on a
 * server of its own: one run that several tests read, each its own prompt's row, started by
 * whichever of them needs it first.
 */
function jsonRun(format: 'jsonl' | 'csv'): Promise<{ mock: MockServer; r: CliResult }> {
  let started = jsonRuns.get(format);
  if (!started) {
    started = (async () => {
      const { mock, run } = await server({ schema: { answer: ({ prompt }) => JSON_ANSWERS.get(prompt) } });
      const r = await run(['--json', ...(format === 'csv' ? ['-f', 'csv'] : []), '-q'], { stdin: `${[...JSON_ANSWERS.keys()].join('\n')}\n` });
      return { mock, r };
    })();
    jsonRuns.set(format, started);
  }
  return started;
}

/** The CSV header and the row whose prompt cell is `prompt`. */
function csvRowFor(csv: string, prompt: string): { header: string[]; row: string[] } {
  const [header, ...rows] = parse(csv) as string[][];
  const row = rows.find((cells) => cells[header!.indexOf('prompt')] === prompt);
  expect(row, `the row of ${JSON.stringify(prompt)} in ${csv}`).toBeDefined();
  return { header: header!, row: row! };
}

/** The JSONL line (as written: digits intact) whose prompt is `prompt`. */
function jsonlLineFor(jsonl: string, prompt: string): string {
  const line = jsonl.split('\n').find((l) => l !== '' && JSON.parse(l).prompt === prompt);
  expect(line, `the row of ${JSON.stringify(prompt)} in ${jsonl}`).toBeDefined();
  return line!;
}

describe.concurrent('--json-schema', () => {
  it('the ticket fixture: strict response_format on every request, rows gain output, one note line', async () => {
    const { mock, run } = await server();
    const r = await run([TICKETS, '--template', '{{subject}}: {{body}}', '--json-schema', TICKET_SCHEMA]);
    expect(r.code).toBe(0);
    const rows = parseJsonl<ResultRow>(r.stdout);
    expect(rows).toHaveLength(6);
    const check = compileCheck(strictTicket, '2020-12');
    for (const row of rows) {
      expect(row.error).toBeNull();
      expect(check(JSON.stringify(row.output))).toMatchObject({ ok: true });
      expect(row.output).toEqual(JSON.parse(row.response!));
    }
    expect(mock.requests).toHaveLength(6);
    for (const req of mock.requests) {
      expect(req.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'ticket_triage', schema: strictTicket, strict: true } });
      expect(req.body.messages).toHaveLength(1); // no system message: the schema travels in response_format
    }
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      'llm-batch: --json-schema made strict for structured outputs: optional /properties/order_id made required and nullable (null in a row where the answer has none); additionalProperties: false added at /',
    );
    expect(lines[1]).toMatch(/^llm-batch: 6 ok, 0 failed/);
  });

  it("re-ask: the second request carries the invalid answer and the validator's errors; attempts 2", async () => {
    const { mock, run } = await server();
    const r = await run(['--json-schema', SMALL, '-q'], { stdin: 'rate this [[schema:violate]]\nand this\n' });
    expect(r.code).toBe(0);
    const rows = parseJsonl<ResultRow>(r.stdout);
    const flaky = rows.find((row) => row.prompt.startsWith('rate this'))!;
    expect(flaky).toMatchObject({ error: null, attempts: 2 });
    expect(rows.find((row) => row.prompt === 'and this')).toMatchObject({ attempts: 1 });
    const sent = mock.requests.filter((q) => q.body.messages[0].content.startsWith('rate this'));
    expect(sent).toHaveLength(2);
    const [, assistant, complaint] = sent[1]!.body.messages;
    expect(assistant.role).toBe('assistant');
    expect(JSON.parse(assistant.content)).toMatchObject({ unexpected_field: true });
    expect(complaint.role).toBe('user');
    expect(complaint.content).toMatch(/^Your answer did not match the required JSON schema:\n- /);
    expect(complaint.content).toContain('- /: unexpected property "unexpected_field"');
    expect(complaint.content).toContain('- /label: must be string');
    expect(complaint.content).toMatch(/\nAnswer again with only the corrected JSON, nothing else\.$/);
    expect(sent[1]!.body.response_format).toEqual(sent[0]!.body.response_format);
  });

  it('never valid: invalid_output row with the raw text in response, 1 + N attempts, exit 1, summary counts re-asks', async () => {
    const { mock, run } = await server();
    const r = await run(['--json-schema', SMALL, '--schema-retries', '1'], { stdin: 'hopeless [[schema:invalid-json*9]]\n' });
    expect(r.code).toBe(1);
    const [row] = parseJsonl<ResultRow>(r.stdout);
    expect(mock.requests).toHaveLength(2);
    expect(row).toMatchObject({ attempts: 2, output: null, error: { type: 'invalid_output' } });
    expect(row!.response).toMatch(/^Sure! Here is the JSON: \{/);
    // The reason once, without V8's echo of the text (it is in `response`) or a second "not valid JSON".
    expect(row!.error!.message).toBe("answer is not valid JSON: Unexpected token 'S' (after 1 re-ask)");
    expect(r.stderr).toMatch(/0 ok, 1 failed \(invalid_output 1\), 1 re-asked \(invalid output\)/);
  });

  it('a truncated answer is said as such, not re-asked', async () => {
    const { mock, run } = await server();
    const r = await run(['--json-schema', SMALL, '-q', '--no-stream'], { stdin: 'long one [[schema:truncate*9]]\n' });
    expect(r.code).toBe(1);
    const [row] = parseJsonl<ResultRow>(r.stdout);
    expect(mock.requests).toHaveLength(1);
    expect(row).toMatchObject({ attempts: 1, finish_reason: 'length', error: { type: 'invalid_output' } });
    expect(row!.error!.message).toMatch(/^answer cut off at the token limit \(finish_reason: length\).*raise --max-tokens/);
  });

  it('CSV: one column per top-level property after id, awkward values intact, clashes prefixed', async () => {
    const { run } = await server();
    const schema = write(
      'awkward.json',
      JSON.stringify({
        type: 'object',
        properties: {
          prompt: { type: 'string' },
          text: { type: 'string' },
          tags: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 2 },
          nested: {
            type: 'object',
            properties: { inner: { type: 'array', items: { type: 'array', items: { type: 'integer', minimum: 7, maximum: 7 } }, minItems: 1, maxItems: 1 } },
          },
          flag: { const: false },
          count: { type: 'integer', minimum: 42, maximum: 42 },
          maybe: { type: 'null' },
        },
      }),
    );
    const awkward = ['a, b, "quoted", and more', 'two\nlines, one cell', 'unicode: naïve café 日本語 🎉', '=SUM(A1:A9) looks like a formula'];
    const input = write('awkward.csv', `id,text\n${awkward.map((t, i) => `k${i},"${t.replace(/"/g, '""')}"`).join('\n')}\n`);
    const out = path.join(dir, `${++n}-fields.csv`);
    const r = await run([input, '--template', '{{text}}', '--json-schema', schema, '-o', out, '-q']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const records = parse(fs.readFileSync(out, 'utf8'), { bom: true }) as string[][];
    expect(records[0]).toEqual(['id', 'output_prompt', 'text', 'tags', 'nested', 'flag', 'count', 'maybe', ...CSV_COLUMNS.slice(1)]);
    const rows = records.slice(1).sort((a, b) => a[0]!.localeCompare(b[0]!));
    expect(rows).toHaveLength(awkward.length);
    rows.forEach((cells, i) => {
      const t = awkward[i]!;
      const cell = (v: string) => v; // exact CSV: no formula escaping without --csv-escape-formulas
      expect(cells.slice(0, 8)).toEqual([`k${i}`, cell(t), cell(t), JSON.stringify([t, t]), '{"inner":[[7,7]]}', 'false', '42', '']);
      expect(cells[8 + CSV_COLUMNS.indexOf('prompt') - 1]).toBe(cell(t));
    });
    // With --csv-escape-formulas the field cells are escaped like every other text cell.
    const escapedOut = path.join(dir, `${++n}-escaped.csv`);
    const e = await run([input, '--template', '{{text}}', '--json-schema', schema, '-o', escapedOut, '--csv-escape-formulas', '-q']);
    expect(e.code).toBe(0);
    const formula = (parse(fs.readFileSync(escapedOut, 'utf8')) as string[][]).find((r) => r[0] === 'k3')!;
    expect(formula.slice(1, 3)).toEqual([`'${awkward[3]}`, `'${awkward[3]}`]);
  });

  it('--resume continues a schema CSV (same columns); another schema is refused', async () => {
    const { mock, run } = await server();
    const out = path.join(dir, `${++n}-resume.csv`);
    const input = write('resume.txt', 'one\ntwo\n');
    expect((await run([input, '--json-schema', SMALL, '-o', out, '-q'])).code).toBe(0);
    const again = await run([input, '--json-schema', SMALL, '-o', out, '--resume', '-q']);
    expect(again.code).toBe(0);
    expect(mock.requests).toHaveLength(2);
    const other = await runInWorker([input, '--json-schema', SMALL.replace('"b"', '"c"'), '-o', out, '--resume', '-q', '--base-url', mock.url]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/was written by a different run \(jsonSchema \(--json-schema or --json\): was/);
  });

  it('--resume --json of a plain run is refused naming both flags, not only the one never given', async () => {
    const { mock } = await server();
    const out = path.join(dir, `${++n}-plain.jsonl`);
    const input = write('plain.txt', 'one\n');
    expect((await runInWorker([input, '-o', out, '-q', '--base-url', mock.url])).code).toBe(0);
    const r = await runInWorker([input, '--json', '-o', out, '--resume', '-q', '--base-url', mock.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('jsonSchema (--json-schema or --json): was (not set), now "json"');
  });

  it('a property named "": CSV column output_ holding that field, not the whole answer', async () => {
    const { mock, run } = await server();
    const schema = write(
      'empty-name.json',
      JSON.stringify({
        type: 'object',
        properties: { '': { type: 'string' }, b: { type: 'integer', minimum: 27, maximum: 27 } },
        required: ['', 'b'],
        additionalProperties: false,
      }),
    );
    const out = path.join(dir, `${++n}-empty-name.csv`);
    const r = await run(['--json-schema', schema, '-o', out, '-q'], { stdin: 'the field\n' });
    expect(r.code, r.stderr).toBe(0);
    const [header, row] = parse(fs.readFileSync(out, 'utf8')) as string[][];
    expect(header!.slice(0, 4)).toEqual(['id', 'output_', 'b', 'line']);
    expect(row!.slice(1, 3)).toEqual(['the field', '27']);
    const dry = await runInWorker(['--json-schema', schema, '--dry-run', '-o', path.join(dir, 'never-empty.csv'), '--base-url', mock.url], { stdin: 'x\n' });
    expect(dry.stdout).toContain('CSV columns after id: output_, b');
  });

  it('a schema CSV copied to JSONL (--compact, merge) has the answers typed as the live JSONL has them', async () => {
    const { run } = await server();
    const rows = [
      'id,subject,body',
      'ok1,Refund,charged twice',
      'ok2,Dark mode,"please, ""soon"""',
      'bad,x,[[schema:violate*9]]',
      'cut,y,[[schema:truncate]]',
      'gone,z,[[fault:400*99]]',
    ];
    const input = write('typed.csv', `${rows.join('\n')}\n`);
    const args = [input, '--template', '{{subject}}: {{body}}', '--json-schema', TICKET_SCHEMA, '--schema-retries', '0', '-q'];
    const liveJsonl = path.join(dir, `${++n}-typed.jsonl`);
    const liveCsv = path.join(dir, `${++n}-typed.csv`);
    expect((await run([...args, '-o', liveJsonl])).code).toBe(1);
    expect((await run([...args, '-o', liveCsv])).code).toBe(1);
    const outputs = (file: string) => Object.fromEntries(parseJsonl<ResultRow>(fs.readFileSync(file, 'utf8')).map((row) => [row.id, row.output]));
    const live = outputs(liveJsonl);
    expect(live['ok1']).toMatchObject({ urgent: expect.any(Boolean), products: expect.any(Array) });
    expect(live['bad']).toBeNull();
    expect(live['gone']).toBeNull();
    const compacted = path.join(dir, `${++n}-compacted.jsonl`);
    expect((await runCli(['--compact', liveCsv, '-o', compacted, '-q'])).code).toBe(0);
    expect(outputs(compacted)).toEqual(live);
    const merged = path.join(dir, `${++n}-merged.jsonl`);
    const m = await runInWorker(['merge', liveCsv, '-o', merged]);
    expect(m.code, m.stderr).toBe(1); // it has failed rows
    expect(outputs(merged)).toEqual(live);
    // A CSV copy stays cell for cell what it was.
    const copy = path.join(dir, `${++n}-copy.csv`);
    expect((await runInWorker(['--compact', liveCsv, '-o', copy, '-q'])).code).toBe(0);
    expect(fs.readFileSync(copy, 'utf8')).toBe(fs.readFileSync(liveCsv, 'utf8'));
  });

  it('--json to CSV: one output column with the whole value', async () => {
    const { r } = await jsonRun('csv');
    expect(r.code).toBe(0);
    const { header, row } = csvRowFor(r.stdout, 'say "hi", json');
    expect(header.slice(0, 2)).toEqual(['id', 'output']);
    expect(JSON.parse(row[1]!)).toEqual({ answer: 'say "hi", json' });
  });
});

describe.concurrent('numbers a double cannot hold keep their digits as written', () => {
  const BIG = JSON.stringify({
    type: 'object',
    properties: { order_id: { type: 'integer' }, price: { type: 'number' }, ids: { type: 'array', items: { type: 'integer' } }, n: { type: 'integer' } },
    required: ['order_id', 'price', 'ids', 'n'],
    additionalProperties: false,
  });
  const answer = () => ANSWER;

  it("--json-schema to JSONL: output holds the answer's numbers as written; --compact keeps them", async () => {
    const { mock, run } = await server({ schema: { answer } });
    const out = path.join(dir, `${++n}-big.jsonl`);
    const r = await run(['--json-schema', BIG, '-o', out, '-q'], { stdin: 'extract the order\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const text = fs.readFileSync(out, 'utf8');
    expect(text).toContain(`"output":${ANSWER}`);
    expect(JSON.parse(text).response).toBe(ANSWER);
    // --compact to JSONL parses the same numbers again from the row's response.
    const compacted = path.join(dir, `${++n}-compacted.jsonl`);
    const c = await runInWorker(['--compact', out, '-o', compacted, '-q', '--base-url', mock.url]);
    expect(c.code, c.stderr).toBe(0);
    expect(fs.readFileSync(compacted, 'utf8')).toContain(`"output":${ANSWER}`);
  });

  it('--json-schema to CSV: the field cells keep the digits; --compact of that CSV to JSONL too', async () => {
    const { mock, run } = await server({ schema: { answer } });
    const out = path.join(dir, `${++n}-big.csv`);
    const r = await run(['--json-schema', BIG, '-o', out, '-q'], { stdin: 'extract the order\n' });
    expect(r.code, r.stderr).toBe(0);
    const [header, row] = parse(fs.readFileSync(out, 'utf8')) as string[][];
    expect(header!.slice(0, 5)).toEqual(['id', 'order_id', 'price', 'ids', 'n']);
    expect(row!.slice(1, 5)).toEqual(['1234567890123456789', '0.12345678901234567891', '[9007199254740993,2]', '3']);
    const compacted = path.join(dir, `${++n}-from-csv.jsonl`);
    const c = await runInWorker(['--compact', out, '-o', compacted, '-q', '--base-url', mock.url]);
    expect(c.code, c.stderr).toBe(0);
    expect(fs.readFileSync(compacted, 'utf8')).toContain(`"output":${ANSWER}`);
  });

  it('--json to CSV and to stdout: the whole value as written', async () => {
    const { r: csv } = await jsonRun('csv');
    expect(csv.code, csv.stderr).toBe(0);
    expect(csvRowFor(csv.stdout, 'extract, json').row[1]).toBe(ANSWER);
    const { r: jsonl } = await jsonRun('jsonl');
    expect(jsonlLineFor(jsonl.stdout, 'extract, json')).toContain(`"output":${ANSWER}`);
  });

  it('--compact keeps the rest of a row as it was: a kept input field above 2^53 stays a number', async () => {
    const { mock, run } = await server({ schema: { answer: () => '{"id":7}' } });
    const input = write('kept.jsonl', '{"prompt":"extract","ref":98765432109876543210,"at":1e23}\n');
    const out = path.join(dir, `${++n}-kept.jsonl`);
    const r = await run([input, '--json', '--keep-fields', 'ref,at', '-o', out, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const written = fs.readFileSync(out, 'utf8');
    expect(written).toContain('"output":{"id":7}');
    const keptInput = /"input":\{[^}]*\}/.exec(written)![0];
    const compacted = path.join(dir, `${++n}-kept-compacted.jsonl`);
    const c = await runInWorker(['--compact', out, '-o', compacted, '-q', '--base-url', mock.url]);
    expect(c.code, c.stderr).toBe(0);
    const again = fs.readFileSync(compacted, 'utf8');
    expect(again).toContain('"output":{"id":7}');
    expect(again).toContain(keptInput);
    expect(again).not.toContain('isLosslessNumber');
  });

  it('a key given twice: the last value, as JSON.parse takes it, with its digits as written (JSONL and CSV)', async () => {
    const { r: jsonl } = await jsonRun('jsonl');
    expect(jsonl.code, jsonl.stderr).toBe(0);
    expect(jsonlLineFor(jsonl.stdout, 'twice, json')).toContain('"output":{"id":12345678901234567890,"label":"a","n":{"v":-0.0}}');
    const { r: csv } = await jsonRun('csv');
    expect(csvRowFor(csv.stdout, 'twice, json').row[1]).toBe('{"id":12345678901234567890,"label":"a","n":{"v":-0.0}}');
  });

  it('other spellings: -0.0 and -0 keep their sign, digits split by the point or an exponent stay; 1E5 and 1.50 are their value', async () => {
    const spelled = {
      nz: '-0.0',
      iz: '-0',
      huge: '1e400',
      e5: '1E5',
      dec: '0.10000000000000000001',
      int30: '123456789012345678901234567890',
      split: '1234567890.1234567890',
      shifted: '90071992547409.93e2',
      x: '1.50',
    };
    const written = { ...spelled, e5: '100000', x: '1.5' };
    const names = Object.keys(spelled);
    const schema = JSON.stringify({
      type: 'object',
      properties: Object.fromEntries(names.map((k) => [k, { type: k === 'iz' || k === 'int30' ? 'integer' : 'number' }])),
      required: names,
      additionalProperties: false,
    });
    const object = (v: Record<string, string>) => `{${names.map((k) => `"${k}":${v[k]}`).join(',')}}`;
    const { run } = await server({ schema: { answer: () => object(spelled) } });
    const jsonl = await run(['--json-schema', schema, '-q'], { stdin: 'extract the readings\n' });
    expect(jsonl.code, jsonl.stderr).toBe(0);
    expect(jsonl.stdout).toContain(`"output":${object(written)}`);
    const csv = await run(['--json-schema', schema, '-f', 'csv', '-q'], { stdin: 'extract the readings\n' });
    expect(csv.code, csv.stderr).toBe(0);
    const [header, row] = parse(csv.stdout) as string[][];
    expect(header!.slice(1, 1 + names.length)).toEqual(names);
    expect(row!.slice(1, 1 + names.length)).toEqual(Object.values(written));
  });
});

describe.concurrent('servers without structured outputs', () => {
  it('a 400 naming response_format stops the run after the first answer, with one line suggesting --schema-in-prompt', async () => {
    const { mock, run } = await server({ schema: { rejectResponseFormat: true } });
    const out = path.join(dir, `${++n}-refused.jsonl`);
    const r = await run(['--json-schema', SMALL, '-c', '1', '-o', out], { stdin: 'a\nb\nc\nd\ne\n' });
    expect(r.code).toBe(2);
    expect(mock.requests).toHaveLength(1);
    expect(fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '').toBe('');
    // One line saying what happened and what to do, the summary naming the stop, and the command that does it.
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^llm-batch: stopped \(response_format\): 0 ok, 0 failed/);
    expect(lines[0]).toMatch(
      /the server refused response_format \(.*'response_format' of type 'json_schema' is not supported.*\).*With --schema-in-prompt the schema goes in a system message instead, and answers are still validated: the command below adds it\./,
    );
    expect(lines[2]).toMatch(
      /^llm-batch: to finish the rest, run: llm-batch --json-schema '.*' -c 1 -o .* --schema-in-prompt --resume {2}# with the same input on stdin$/,
    );
    expect(r.stderr).not.toContain(SECRET_KEY);
  });

  it("OpenAI's 400 for a schema strict mode does not take: the schema is named as the problem, not the model", async () => {
    const invalid = "Invalid schema for response_format 'label': In context=('properties', 'e'), enum exceeds the limit of 15000 total characters.";
    const { mock, run } = await server({ schema: { rejectResponseFormat: invalid } });
    const r = await run(['--json-schema', SMALL, '-c', '1', '-o', path.join(dir, `${++n}-invalid.jsonl`)], { stdin: 'a\nb\n' });
    expect(r.code).toBe(2);
    expect(mock.requests).toHaveLength(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(
      `llm-batch: the server refused the schema (HTTP 400: ${invalid}): its strict mode does not take it as written. Change the schema and start the run again (its rows are of this schema), or go on with --schema-in-prompt (the command below adds it): the schema goes in a system message instead, without strict mode, and answers are still validated. Stopped before sending more.`,
    );
    expect(r.stderr).not.toMatch(/may not support structured outputs/);
  });

  it('--json: the stop prints the command adding --schema-in-prompt, which, run as printed, asks for JSON in a system message', async () => {
    const { mock, run } = await server({ schema: { rejectResponseFormat: true } });
    const input = write('json-refused.txt', 'name three colours\nreturn json: two shapes\n');
    const out = path.join(dir, `${++n}-json-refused.jsonl`);
    const stopped = await run([input, '--json', '-c', '1', '-o', out]);
    expect(stopped.code).toBe(2);
    const lines = stopped.stderr.trim().split('\n');
    expect(lines[0]).toMatch(
      /^llm-batch: the server refused response_format .*With --schema-in-prompt the request for a JSON object goes in a system message instead, and answers are still checked: the command below adds it\. Stopped before sending more\.$/,
    );
    const command = lines.at(-1)!.replace(/^llm-batch: to finish the rest, run: /, '');
    expect(command).toBe(`llm-batch ${input} --json -c 1 -o ${out} --base-url ${mock.url} --schema-in-prompt --resume`);

    const rest = await runCli(command.split(' ').slice(1));
    expect(rest.code, rest.stderr).toBe(0);
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    expect(rows.map((row) => [row.error, row.output])).toEqual([
      [null, { answer: 'name three colours' }],
      [null, { answer: 'return json: two shapes' }],
    ]);
    // After the one refused request: no response_format, our system message first (even when the prompt says JSON).
    expect(mock.requests).toHaveLength(3);
    for (const q of mock.requests.slice(1)) {
      expect(q.body.response_format).toBeUndefined();
      expect(q.body.messages).toEqual([
        { role: 'system', content: expect.stringMatching(/^Answer with a single valid JSON object\. Output only the JSON/) },
        { role: 'user', content: q.prompt },
      ]);
    }
  });

  it('--schema-in-prompt: no response_format, the schema at the start of the one system message, prompt untouched, still validated and re-asked', async () => {
    const { mock, run } = await server({ schema: { rejectResponseFormat: true } });
    const r = await run(['--json-schema', SMALL, '--schema-in-prompt', '--system', 'You grade things.', '-q'], { stdin: 'grade me [[schema:violate]]\n' });
    expect(r.code).toBe(0);
    const [row] = parseJsonl<ResultRow>(r.stdout);
    expect(row).toMatchObject({ error: null, attempts: 2 });
    expect(row!.output).toEqual({ label: expect.stringMatching(/^[ab]$/), score: expect.any(Number) });
    const first = mock.requests[0]!.body;
    expect(first.response_format).toBeUndefined();
    // One system message (chat templates such as Mistral's refuse a second): ours, a blank line, then --system's.
    expect(first.messages).toEqual([
      {
        role: 'system',
        content: expect.stringMatching(/^Answer with a single JSON object that is valid against this JSON Schema\.[\s\S]*\n```\n\nYou grade things\.$/),
      },
      { role: 'user', content: 'grade me [[schema:violate]]' },
    ]);
    expect(first.messages[0].content).toContain(SMALL);
    expect(mock.requests[1]!.body.messages.at(-1).content).toContain('unexpected property');
  });

  it('--schema-in-prompt with a root that is not an object asks for a JSON value, not an object', async () => {
    const { mock, run } = await server();
    const list = JSON.stringify({ type: 'array', items: { type: 'string' } });
    const r = await run(['--json-schema', list, '--schema-in-prompt', '-q'], { stdin: 'three colours\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(parseJsonl<ResultRow>(r.stdout)[0]).toMatchObject({ error: null, attempts: 1, output: expect.any(Array) });
    expect(mock.requests[0]!.body.messages[0].content).toMatch(/^Answer with a single JSON value that is valid against this JSON Schema\. /);
    // An object root's body, as its dry run shows the body the run sends (dry-run.ts's requestBody is the provider's).
    const object = await runInWorker(['--json-schema', SMALL, '--schema-in-prompt', '-q', '--dry-run', '--base-url', mock.url], { stdin: 'grade me\n' });
    expect(object.code, object.stderr).toBe(0);
    const body = firstBodyShown(object.stdout);
    expect(body.messages[0].content).toMatch(/^Answer with a single JSON object that is valid against this JSON Schema\. /);
    expect(body.messages[1]).toEqual({ role: 'user', content: 'grade me' });
  });
});

describe.concurrent('--json', () => {
  it('JSON mode: response_format json_object, a system message saying JSON only when no message does', async () => {
    const prompts = ['name three colours', 'return json: three colours'];
    const { mock, r } = await jsonRun('jsonl');
    expect(r.code).toBe(0);
    const rows = parseJsonl<ResultRow>(r.stdout);
    expect(prompts.map((prompt) => rows.find((row) => row.prompt === prompt)?.output)).toEqual([
      { answer: 'name three colours' },
      { answer: 'return json: three colours' },
    ]);
    const [plain, saysJson] = prompts.map((prompt) => {
      const sent = mock.requests.filter((q) => q.prompt === prompt);
      expect(sent, prompt).toHaveLength(1);
      return sent[0]!.body;
    });
    expect(plain.response_format).toEqual({ type: 'json_object' });
    expect(plain.messages).toEqual([
      { role: 'system', content: expect.stringMatching(/JSON/) },
      { role: 'user', content: 'name three colours' },
    ]);
    expect(saysJson.messages).toEqual([{ role: 'user', content: 'return json: three colours' }]);
  });

  it('an answer that is JSON but not an object is re-asked, then an invalid_output row (/: must be object)', async () => {
    // `give X` answers X first and a valid object when re-asked; `always X` answers X every time.
    const { mock, run } = await server({
      schema: { answer: ({ prompt, reask }) => (prompt.startsWith('always ') ? prompt.slice(7) : reask === 0 ? prompt.slice(5) : undefined) },
    });
    const r = await run(['--json', '--schema-retries', '1', '-q'], { stdin: 'give null\ngive 42\ngive "str"\ngive [1,2]\nalways null\n' });
    expect(r.code, r.stderr).toBe(1);
    const rows = parseJsonl<ResultRow>(r.stdout);
    expect(rows).toHaveLength(5);
    for (const row of rows.filter((x) => x.prompt.startsWith('give'))) {
      expect(row).toMatchObject({ error: null, attempts: 2, output: { answer: row.prompt } });
    }
    const never = rows.find((x) => x.prompt === 'always null')!;
    expect(never).toMatchObject({ error: { type: 'invalid_output' }, attempts: 2, output: null, response: 'null' });
    expect(never.error!.message).toMatch(/^answer is not a JSON object: \/: must be object/);
    // No schema here: the re-ask asks for a JSON object, as JSON mode does, and names no schema.
    const reask = mock.requests.find((q) => q.body.messages.some((m: { role: string; content: string }) => m.role === 'assistant' && m.content === '42'))!;
    expect(reask.body.messages.at(-1).content).toBe(
      'Your answer was not a JSON object:\n- /: must be object\nAnswer again with only a JSON object, nothing else.',
    );
  });

  it('an answer that is not JSON is re-asked in words for JSON, not for a schema', async () => {
    const prompt = 'list colours [[schema:invalid-json]]';
    const { mock, r } = await jsonRun('jsonl');
    expect(r.code, r.stderr).toBe(0);
    expect(parseJsonl<ResultRow>(r.stdout).find((row) => row.prompt === prompt)).toMatchObject({ error: null, attempts: 2 });
    const sent = mock.requests.filter((q) => q.body.messages.some((m: { role: string; content: string }) => m.role === 'user' && m.content === prompt));
    const complaint: string = sent[1]!.body.messages.at(-1).content;
    expect(complaint).toBe("Your answer was not valid JSON:\n- Unexpected token 'S'\nAnswer again with only the corrected JSON, nothing else.");
    expect(complaint).not.toMatch(/schema/i);
  });
});

describe.concurrent('schema problems are usage errors before any request', () => {
  it.each<[string, string, RegExp]>([
    [
      'minLength',
      JSON.stringify({ type: 'object', properties: { s: { type: 'string', minLength: 2 } } }),
      /^llm-batch: --json-schema \(inline\): \/properties\/s\/minLength: minLength is not supported in strict mode; .*--schema-in-prompt/,
    ],
    [
      'open map',
      JSON.stringify({ type: 'object', properties: { m: { type: 'object', additionalProperties: { type: 'number' } } } }),
      /^llm-batch: --json-schema \(inline\): \/properties\/m\/additionalProperties: additionalProperties must be false/,
    ],
    ['root array', JSON.stringify({ type: 'array', items: {} }), /^llm-batch: --json-schema \(inline\): \/: the root must be \{"type": "object"\}/],
  ])('%s', async (_name, schema, message) => {
    const { mock } = await server();
    const r = await runInWorker(['--json-schema', schema, '--base-url', mock.url], { stdin: 'x\n' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(mock.requests).toHaveLength(0);
  });

  it('a schema file that is not JSON: file, line and column', async () => {
    const { mock } = await server();
    const file = write('broken.json', '{\n  "type": "object",\n  "properties": {,}\n}\n');
    const r = await runInWorker(['--json-schema', file, '--base-url', mock.url], { stdin: 'x\n' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(new RegExp(`^llm-batch: --json-schema ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON at line 3 column 18`));
    expect(mock.requests).toHaveLength(0);
  });

  it('a schema file strict mode refuses: the file, then the place in it (not a pointer where the file goes)', async () => {
    const { mock } = await server();
    const file = write('foo-type.json', '{"type":"foo"}\n');
    const r = await runInWorker(['--json-schema', file, '--base-url', mock.url], { stdin: 'x\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`^llm-batch: --json-schema ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: /: the root must be \\{"type": "object"\\}[^\\n]*\\n$`),
    );
    expect(mock.requests).toHaveLength(0);
  });

  it.each([[[]], [['--schema-in-prompt']]])('a schema nested thousands of levels deep %j: one line, exit 2, not a stack overflow', async (extra) => {
    const { mock } = await server();
    const file = write(`deep${extra.length}.json`, `${'{"type":"object","properties":{"a":'.repeat(5000)}{"type":"string"}${'}}'.repeat(5000)}`);
    const r = await runInWorker(['--json-schema', file, ...extra, '--base-url', mock.url], { stdin: 'x\n' });
    expect([r.code, r.stderr]).toEqual([2, `llm-batch: --json-schema ${file}: nested deeper than 200 levels\n`]);
    expect(mock.requests).toHaveLength(0);
  });

  it('a missing schema file; --schema-in-prompt alone; --json with --json-schema', async () => {
    const missing = await runCli(['--json-schema', path.join(dir, 'nope.json'), '--mock'], { stdin: 'x\n' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--json-schema .*nope\.json: no such file/);
    const alone = await runInWorker(['--schema-in-prompt', '--mock'], { stdin: 'x\n' });
    expect(alone.stderr).toMatch(/--schema-in-prompt goes with --json-schema/);
    const both = await runInWorker(['--json', '--json-schema', SMALL, '--mock'], { stdin: 'x\n' });
    expect(both.stderr).toMatch(/--json and --json-schema: pick one/);
    const retries = await runInWorker(['--schema-retries', '3', '--mock'], { stdin: 'x\n' });
    expect(retries.code).toBe(2);
    expect(retries.stderr).toMatch(/--schema-retries goes with --json-schema or --json/);
  });

  it('--param response_format beside --json or --json-schema is refused (it was dropped unsaid); --schema-in-prompt sends it', async () => {
    const { mock, run } = await server();
    const param = ['--param', 'response_format={"type":"text"}'];
    const schema = await runInWorker(['--json-schema', SMALL, ...param, '--base-url', mock.url], { stdin: 'x\n' });
    expect(schema.code).toBe(2);
    expect(schema.stderr).toBe('llm-batch: --param response_format: set by --json-schema (add --schema-in-prompt to send yours beside the schema)\n');
    const json = await runInWorker(['--json', ...param, '--base-url', mock.url], { stdin: 'x\n' });
    expect(json.code).toBe(2);
    expect(json.stderr).toBe('llm-batch: --param response_format: set by --json (add --schema-in-prompt to send yours)\n');
    expect(mock.requests).toHaveLength(0);
    const inPrompt = await run(['--json-schema', SMALL, '--schema-in-prompt', '--param', 'response_format={"type":"json_object"}', '-q'], { stdin: 'x\n' });
    expect(inPrompt.code, inPrompt.stderr).toBe(0);
    expect(mock.requests[0]!.body.response_format).toEqual({ type: 'json_object' });
  });
});

describe('--dry-run', () => {
  it('shows the final body with the strict schema, the strictness notes and the CSV columns', async () => {
    const r = await runCli([TICKETS, '--template', '{{subject}}: {{body}}', '--json-schema', TICKET_SCHEMA, '--dry-run', '-o', path.join(dir, 'never.csv')], {
      env: { OPENAI_API_KEY: undefined },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('made strict for structured outputs: optional /properties/order_id made required and nullable');
    expect(r.stdout).toContain('CSV columns after id: sentiment, category, urgent, summary, products, order_id');
    const body = firstBodyShown(r.stdout);
    expect(body.response_format.json_schema.schema).toEqual(strictTicket);
    expect(body.response_format.json_schema.strict).toBe(true);
  });
});
