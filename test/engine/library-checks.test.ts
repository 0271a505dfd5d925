/**
 * The library's edges a review found open: expandMatrix's matrix, runBatch's extraBody, a record's
 * line, prompt and messages, a `complete` whose headers are a plain object, and `structured` without
 * `retries` (a type the runtime already took). Through the package's own API (src/index.ts).
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createRunBudget,
  expandMatrix,
  openResponseStore,
  readRecords,
  runBatch,
  UsageError,
  type Complete,
  type CompletionResult,
  type RecordInput,
} from '../../src/index.js';
import { until } from '../helpers/until.js';
import type { ResultRow } from '../../src/types.js';
import type { CheckResult } from '../../src/structured/check-types.js';

const record = (id: string, extra: Partial<RecordInput> = {}): RecordInput => ({
  id,
  line: 1,
  source: 's',
  prompt: 'hi',
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});

/** A complete that answers at once and notes the model each request was sent for. */
function answering(result: Partial<CompletionResult> = {}) {
  const sent: string[] = [];
  const complete = async (request: { model: string }): Promise<CompletionResult> => {
    sent.push(request.model);
    return { text: 'ok', finishReason: 'stop', usage: null, model: null, headers: null, ...result };
  };
  return { sent, complete };
}

async function rowsOf(records: Parameters<typeof runBatch>[0], options: Partial<Parameters<typeof runBatch>[1]> = {}) {
  const { sent, complete } = answering();
  const rows: ResultRow[] = [];
  for await (const row of runBatch(records, { complete, model: 'gpt-4o-mini', retries: 0, ...options })) rows.push(row);
  return { rows, sent };
}

describe('expandMatrix', () => {
  it.each([
    ['repeat NaN', { models: ['gpt-4o', 'o3'], repeat: Number.NaN }, /^matrix\.repeat must be a positive integer/],
    ['repeat 0', { models: ['gpt-4o'], repeat: 0 }, /^matrix\.repeat must be a positive integer/],
    ['repeat 1.5', { models: ['gpt-4o'], repeat: 1.5 }, /^matrix\.repeat must be a positive integer/],
    ['no models', { models: [], repeat: 2 }, /^matrix\.models must be a non-empty array of model names/],
    ['a blank model', { models: ['gpt-4o', ' '], repeat: 1 }, /^matrix\.models must be a non-empty array of model names/],
    ['no matrix', undefined, /^matrix must be an object with models and repeat/],
  ])('refuses %s as a UsageError, not a run that ends with no row', (_what, matrix, message) => {
    expect(() => expandMatrix([record('a')], matrix as never)).toThrow(UsageError);
    expect(() => expandMatrix([record('a')], matrix as never)).toThrow(message);
  });

  it("one model and one sample: the records go out for that model, not the run's; one naming its own keeps it", async () => {
    const records = [record('a'), record('b', { params: { model: 'o3' } })];
    const { rows, sent } = await rowsOf(expandMatrix(records, { models: ['gpt-4o'], repeat: 1 }));
    expect(sent.sort()).toEqual(['gpt-4o', 'o3']);
    expect(rows.map((r) => r.id).sort()).toEqual(['a', 'b']);
    // Not a matrix: the rows stay plain.
    expect(rows.every((r) => r.sample === undefined && r.requested_model === undefined)).toBe(true);
  });

  it("one model, options runBatch refuses: the records' file is closed, as a refusal closes what it was given", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-matrix-close-'));
    try {
      const file = path.join(dir, 'in.txt');
      fs.writeFileSync(file, 'one\ntwo\n');
      const stream = fs.createReadStream(file);
      const records = readRecords(stream, { format: 'txt', source: file });
      await expect(rowsOf(expandMatrix(records, { models: ['gpt-4o'], repeat: 1 }), { concurrency: 0 })).rejects.toThrow(UsageError);
      await until(() => stream.destroyed, 'the stream destroyed');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('several: a record per model and sample, from an array too', async () => {
    const { rows, sent } = await rowsOf(expandMatrix([record('a')], { models: ['gpt-4o', 'o3'], repeat: 2 }));
    expect(sent.sort()).toEqual(['gpt-4o', 'gpt-4o', 'o3', 'o3']);
    expect(rows.map((r) => `${r.requested_model}/${r.sample}`).sort()).toEqual(['gpt-4o/0', 'gpt-4o/1', 'o3/0', 'o3/1']);
  });
});

describe('runBatch refuses, as a UsageError', () => {
  it.each([
    ['a string', 'abc'],
    ['an array', [1, 2]],
  ])('an extraBody that is %s (it was spread into every body)', async (_what, extraBody) => {
    await expect(rowsOf([record('a')], { extraBody: extraBody as never })).rejects.toThrow(
      /^extraBody must be an object \(request-body fields for every request\) or left out, got /,
    );
  });

  it.each([
    ['no messages', { messages: [] }, /has no messages .*, got an empty array$/],
    ['no line', { line: undefined }, /: line must be a positive integer \(its place in the input\), got undefined$/],
    ['a line of 0', { line: 0 }, /: line must be a positive integer/],
    ['a prompt that is no string', { prompt: 42 }, /: prompt must be a string \(what its row shows of it\), got 42$/],
  ])('a record with %s', async (_what, extra, message) => {
    await expect(rowsOf([record('a', extra as Partial<RecordInput>)])).rejects.toThrow(message);
  });
});

describe("a complete's result", () => {
  it('with headers as a plain object: read as headers, the answer kept (it was failed, paid for again)', async () => {
    const { sent, complete } = answering({ headers: { 'x-ratelimit-remaining-requests': '5' } as never });
    const rows: ResultRow[] = [];
    for await (const row of runBatch([record('a')], { complete, model: 'm' })) rows.push(row);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ response: 'ok', error: null, attempts: 1 });
    expect(sent).toHaveLength(1);
  });

  it('is typed as the README has it: `{ text }` alone, or headers as a plain object of strings', async () => {
    // A type check as much as a run: `npm run typecheck` refused these (HeaderSource wanted `get`).
    const bare: Complete = async () => ({ text: 'ok' });
    const plain: Complete = async () => ({ text: 'ok', headers: { 'retry-after': '1' } });
    for (const complete of [bare, plain]) {
      const rows: ResultRow[] = [];
      for await (const row of runBatch([record('a')], { complete, model: 'm' })) rows.push(row);
      expect(rows.map((row) => [row.response, row.error, row.finish_reason, row.usage])).toEqual([['ok', null, null, null]]);
    }
  });
});

describe('structured', () => {
  it('without retries: re-asked twice, its default, and typed so', async () => {
    const answers = ['nope', 'nope', 'nope', 'nope'];
    let calls = 0;
    const complete = async (): Promise<CompletionResult> => ({
      text: answers[calls++] ?? 'nope',
      finishReason: 'stop',
      usage: null,
      model: null,
      headers: null,
    });
    const check = (text: string): CheckResult => (text === 'yes' ? { ok: true, value: {} } : { ok: false, kind: 'json', problems: ['not yes'] });
    const rows: ResultRow[] = [];
    for await (const row of runBatch([record('a')], { complete, model: 'm', structured: { check } })) rows.push(row);
    expect(calls).toBe(3);
    expect(rows[0]!.error).toMatchObject({ type: 'invalid_output' });
  });
});

describe('the library’s other entry points, given what a first try gives them', () => {
  it('readRecords takes bytes or text already in memory, and refuses no options as a UsageError', async () => {
    const opts = { format: 'txt' as const, source: 'mem' };
    for (const input of [Buffer.from('a\nb\n'), new TextEncoder().encode('a\nb\n'), 'a\nb\n']) {
      const prompts: string[] = [];
      for await (const record of readRecords(input, opts)) prompts.push(record.prompt);
      expect(prompts).toEqual(['a', 'b']);
    }
    expect(() => readRecords('a\n', undefined as never)).toThrow(UsageError);
    // A file's name is taken for the slip it likely is, not sent as the prompt; an ArrayBuffer is no source.
    const file = path.join(os.tmpdir(), `llm-batch-records-${process.pid}.txt`);
    fs.writeFileSync(file, 'x\n');
    try {
      expect(() => readRecords(file, opts)).toThrow(/is a file's name, read here as the input's text: pass fs\.createReadStream/);
    } finally {
      fs.rmSync(file, { force: true });
    }
    expect(() => readRecords(new ArrayBuffer(4) as never, opts)).toThrow(/^readRecords reads a Node or web stream/);
    // A one-line text no path can be is read as text, not a TypeError of the file check: a name too
    // long is one prompt, a NUL the decoder's refusal of a binary input.
    const long: string[] = [];
    for await (const record of readRecords('x'.repeat(5000), opts)) long.push(record.prompt);
    expect(long).toEqual(['x'.repeat(5000)]);
    await expect(
      (async () => {
        for await (const _ of readRecords('a\u0000b', opts));
      })(),
    ).rejects.toThrow(/mem: this is a binary file/);
  });

  it('createRunBudget with no options, openResponseStore with an empty path: UsageErrors, not a TypeError or the working directory', async () => {
    expect(() => createRunBudget(undefined as never)).toThrow(/^createRunBudget: options must be an object/);
    await expect(openResponseStore('')).rejects.toThrow(UsageError);
    await expect(openResponseStore('  ')).rejects.toThrow(/^openResponseStore: dir must be a directory path/);
  });
});
