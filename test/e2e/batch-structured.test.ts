/**
 * --batch-api with --json-schema / --json, end to end: the BUILT CLI against the mock server's
 * /v1/files and /v1/batches, whose answers to structured lines come from test/helpers/schema-answers.ts.
 * Lines carry the live body's response_format (and --schema-in-prompt's system message); collected
 * answers go through the live answer check; invalid ones are re-asked live only with --finish-live.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { beforeEach, describe, expect, it } from 'vitest';
import { holdAnswers, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { reportDataOf } from '../helpers/report-data.js';
import { until } from '../helpers/until.js';
import { ROOT, SECRET_KEY, parseJsonl, runCli, spawnCli, waitForExit, writePrompts, type CliResult } from '../helpers/run-cli.js';
import type { ResultRow } from '../../src/types.js';

const ctx = useServerAndCaseDir('llm-batch-batch-structured-');

beforeEach(() => {
  ctx.server.options.batches = { stepMs: 30 };
  ctx.server.options.schema = undefined; // a test's scripted answers stay in that test
});

const SMALL = JSON.stringify({
  type: 'object',
  properties: { label: { type: 'string', enum: ['a', 'b'] }, score: { type: 'integer', minimum: 1, maximum: 5 } },
  required: ['label', 'score'],
  additionalProperties: false,
});
const TICKETS = path.join(ROOT, 'fixtures', 'tickets.csv');
const TICKET_SCHEMA = path.join(ROOT, 'fixtures', 'ticket-schema.json');

const rowsOf = (file: string): ResultRow[] => parseJsonl<ResultRow>(fs.readFileSync(file, 'utf8'));
const batchArgs = () => ['--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '--batch-api', '--poll', '0.05'];
const uploadedBodies = (): any[] =>
  ctx.server.batchState.uploaded.flatMap((f) =>
    f.bytes
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l).body),
  );

/** The body a live run sends for the same input and flags, without the streaming fields a batch has not. */
async function liveBody(input: string, flags: string[]): Promise<any> {
  const before = ctx.server.requests.length;
  const r = await runCli([input, '-o', path.join(ctx.dir, 'live.jsonl'), '--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '--overwrite', ...flags]);
  expect(r.code, r.stderr).toBe(0);
  const { stream, stream_options, ...body } = ctx.server.requests[before]!.body as any;
  return body;
}

describe('--batch-api with structured output', () => {
  for (const [name, flags] of [
    ['--json-schema', ['--json-schema', SMALL]],
    ['--json-schema --schema-in-prompt', ['--json-schema', SMALL, '--schema-in-prompt']],
    ['--json', ['--json']],
    // Not structured, but the same promise: the run's request-parameter flags reach every line.
    ['--seed --top-p --stop --param', ['--seed', '7', '--top-p', '0.5', '--stop', 'END', '--param', 'presence_penalty=0.25']],
  ] as const) {
    it(`${name}: each line carries exactly the live body; answers are parsed into output`, async () => {
      const input = writePrompts(ctx.dir, 'in.txt', ['first question', 'second question']);
      const live = await liveBody(input, [...flags]);
      const out = path.join(ctx.dir, 'out.jsonl');
      const r = await runCli([input, '-o', out, ...batchArgs(), ...flags]);
      expect(r.stderr).not.toContain(SECRET_KEY);
      expect(r.code, r.stderr).toBe(0);
      const bodies = uploadedBodies();
      expect(bodies).toHaveLength(2);
      expect(bodies.find((b) => b.messages.at(-1).content === 'first question')).toEqual(live);
      if (name === '--json-schema') expect(live.response_format).toMatchObject({ type: 'json_schema', json_schema: { strict: true } });
      if (name === '--json') expect(live.response_format).toEqual({ type: 'json_object' });
      if (name.includes('in-prompt')) {
        expect(live).not.toHaveProperty('response_format');
        expect(live.messages[0]).toMatchObject({ role: 'system' });
      }
      if (name.startsWith('--seed')) {
        expect(live).toMatchObject({ seed: 7, top_p: 0.5, presence_penalty: 0.25 });
        expect(rowsOf(out).every((row) => row.error === null)).toBe(true);
        return;
      }
      const rows = rowsOf(out);
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(row.error).toBeNull();
        expect(row.output).toEqual(JSON.parse(row.response!));
        if (name !== '--json') expect(row.output).toMatchObject({ label: expect.stringMatching(/^[ab]$/), score: expect.any(Number) });
      }
    });
  }

  it('CSV output: the schema fields get their columns, with --keep-fields input columns', async () => {
    const out = path.join(ctx.dir, 'out.csv');
    const r = await runCli([
      TICKETS,
      '--template',
      '{{subject}}: {{body}}',
      '--json-schema',
      TICKET_SCHEMA,
      '--keep-fields',
      'subject',
      '-o',
      out,
      ...batchArgs(),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rows = parseCsv(fs.readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(6);
    const schema = JSON.parse(fs.readFileSync(TICKET_SCHEMA, 'utf8'));
    for (const field of Object.keys(schema.properties)) expect(Object.keys(rows[0]!)).toContain(field);
    for (const row of rows) {
      expect(row.error_type).toBe('');
      expect(row.subject).not.toBe('');
      expect(['positive', 'neutral', 'negative']).toContain(row.sentiment);
    }
  });

  it('an answer that fails validation: an invalid_output row keeping the raw text; --resume --retry-failed asks again', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['fine one', 'bad one']);
    const out = path.join(ctx.dir, 'out.jsonl');
    let faults = 0;
    ctx.server.options.schema = { fault: ({ prompt }) => (prompt.startsWith('bad') && faults++ === 0 ? 'violate' : undefined) };
    const r = await runCli([input, '-o', out, ...batchArgs(), '--json-schema', SMALL]);
    expect(r.code, r.stderr).toBe(1);
    const bad = rowsOf(out).find((x) => x.prompt === 'bad one')!;
    expect(bad.error).toMatchObject({ type: 'invalid_output' });
    expect(bad.error!.message).toMatch(/does not match the schema.*--resume --retry-failed/);
    expect(bad).toMatchObject({ output: null, attempts: 1 });
    expect(JSON.parse(bad.response!)).toHaveProperty('unexpected_field', true);
    expect(ctx.server.requests).toHaveLength(0); // no live request without --finish-live

    const again = await runCli([input, '-o', out, ...batchArgs(), '--json-schema', SMALL, '--resume', '--retry-failed']);
    expect(again.code, again.stderr).toBe(0);
    const rows = rowsOf(out);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatchObject({ error: null, output: { label: expect.any(String) } });
    expect(ctx.server.batchState.counts.creates).toBe(2);
  });

  it('--finish-live re-asks an invalid answer live, in the live conversation, counting the batch attempt and tokens', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['fine one', 'bad one [[schema:violate]]', 'hopeless [[schema:violate*9]]', 'cut [[schema:truncate]]']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summaryFile = path.join(ctx.dir, 'summary.json');
    const report = path.join(ctx.dir, 'run.html');
    const r = await runCli([
      input,
      '-o',
      out,
      ...batchArgs(),
      '--json-schema',
      SMALL,
      '--schema-retries',
      '1',
      '--finish-live',
      '--summary-json',
      summaryFile,
      '--report',
      report,
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/2 answers failed validation; re-asking them live \(--finish-live\)/);
    // Each record's batch answer was re-asked once; the hopeless one's live answer was its last.
    expect(r.stderr).toMatch(/, 2 re-asked \(invalid output\)/);
    const rows = rowsOf(out);
    expect(rows).toHaveLength(4);
    const by = new Map(rows.map((x) => [x.prompt.split(' ')[0], x]));
    expect(by.get('fine')).toMatchObject({ error: null, attempts: 1 });
    const fixed = by.get('bad')!;
    expect(fixed).toMatchObject({ error: null, attempts: 2, output: { label: expect.any(String) } });
    const hopeless = by.get('hopeless')!;
    expect(hopeless).toMatchObject({ error: { type: 'invalid_output' }, attempts: 2, output: null });
    expect(hopeless.error!.message).toMatch(/\(after 1 re-ask\)$/);
    // Cut off at the token limit: said so, not re-asked (the same limit would cut it again).
    const cut = by.get('cut')!;
    expect(cut).toMatchObject({ error: { type: 'invalid_output' }, attempts: 1, finish_reason: 'length', output: null });
    expect(cut.error!.message).toMatch(/cut off at the token limit/);
    expect(cut.error!.message).not.toMatch(/retry-failed/);
    // One live request each: the batch's request, its answer, and the validator's words.
    expect(ctx.server.requests).toHaveLength(2);
    const liveReq = ctx.server.requests.find((q) => (q.body as any).messages[0].content.startsWith('bad'))!;
    const sent = liveReq.body as any;
    const line = uploadedBodies().find((b) => b.messages[0].content.startsWith('bad'));
    expect(sent.response_format).toEqual(line.response_format);
    expect(sent.messages.slice(0, 1)).toEqual(line.messages);
    expect(sent.messages.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(sent.messages[2].content).toMatch(
      /^Your answer did not match the required JSON schema:\n- .*\nAnswer again with only the corrected JSON, nothing else\.$/s,
    );
    // The row's tokens are both answers': the batch's and the live re-ask's.
    expect(fixed.usage!.prompt_tokens).toBeGreaterThan(liveReq.tokens);
    // Its first answer came from the batch: it names the batch, and is priced at the Batch price as the
    // summary prices it (the report's cost agrees with the summary's).
    expect(fixed.batch_id).toBe(by.get('fine')!.batch_id);
    expect(fixed.batch_id).toMatch(/^batch_/);
    // Requests as live: the batch's 4 lines and the 2 live re-asks.
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    expect(summary).toMatchObject({ requests: 6, reasks: 2 });
    const data = reportDataOf(report);
    expect(data.figures.cost.usd).toBe(summary.estimatedCost.usd);
    expect(data.figures.cost.usd).toBeGreaterThan(0);
  });

  it('--finish-live: a re-ask counts once it is sent; one a stop keeps back is none (stderr, --summary-json)', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['bad one [[schema:violate]]', 'bad two [[schema:violate]]']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summaryFile = path.join(ctx.dir, 's.json');
    // One slot: Ctrl-C while the first live re-ask is in flight keeps the second from being sent.
    const release = holdAnswers(ctx.server);
    const child = spawnCli([input, '-o', out, ...batchArgs(), '--json-schema', SMALL, '--finish-live', '-c', '1', '--summary-json', summaryFile]);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer | string) => (stderr += String(d)));
    const exit = waitForExit(child);
    try {
      await until(() => ctx.server.requests.length === 1, 'the first re-ask to be in flight');
      child.kill('SIGINT');
      await until(() => /stopping/.test(stderr), 'the SIGINT to be acknowledged', 5_000);
    } finally {
      release();
    }
    const r = await exit;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/2 answers failed validation; re-asking them live \(--finish-live\)/);
    // The batch being finished live has ended on the server: nothing there runs (or bills) on.
    expect(r.stderr).toMatch(/^llm-batch: stopping: no new batch is submitted$/m);
    expect(r.stderr).toMatch(/1 batch is still pending: it has ended on the server, and nothing runs there; to continue, run: /);
    expect(r.stderr).not.toMatch(/keeps? running on the server/);
    expect(ctx.server.requests).toHaveLength(1);
    // Both were counted when they were decided (`2 re-asked`).
    expect(JSON.parse(fs.readFileSync(summaryFile, 'utf8')).reasks).toBe(1);
    expect(r.stderr).toMatch(/, 1 re-asked \(invalid output\)/);
  });

  /** One --fail-truncated run, a prompt answered whole, one cut at the token limit, one at the context length: the two tests below read a row each. */
  let failTruncated: Promise<{ r: CliResult; out: string }> | undefined;
  const failTruncatedRun = () =>
    (failTruncated ??= (async () => {
      const input = writePrompts(ctx.dir, 'in.txt', ['fine one', 'cut [[schema:truncate]]', 'long [[schema:overflow]]']);
      const out = path.join(ctx.dir, 'out.jsonl');
      return { r: await runCli([input, '-o', out, ...batchArgs(), '--json-schema', SMALL, '--fail-truncated']), out };
    })());

  it('--fail-truncated: a collected answer cut before its JSON was complete is a truncated row, as live (EXC s22 F8)', async () => {
    const { r, out } = await failTruncatedRun();
    expect(r.code, r.stderr).toBe(1);
    const by = new Map(rowsOf(out).map((x) => [x.prompt.split(' ')[0], x]));
    expect(by.get('fine')).toMatchObject({ error: null });
    expect(by.get('cut')).toMatchObject({ error: { type: 'truncated' }, finish_reason: 'length', output: null });
    expect(by.get('cut')!.error!.message).toMatch(/^answer cut off at the token limit \(finish_reason: length\) before its JSON was complete/);
  });

  it("--fail-truncated: one cut at the model's context length (Mistral's model_length) is a truncated row too", async () => {
    const { r, out } = await failTruncatedRun();
    expect(r.code, r.stderr).toBe(1);
    const by = new Map(rowsOf(out).map((x) => [x.prompt.split(' ')[0], x]));
    expect(by.get('fine')).toMatchObject({ error: null });
    expect(by.get('long')).toMatchObject({ error: { type: 'truncated' }, finish_reason: 'model_length', output: null });
    expect(by.get('long')!.error!.message).toMatch(
      /^answer cut off at the model's context length \(finish_reason: model_length\) before its JSON was complete; shorten the prompt/,
    );
  });

  it('--json: a collected answer that is not an object is invalid, and --finish-live re-asks it live', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['give 42', 'give [1,2]', 'always null', 'fine one']);
    const out = path.join(ctx.dir, 'out.jsonl');
    ctx.server.options.schema = {
      answer: ({ prompt, reask }) => (prompt.startsWith('always ') ? prompt.slice(7) : prompt.startsWith('give ') && reask === 0 ? prompt.slice(5) : undefined),
    };
    const r = await runCli([input, '-o', out, ...batchArgs(), '--json', '--schema-retries', '1', '--finish-live']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/3 answers failed validation; re-asking them live/);
    const by = new Map(rowsOf(out).map((x) => [x.prompt, x]));
    expect(by.get('fine one')).toMatchObject({ error: null, attempts: 1, output: { answer: 'fine one' } });
    expect(by.get('give 42')).toMatchObject({ error: null, attempts: 2, output: { answer: 'give 42' } });
    expect(by.get('give [1,2]')).toMatchObject({ error: null, attempts: 2, output: { answer: 'give [1,2]' } });
    const never = by.get('always null')!;
    expect(never).toMatchObject({ error: { type: 'invalid_output' }, attempts: 2, output: null, response: 'null' });
    expect(never.error!.message).toMatch(/^answer is not a JSON object: \/: must be object/);
    // The live re-ask says what a live run's says: a JSON object, no schema.
    const reask = ctx.server.requests.find((q) => (q.body as any).messages.some((m: any) => m.role === 'assistant' && m.content === '42'))!;
    expect((reask.body as any).messages.at(-1).content).toBe(
      'Your answer was not a JSON object:\n- /: must be object\nAnswer again with only a JSON object, nothing else.',
    );
  });

  it('a collected answer keeps the numbers a double cannot hold as written, in output and in CSV cells', async () => {
    const answer = '{"label":"a","score":1234567890123456789}';
    ctx.server.options.schema = { answer: () => answer };
    const schema = SMALL.replace('"minimum":1,"maximum":5', '"minimum":1');
    const input = writePrompts(ctx.dir, 'in.txt', ['big id']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs(), '--json-schema', schema]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toContain(`"output":${answer}`);
    const csv = path.join(ctx.dir, 'out.csv');
    const c = await runCli([input, '-o', csv, ...batchArgs(), '--json-schema', schema]);
    expect(c.code, c.stderr).toBe(0);
    const [header, row] = parseCsv(fs.readFileSync(csv, 'utf8')) as string[][];
    expect(header!.slice(0, 3)).toEqual(['id', 'label', 'score']);
    expect(row!.slice(1, 3)).toEqual(['a', '1234567890123456789']);
  });

  it('an answer cut off at the token limit counts as truncated live and collected alike (stderr, --summary-json)', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['fine one', 'cut [[schema:truncate]]']);
    const counted = async (mode: string, flags: string[]) => {
      const summaryFile = path.join(ctx.dir, `${mode}.sum.json`);
      const r = await runCli([input, '-o', path.join(ctx.dir, `${mode}.jsonl`), ...flags, '--json-schema', SMALL, '--summary-json', summaryFile]);
      expect(r.code, r.stderr).toBe(1);
      const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
      return { truncated: summary.truncated, failed: summary.failedByType, line: /1 truncated at the token limit/.test(r.stderr) };
    };
    const live = await counted('live', ['--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '--no-stream']);
    const batch = await counted('batch', batchArgs());
    expect(live).toEqual({ truncated: 1, failed: { invalid_output: 1 }, line: true });
    expect(batch).toEqual(live);
  });

  it('cancel writes the rows as the run would: schema columns, --keep-fields, answers checked', async () => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 30, hold: () => holding };
    const out = path.join(ctx.dir, 'out.csv');
    const args = [
      TICKETS,
      '--template',
      '{{subject}}: {{body}}',
      '--json-schema',
      TICKET_SCHEMA,
      '--keep-fields',
      'subject',
      '-o',
      out,
      ...batchArgs(),
      '--batch-size',
      '3',
    ];
    expect((await runCli([...args, '--no-wait'])).code).toBe(75);
    // The mock answers half of a held batch before the cancel lands.
    const cancelled = await runCli(['cancel', out, '--base-url', ctx.server.url, '--poll', '0.05']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    let rows = parseCsv(fs.readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(6);
    const answered = rows.filter((r) => r.error_type === '');
    expect(answered.length).toBeGreaterThan(0);
    for (const r of answered) expect(['positive', 'neutral', 'negative']).toContain(r.sentiment);
    for (const r of rows) expect(r.subject).not.toBe('');
    expect(rows.filter((r) => r.error_type === 'aborted')).toHaveLength(6 - answered.length);

    holding = false;
    const resumed = await runCli([...args, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    rows = parseCsv(fs.readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    const last = new Map(rows.map((r) => [r.id, r]));
    expect(last.size).toBe(6);
    for (const r of last.values()) expect(r).toMatchObject({ error_type: '', sentiment: expect.stringMatching(/^(positive|neutral|negative)$/) });
  });

  it('an input with no prompts exits 5, as a live run does, and --summary-json says so', async () => {
    const input = writePrompts(ctx.dir, 'empty.txt', []);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(ctx.dir, 's.json');
    const r = await runCli([input, '-o', out, ...batchArgs(), '--summary-json', summary]);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/no prompts in .*empty\.txt/);
    expect(ctx.server.batchState.counts.creates).toBe(0);
    // Not a good run's summary: the exit code and the line that said why.
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ ok: 0, exitCode: 5, error: expect.stringMatching(/^no prompts in .*empty\.txt/) });
  });
});
