/**
 * Review s8 D9: the parts of an answer that documented request parameters ask for — `tools` (the
 * model's function calls) and `logprobs` — reach the rows, streamed and whole, over the lean path,
 * the SDK's (--trace), the Batch API, and back out of the response cache; CSV carries them as
 * compact JSON columns only in a run that asks for them. The built CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { rowsOf, ROW_FIELDS, useServers } from '../helpers/mock-server-hooks.js';
import { parseJsonl } from '../helpers/run-cli.js';
import type { ResultRow } from '../../src/types.js';

const { dir, fresh, writeFile } = useServers('llm-batch-answer-parts-');

const tool = (name: string) => ({ type: 'function', function: { name, parameters: { type: 'object', properties: { prompt: { type: 'string' } } } } });
const TOOLS = [tool('get_weather'), tool('get_time')];

/** A JSONL input whose rows ask for tools (the first two) and one that does not. */
function toolInput(name: string): string {
  const rows = [
    { id: 't1', prompt: 'weather in Paris?', tools: TOOLS },
    { id: 't2', prompt: 'time in Rome?', tools: TOOLS, parallel_tool_calls: false },
    { id: 'p1', prompt: 'plain question' },
  ];
  return writeFile(name, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** The calls the mock makes for `prompt`: one per tool, `{"prompt": …}` as arguments. */
function expectCalls(row: ResultRow | undefined, names: string[], prompt: string): void {
  expect(row, prompt).toBeDefined();
  expect(row!.error).toBeNull();
  expect(row!.response).toBe('');
  expect(row!.finish_reason).toBe('tool_calls');
  expect(row!.tool_calls).toHaveLength(names.length);
  row!.tool_calls!.forEach((call, i) => {
    expect(call).toEqual({
      id: expect.stringMatching(/^call_mock_\d+_\d$/),
      type: 'function',
      function: { name: names[i], arguments: JSON.stringify({ prompt }) },
    });
  });
}

const byId = (rows: ResultRow[]) => new Map(rows.map((r) => [r.id, r]));

describe('tool calls (D9)', () => {
  it.each([
    ['streamed', []],
    ['whole', ['--no-stream']],
    ['streamed through the SDK (--trace)', ['--trace', 'TRACE']],
  ])('%s: a tool-call answer is a success row carrying tool_calls; a row without tools has none', async (_name, extra) => {
    const { run } = await fresh();
    const args = extra.map((a) => (a === 'TRACE' ? path.join(dir, `trace-${Math.random().toString(36).slice(2)}.log`) : a));
    const r = await run([toolInput(`tools-${args.length}-${Math.random().toString(36).slice(2)}.jsonl`), '--no-cache', '-q', ...args]);
    expect(r.code, r.stderr).toBe(0);
    const rows = byId(rowsOf(r));
    expectCalls(rows.get('t1'), ['get_weather', 'get_time'], 'weather in Paris?');
    expectCalls(rows.get('t2'), ['get_weather'], 'time in Rome?');
    const plain = rows.get('p1')!;
    expect(Object.keys(plain)).toEqual(ROW_FIELDS);
    expect(plain.response).toBe('ECHO plain question');
  });

  it('a cache hit gives the same row, tool calls included, without a request', async () => {
    const { run, server } = await fresh();
    const input = toolInput('tools-cache.jsonl');
    const cacheDir = path.join(dir, 'cache-tools');
    const first = await run([input, '--cache-dir', cacheDir, '-q']);
    expect(first.code, first.stderr).toBe(0);
    server.reset();
    const again = await run([input, '--cache-dir', cacheDir, '-q']);
    expect(again.code, again.stderr).toBe(0);
    expect(server.requests).toHaveLength(0);
    const before = byId(rowsOf(first));
    const after = byId(rowsOf(again));
    expectCalls(before.get('t1'), ['get_weather', 'get_time'], 'weather in Paris?');
    for (const id of ['t1', 't2']) {
      expect(after.get(id)!.cached).toBe(true);
      expect(after.get(id)!.tool_calls).toEqual(before.get(id)!.tool_calls);
      expect(after.get(id)!.finish_reason).toBe('tool_calls');
    }
    expect(after.get('p1')!.tool_calls).toBeUndefined();
  });

  it('CSV output from an input whose rows set tools: a tool_calls column of compact JSON; --resume continues it', async () => {
    const { run, server } = await fresh();
    const input = toolInput('tools-csv.jsonl');
    const out = path.join(dir, 'tools.csv');
    const first = await run([input, '--no-cache', '-o', out, '--limit', '2', '-q']);
    expect(first.code, first.stderr).toBe(0);
    const again = await run([input, '--no-cache', '-o', out, '--resume', '-q']);
    expect(again.code, again.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt).sort()).toEqual(['plain question', 'time in Rome?', 'weather in Paris?']);
    const [header, ...records] = parse(fs.readFileSync(out)) as string[][];
    expect(header!.slice(-2)).toEqual(['batch_id', 'tool_calls']);
    expect(new Set(header).size).toBe(header!.length);
    const cells = new Map(records.map((rec) => [rec[0], rec.at(-1)]));
    const t1 = JSON.parse(cells.get('t1')!);
    expect(t1.map((c: { function: { name: string } }) => c.function.name)).toEqual(['get_weather', 'get_time']);
    expect(cells.get('t1')).not.toMatch(/\n| {2}/);
    expect(cells.get('p1')).toBe('');
    // The file reads back as rows (what --compact and the report do): tool calls included.
    const compacted = path.join(dir, 'tools-compacted.jsonl');
    const c = await run(['--compact', out, '-o', compacted]);
    expect(c.code, c.stderr).toBe(0);
    const back = byId(parseJsonl<ResultRow>(fs.readFileSync(compacted, 'utf8')));
    expect(back.get('t1')!.tool_calls).toEqual(t1);
    expect(back.get('p1')!.tool_calls).toBeUndefined();
  });

  it('CSV output from a UTF-16 input whose rows set tools: the tool_calls column is there, as for UTF-8', async () => {
    const { run } = await fresh();
    const utf8 = fs.readFileSync(toolInput('tools-utf16.jsonl'), 'utf8');
    const input = path.join(dir, 'tools-utf16.jsonl');
    fs.writeFileSync(input, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(utf8, 'utf16le')]));
    const out = path.join(dir, 'tools-utf16.csv');
    const r = await run([input, '--no-cache', '-o', out, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...records] = parse(fs.readFileSync(out)) as string[][];
    expect(header!.at(-1)).toBe('tool_calls');
    const t1 = JSON.parse(records.find((rec) => rec[0] === 't1')!.at(-1)!);
    expect(t1.map((c: { function: { name: string } }) => c.function.name)).toEqual(['get_weather', 'get_time']);
  });

  it('--batch-api collects tool calls into the rows, and stores them in the cache for a live run', async () => {
    const { run, server } = await fresh();
    const input = toolInput('tools-batch.jsonl');
    const out = path.join(dir, 'tools-batch.out.jsonl');
    const cacheDir = path.join(dir, 'cache-batch');
    const r = await run([input, '-o', out, '--batch-api', '--poll', '0.05', '-m', 'gpt-4o-mini', '--cache-dir', cacheDir, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const rows = byId(parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8')));
    expect(rows.get('t1')!.tool_calls!.map((c) => c.function.name)).toEqual(['get_weather', 'get_time']);
    expect(rows.get('t1')!.finish_reason).toBe('tool_calls');
    expect(rows.get('p1')!.tool_calls).toBeUndefined();
    server.reset();
    const live = await run([input, '-m', 'gpt-4o-mini', '--cache-dir', cacheDir, '-q']);
    expect(live.code, live.stderr).toBe(0);
    expect(server.requests).toHaveLength(0);
    const hits = byId(rowsOf(live));
    expect(hits.get('t1')!.cached).toBe(true);
    expect(hits.get('t1')!.tool_calls).toEqual(rows.get('t1')!.tool_calls);
  });
});

describe('logprobs (D9)', () => {
  it.each([
    ['streamed', []],
    ['whole', ['--no-stream']],
  ])('%s: --param logprobs=true puts the answer logprobs in the row, one entry per token', async (_name, extra) => {
    const { run } = await fresh();
    const input = writeFile(`lp-${extra.length}.txt`, 'one two three four\n');
    const r = await run([input, '--param', 'logprobs=true', '--no-cache', '-q', ...extra]);
    expect(r.code, r.stderr).toBe(0);
    const [row] = rowsOf(r);
    const content = (row!.logprobs as { content: Array<{ token: string; logprob: number }> }).content;
    expect(content.length).toBeGreaterThan(1);
    expect(content.map((t) => t.token).join('')).toBe(row!.response);
    expect(content.every((t) => t.logprob === -0.5)).toBe(true);
  });

  it('CSV: a logprobs column only when asked for, and a cache hit carries the same logprobs', async () => {
    const { run, server } = await fresh();
    const input = writeFile('lp.txt', 'alpha beta gamma\n');
    const cacheDir = path.join(dir, 'cache-lp');
    const out = path.join(dir, 'lp.csv');
    const first = await run([input, '--param', 'logprobs=true', '--cache-dir', cacheDir, '-o', out, '-q']);
    expect(first.code, first.stderr).toBe(0);
    const again = await run([input, '--param', 'logprobs=true', '--cache-dir', cacheDir, '-o', path.join(dir, 'lp2.csv'), '-q']);
    expect(again.code, again.stderr).toBe(0);
    expect(server.requests).toHaveLength(1);
    const read = (file: string) => parse(fs.readFileSync(file), { columns: true }) as Array<Record<string, string>>;
    const [live] = read(out);
    const [hit] = read(path.join(dir, 'lp2.csv'));
    expect(hit!['cached']).toBe('true');
    expect(JSON.parse(hit!['logprobs']!)).toEqual(JSON.parse(live!['logprobs']!));
    expect(
      JSON.parse(live!['logprobs']!)
        .content.map((t: { token: string }) => t.token)
        .join(''),
    ).toBe(live!['response']);
    // An ordinary run's CSV has no such columns.
    const plain = path.join(dir, 'plain.csv');
    expect((await run([input, '--no-cache', '-o', plain, '-q'])).code).toBe(0);
    expect(fs.readFileSync(plain, 'utf8').split('\n')[0]).toMatch(/,batch_id$/);
  });
});
