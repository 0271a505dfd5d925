/**
 * An input's numbers reach the prompt, the id and the kept fields as the input wrote them: one a
 * double cannot hold (an order id above 2^53, a 20-digit decimal, 1e400) and a minus zero, which
 * JSON.parse turned into another number (12345678901234567890 into 12345678901234567000, so two ids
 * clashed). The BUILT CLI against the mock server, JSONL and .json input, JSONL and CSV output,
 * --resume, --compact and --batch-api; on Node 20 (lossless-json) as on 22 and 24 (JSON.rawJSON).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import type { ResultRow } from '../../src/types.js';

const ctx = useServerAndCaseDir('llm-batch-input-numbers-');

/** Numbers JSON.parse changes, each as its row writes it; the ids of the first two are one double. */
const ROWS = [
  '{"id":12345678901234567890,"oid":12345678901234567890}',
  '{"id":12345678901234567891,"oid":-0.0}',
  '{"id":"c","oid":0.10000000000000000001}',
  '{"id":"d","oid":1e400}',
  '{"id":-0.0,"oid":{"n":98765432109876543210,"s":"x"}}',
];
const IDS = ['12345678901234567890', '12345678901234567891', 'c', 'd', '-0.0'];
const OIDS = ['12345678901234567890', '-0.0', '0.10000000000000000001', '1e400', '{"n":98765432109876543210,"s":"x"}'];
const PROMPTS = OIDS.map((oid) => `order ${oid}`);
/** `input` as each row writes it, with --keep-fields id,oid. */
const INPUTS = ROWS;

const write = (name: string, text: string): string => {
  const file = path.join(ctx.dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const jsonlInput = (): string => write('in.jsonl', `${ROWS.join('\n')}\n`);
const base = (): string[] => ['--base-url', ctx.server.url, '--no-cache'];
const sentPrompts = (): string[] => ctx.server.requests.map((q) => q.prompt).sort();
/** Each JSONL row's id, prompt and `input` as written in the file (lossless-json reads every number as its text). */
const written = (file: string): Array<{ id: string; prompt: string; input: string }> =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const row = parseLossless(l) as Record<string, unknown>;
      return { id: row.id as string, prompt: row.prompt as string, input: stringifyLossless(row.input) ?? '' };
    })
    .sort((a, b) => IDS.indexOf(a.id) - IDS.indexOf(b.id));
const expected = IDS.map((id, i) => ({ id, prompt: PROMPTS[i]!, input: INPUTS[i]! }));

describe('input numbers as written', () => {
  it('JSONL: the prompt, the id and the kept fields say what the file says; long ids do not clash', async () => {
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([jsonlInput(), '--template', 'order {{oid}}', '--keep-fields', 'id,oid', '-o', out, ...base()]);
    expect(r.code, r.stderr).toBe(0);
    expect(sentPrompts()).toEqual([...PROMPTS].sort());
    expect(written(out)).toEqual(expected);
    expect(parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8')).map((row) => row.response)).toEqual(expect.arrayContaining(PROMPTS.map((p) => `ECHO ${p}`)));
  });

  it('CSV output: the id, prompt and kept-field cells are the digits as written', async () => {
    const out = path.join(ctx.dir, 'out.csv');
    const r = await runCli([jsonlInput(), '--template', 'order {{oid}}', '--keep-fields', 'oid', '-o', out, ...base()]);
    expect(r.code, r.stderr).toBe(0);
    const rows = parseCsv(fs.readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    const cells = rows.map((row) => [row.id, row.prompt, row.oid]).sort((a, b) => IDS.indexOf(a[0]!) - IDS.indexOf(b[0]!));
    expect(cells).toEqual(IDS.map((id, i) => [id, PROMPTS[i], OIDS[i]]));
  });

  it('.json input: as JSONL', async () => {
    const input = write('in.json', `[\n${ROWS.join(',\n')}\n]\n`);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '--template', 'order {{oid}}', '--keep-fields', 'id,oid', '-o', out, ...base()]);
    expect(r.code, r.stderr).toBe(0);
    expect(sentPrompts()).toEqual([...PROMPTS].sort());
    expect(written(out)).toEqual(expected);
  });

  it('--resume pairs rows by the ids as written; --compact, and --compact to CSV, keep the kept fields', async () => {
    const input = jsonlInput();
    const out = path.join(ctx.dir, 'out.jsonl');
    const first = await runCli([input, '--template', 'order {{oid}}', '--keep-fields', 'id,oid', '-o', out, '--limit', '2', ...base()]);
    expect(first.code, first.stderr).toBe(0);
    ctx.server.reset();
    const resumed = await runCli([input, '--template', 'order {{oid}}', '--keep-fields', 'id,oid', '-o', out, '--resume', ...base()]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(sentPrompts()).toEqual(PROMPTS.slice(2).sort());
    expect(written(out)).toEqual(expected);

    ctx.server.reset();
    const again = await runCli([input, '--template', 'order {{oid}}', '--keep-fields', 'id,oid', '-o', out, '--resume', ...base()]);
    expect(again.code, again.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(0);

    const compacted = path.join(ctx.dir, 'compacted.jsonl');
    const c = await runCli(['--compact', out, '-o', compacted]);
    expect(c.code, c.stderr).toBe(0);
    expect(written(compacted)).toEqual(expected);
    const csv = path.join(ctx.dir, 'compacted.csv');
    const toCsv = await runInWorker(['--compact', out, '-o', csv]);
    expect(toCsv.code, toCsv.stderr).toBe(0);
    const rows = parseCsv(fs.readFileSync(csv, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => row.oid).sort()).toEqual([...OIDS].sort());
  });

  it('--json: a row with an output keeps its input as written, live and through --compact', async () => {
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([jsonlInput(), '--template', 'order {{oid}}', '--keep-fields', 'id,oid', '--json', '-o', out, ...base()]);
    expect(r.code, r.stderr).toBe(0);
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    expect(rows.every((row) => typeof row.output === 'object' && row.output !== null)).toBe(true);
    expect(written(out)).toEqual(expected);
    const compacted = path.join(ctx.dir, 'compacted.jsonl');
    const c = await runInWorker(['--compact', out, '-o', compacted]);
    expect(c.code, c.stderr).toBe(0);
    expect(written(compacted)).toEqual(expected);
  });

  it('--batch-api: the custom_id is the id as written, and the collected rows are as a live run writes them', async () => {
    ctx.server.options.batches = { stepMs: 30 };
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([
      jsonlInput(),
      '--template',
      'order {{oid}}',
      '--keep-fields',
      'id,oid',
      '-o',
      out,
      '-m',
      'gpt-4o-mini',
      '--batch-api',
      '--poll',
      '0.05',
      ...base(),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = ctx.server.batchState.uploaded.flatMap((f) =>
      f.bytes
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { custom_id: string; body: { messages: Array<{ content: string }> } }),
    );
    expect(lines.map((l) => [l.custom_id, l.body.messages.at(-1)!.content])).toEqual(IDS.map((id, i) => [id, PROMPTS[i]]));
    expect(written(out)).toEqual(expected);
  });

  it('a Batch API line whose custom_id is a long number, and a prompt field that is one', async () => {
    const input = write(
      'in.jsonl',
      '{"custom_id":12345678901234567890,"method":"POST","url":"/v1/chat/completions","body":{"messages":[{"role":"user","content":"a"}]}}\n' +
        '{"custom_id":12345678901234567891,"method":"POST","url":"/v1/chat/completions","body":{"messages":[{"role":"user","content":"b"}]}}\n' +
        '{"id":"p","prompt":12345678901234567890}\n',
    );
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '--keep-fields', 'prompt', '-o', out, ...base()]);
    expect(r.code).toBe(1);
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8')).sort((a, b) => a.line - b.line);
    expect(rows.map((row) => [row.id, row.response ?? row.error?.message])).toEqual([
      ['12345678901234567890', 'ECHO a'],
      ['12345678901234567891', 'ECHO b'],
      ['p', expect.stringMatching(/in\.jsonl:3: "prompt" must be a string/)],
    ]);
    expect(written(out).find((row) => row.id === 'p')!.input).toBe('{"prompt":12345678901234567890}');
  });
});
