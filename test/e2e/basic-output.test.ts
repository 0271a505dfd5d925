/**
 * Batch runner end to end, output side: every output form, streaming and not, the summary line,
 * -q, and the exit code of a clean run. Spawns the BUILT CLI: `npm run build` first.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { BIN, isolatedCacheDir, writePrompts } from '../helpers/run-cli.js';
import type { ResultRow } from '../../src/types.js';
import { ROW_FIELDS, byId, rowsOf, stderrLines, useServers } from '../helpers/mock-server-hooks.js';
import { CSV_COLUMNS } from '../helpers/csv-columns.js';

const { dir, fresh, writeFile } = useServers('llm-batch-basic-output-');

/** A prompt with commas, quotes and a newline: CSV must quote it, JSONL must escape it. */
const TRICKY = 'Say "hi", then "bye",\nand stop';

function trickyInput(name: string): string {
  return writeFile(name, [JSON.stringify({ id: 'plain', prompt: 'plain one' }), JSON.stringify({ id: 'tricky', prompt: TRICKY })].join('\n') + '\n');
}

function parseCsv(text: string): { header: string[]; records: Record<string, string>[] } {
  const all = parse(text, { relax_column_count: false }) as string[][];
  const header = all[0] ?? [];
  const records = all.slice(1).map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])));
  return { header, records };
}

/** Checks one JSONL row's shape: exactly the schema fields, with the right types for a success. */
function expectSuccessRow(row: ResultRow, prompt: string): void {
  expect(Object.keys(row).sort()).toEqual([...ROW_FIELDS].sort());
  expect(row.prompt).toBe(prompt);
  expect(row.response).toBe(`ECHO ${prompt}`);
  expect(row.error).toBeNull();
  expect(row.attempts).toBe(1);
  expect(typeof row.id).toBe('string');
  expect(row.id).not.toBe('');
  expect(Number.isInteger(row.line)).toBe(true);
  expect(typeof row.latency_ms).toBe('number');
  // The answered attempt's wall-clock bounds, ISO 8601 with milliseconds, in order.
  expect(row.started_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(row.finished_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(Date.parse(row.finished_at!)).toBeGreaterThanOrEqual(Date.parse(row.started_at!));
  expect(row.latency_ms!).toBeGreaterThanOrEqual(0);
  expect(row.model).toBe('gpt-4o-mini');
  expect(row.finish_reason).toBe('stop');
  expect(row.usage).toEqual({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
  expect(row.usage!.prompt_tokens).toBeGreaterThan(0);
  expect(row.usage!.completion_tokens).toBeGreaterThan(0);
}

describe.concurrent('output forms', () => {
  it('piped stdout (no -o) gives one JSONL row per prompt with the full row schema', async () => {
    const { run } = await fresh();
    const file = writePrompts(dir, 'schema.txt', ['first prompt', 'second prompt']);
    const r = await run([file]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.at(-1)).toBe(''); // newline-terminated
    expect(lines.slice(0, -1).every((l) => l.startsWith('{') && l.endsWith('}'))).toBe(true);
    const rows = byId(rowsOf(r));
    expect(rows.size).toBe(2);
    for (const row of rows.values()) expectSuccessRow(row, row.prompt);
    expect([...rows.values()].map((x) => x.prompt).sort()).toEqual(['first prompt', 'second prompt']);
    expect([...rows.values()].find((x) => x.prompt === 'first prompt')!.line).toBe(1);
  });

  it('-o x.jsonl writes the rows to the file, nothing to stdout', async () => {
    const { run } = await fresh();
    const input = trickyInput('to-jsonl.jsonl');
    const out = path.join(dir, 'out.jsonl');
    const r = await run([input, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const text = fs.readFileSync(out, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const rows = byId(
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as ResultRow),
    );
    expect([...rows.keys()].sort()).toEqual(['plain', 'tricky']);
    expectSuccessRow(rows.get('tricky')!, TRICKY);
    expectSuccessRow(rows.get('plain')!, 'plain one');
  });

  it('-o x.csv writes a CSV with the flattened columns that parses back exactly (commas, quotes, newlines)', async () => {
    const { run } = await fresh();
    const input = trickyInput('to-csv.jsonl');
    const out = path.join(dir, 'out.csv');
    const r = await run([input, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const { header, records } = parseCsv(fs.readFileSync(out, 'utf8'));
    expect(header).toEqual(CSV_COLUMNS);
    expect(records).toHaveLength(2);
    const tricky = records.find((x) => x.id === 'tricky')!;
    expect(tricky.prompt).toBe(TRICKY);
    expect(tricky.response).toBe(`ECHO ${TRICKY}`);
    expect(tricky.error_type).toBe('');
    expect(tricky.attempts).toBe('1');
    expect(tricky.model).toBe('gpt-4o-mini');
    expect(tricky.finish_reason).toBe('stop');
    expect(Number(tricky.prompt_tokens)).toBeGreaterThan(0);
    expect(Number(tricky.latency_ms)).toBeGreaterThanOrEqual(0);
    expect(tricky.line).toBe('2');
    expect(tricky.started_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(tricky.finished_at!)).toBeGreaterThanOrEqual(Date.parse(tricky.started_at!));
    expect([tricky.requested_model, tricky.sample, tricky.cached, tricky.batch_id]).toEqual(['', '', '', '']);
  });

  it('-f csv writes CSV to stdout', async () => {
    const { run } = await fresh();
    const input = trickyInput('csv-stdout.jsonl');
    const r = await run([input, '-f', 'csv']);
    expect(r.code).toBe(0);
    const { header, records } = parseCsv(r.stdout);
    expect(header).toEqual(CSV_COLUMNS);
    expect(Object.fromEntries(records.map((x) => [x.id, x.response]))).toEqual({ plain: 'ECHO plain one', tricky: `ECHO ${TRICKY}` });
  });

  it('-o - writes JSONL rows to stdout', async () => {
    const { run } = await fresh();
    const file = writePrompts(dir, 'dash.txt', ['to stdout']);
    const r = await run([file, '-o', '-']);
    expect(r.code).toBe(0);
    const rows = rowsOf(r);
    expect(rows).toHaveLength(1);
    expectSuccessRow(rows[0]!, 'to stdout');
  });

  it('-f text prints "[id] response" blocks separated by blank lines', async () => {
    const { run } = await fresh();
    const input = writeFile('text.jsonl', [JSON.stringify({ id: 't1', prompt: 'one' }), JSON.stringify({ id: 't2', prompt: 'two' })].join('\n') + '\n');
    const r = await run([input, '-f', 'text', '--order', 'input']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('[t1] ECHO one\n\n[t2] ECHO two\n\n');
  });

  it('-o x.txt writes text', async () => {
    const { run } = await fresh();
    const input = writeFile('text-file.jsonl', JSON.stringify({ id: 't1', prompt: 'one' }) + '\n');
    const out = path.join(dir, 'answers.txt');
    const r = await run([input, '-o', out]);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe('[t1] ECHO one\n\n');
  });

  it('--order input keeps input order even when early prompts are slower', async () => {
    const { run } = await fresh();
    const file = writePrompts(dir, 'order.txt', ['slow [[latency:300]]', 'fast a', 'fast b']);
    const r = await run([file, '--order', 'input', '-c', '3']);
    expect(r.code).toBe(0);
    expect(rowsOf(r).map((x) => x.line)).toEqual([1, 2, 3]);
  });
});

describe.concurrent('--stream and --no-stream', () => {
  const prompts = ['a short one', 'a much longer prompt with quite a few words in it so the reply streams as several chunks', 'unicode: naïve café 日本語 🎉'];

  it.each([
    ['--stream', true],
    ['--no-stream', false],
  ] as const)('%s answers every prompt with the echo', async (flag, streamed) => {
    const { server, run } = await fresh({ chunkDelayMs: 2 });
    const file = writePrompts(dir, `stream-${streamed}.txt`, prompts);
    const r = await run([file, flag]);
    expect(r.code).toBe(0);
    const rows = rowsOf(r);
    expect(rows.map((x) => x.response).sort()).toEqual(prompts.map((p) => `ECHO ${p}`).sort());
    for (const row of rows) {
      expect(row.finish_reason).toBe('stop');
      expect(row.usage).not.toBeNull();
    }
    expect(server.requests).toHaveLength(prompts.length);
    for (const req of server.requests) expect(req.body.stream === true).toBe(streamed);
  });
});

describe.concurrent('summary and exit code', () => {
  it('a clean run exits 0 and ends with ONE stderr line with the ok/failed counts', async () => {
    const { run } = await fresh();
    const file = writePrompts(dir, 'summary.txt', ['s1', 's2', 's3']);
    const r = await run([file]);
    expect(r.code).toBe(0);
    const lines = stderrLines(r);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/\b3 ok, 0 failed\b/);
    expect(r.stderr.endsWith('\n')).toBe(true);
  });

  it('a clean run of 30 prompts (more than the concurrency) still prints only the summary line on stderr', async () => {
    const { run } = await fresh();
    const file = writePrompts(
      dir,
      'summary-30.txt',
      Array.from({ length: 30 }, (_, i) => `many ${i + 1}`),
    );
    const r = await run([file, '-c', '4']);
    expect(r.code).toBe(0);
    expect(rowsOf(r)).toHaveLength(30);
    const lines = stderrLines(r);
    expect(lines).toEqual([expect.stringMatching(/\b30 ok, 0 failed\b/)]);
  });

  it('the summary counts failures', async () => {
    const { run } = await fresh();
    const file = writePrompts(dir, 'summary-fail.txt', ['fine', 'bad [[fault:400]]']);
    const r = await run([file]);
    expect(r.code).toBe(1);
    expect(stderrLines(r).at(-1)).toMatch(/\b1 ok, 1 failed\b/);
  });

  it('-q: nothing on stderr on a clean run, rows still on stdout', async () => {
    const { run } = await fresh();
    const file = writePrompts(dir, 'quiet.txt', ['q1', 'q2']);
    const r = await run([file, '-q']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(rowsOf(r)).toHaveLength(2);
  });

  it('-q: stderr stays empty on a clean run of 30 prompts too', async () => {
    const { run } = await fresh();
    const file = writePrompts(
      dir,
      'quiet-30.txt',
      Array.from({ length: 30 }, (_, i) => `quiet many ${i + 1}`),
    );
    const r = await run([file, '-q', '-c', '4']);
    expect(r.code).toBe(0);
    expect(rowsOf(r)).toHaveLength(30);
    expect(r.stderr).toBe('');
  });

  it('-q with -o: no output at all on a clean run', async () => {
    const { run } = await fresh();
    const file = writePrompts(dir, 'quiet-file.txt', ['q1']);
    const out = path.join(dir, 'quiet-out.jsonl');
    const r = await run([file, '-q', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});

describe('stdout closed by its reader (`| head -1`)', () => {
  it('stops at once and quietly with exit 141, sending no more prompts', async () => {
    const { server } = await fresh({ latencyMs: 50 });
    const prompts = Array.from({ length: 200 }, (_, i) => `pipe prompt ${i}`);
    const input = writePrompts(dir, 'pipe.txt', prompts);
    // A real shell pipeline: head exits after one line, llm-batch then writes into a closed pipe.
    const script = `"${process.execPath}" "${BIN}" "${input}" --base-url "${server.url}" -c 4 | head -n 1; echo "status=\${PIPESTATUS[0]}" >&2`;
    const child = spawn('bash', ['-c', script], {
      env: { ...process.env, OPENAI_API_KEY: 'sk-pipe-test', LLM_BATCH_CACHE_DIR: isolatedCacheDir() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await new Promise((resolve) => child.on('close', resolve));
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(stdout).response).toMatch(/^ECHO pipe prompt/);
    expect(stderr.trim()).toBe('status=141'); // no "EPIPE" message, no summary
    expect(server.requests.length).toBeLessThan(40); // 200 prompts at -c 4 × 50 ms: it stopped early
  });

  it('--help into a reader that already left: exit 141, no stack trace', async () => {
    // `true` exits without reading: the help's one write meets a closed pipe (EPIPE).
    const script = `"${process.execPath}" "${BIN}" --help | true; echo "status=\${PIPESTATUS[0]}" >&2`;
    const child = spawn('bash', ['-c', script], { env: { ...process.env, LLM_BATCH_CACHE_DIR: isolatedCacheDir() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await new Promise((resolve) => child.on('close', resolve));
    expect(stderr.trim()).toMatch(/^status=(0|141)$/); // 0 when the write landed before `true` exited
    expect(stderr).not.toMatch(/EPIPE|Error/);
  });
});
