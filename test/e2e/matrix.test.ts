/**
 * Several models and samples in one run (-m A -m B, -m A,B, --repeat N): every prompt on every
 * model, N answers each, rows keyed on (id, model asked for, sample) by resume, --retry-failed and
 * --compact; a plain run later resumed with --repeat pays only for the new samples.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type MatrixRow, matrixRowsOf } from '../helpers/matrix-rows.js';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { textSoFar, until } from '../helpers/until.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const ctx = useServerAndCaseDir('llm-batch-matrix-');

type Row = MatrixRow;
const rowsOf = matrixRowsOf;
const keys = (rows: readonly Row[]) => rows.map((r) => `${r.prompt}|${r.requested_model ?? '-'}|${r.sample ?? '-'}`).sort();
/** Requests the mock got per model. */
const perModel = () => {
  const counts: Record<string, number> = {};
  for (const r of ctx.server.requests) counts[r.body.model] = (counts[r.body.model] ?? 0) + 1;
  return counts;
};

describe('model × sample matrix', () => {
  it('-m A -m B,C --repeat 2: every prompt on every model, two samples each, a summary line per model', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summaryFile = path.join(ctx.dir, 's.json');
    const result = await runCli([input, '--base-url', ctx.server.url, '-m', 'ma', '-m', 'mb,mc', '--repeat', '2', '-o', out, '--summary-json', summaryFile]);
    expect(result.code, result.stderr).toBe(0);
    const rows = rowsOf(out);
    expect(rows).toHaveLength(12);
    expect(new Set(keys(rows)).size).toBe(12);
    expect(rows.every((r) => r.model === r.requested_model)).toBe(true);
    expect(perModel()).toEqual({ ma: 4, mb: 4, mc: 4 });
    expect(result.stderr).toMatch(/ma: 4 ok, 0 failed/);
    expect(result.stderr).toMatch(/mc: 4 ok, 0 failed/);
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    expect(summary.byModel.map((m: { model: string; ok: number }) => [m.model, m.ok])).toEqual([
      ['ma', 4],
      ['mb', 4],
      ['mc', 4],
    ]);
  });

  it('a plain run resumed with --repeat 3 and a second model pays only for what is new', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two', 'three']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const base = [input, '--base-url', ctx.server.url, '-o', out, '--no-cache'];
    expect((await runCli([...base, '-m', 'ma'])).code).toBe(0);
    expect(rowsOf(out)[0]!.sample).toBeUndefined();
    const again = await runCli([...base, '-m', 'ma,mb', '--repeat', '3', '--resume']);
    expect(again.code, again.stderr).toBe(0);
    // ma: samples 1 and 2 only (sample 0 is the plain run's row); mb: all three.
    expect(perModel()).toEqual({ ma: 3 + 6, mb: 9 });
    expect(again.stderr).toMatch(/3 already done/);
    const rows = rowsOf(out);
    expect(rows).toHaveLength(18);
    // Resuming the finished matrix sends nothing.
    const before = ctx.server.requests.length;
    const done = await runCli([...base, '-m', 'ma,mb', '--repeat', '3', '--resume']);
    expect(done.code).toBe(0);
    expect(ctx.server.requests.length).toBe(before);
  });

  it('--retry-failed re-runs exactly the failed (prompt, model, sample), and --compact keeps one row per answer', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const base = [input, '--base-url', ctx.server.url, '-o', out, '-m', 'ma,mb', '--repeat', '2', '--retries', '0', '--no-cache'];
    ctx.server.options.fault = ({ index }) => (index === 1 || index === 6 ? '500' : undefined);
    const first = await runCli([...base, '-c', '1']);
    expect(first.code).toBe(1);
    const failed = rowsOf(out).filter((r) => r.error !== null);
    expect(failed).toHaveLength(2);
    ctx.server.options.fault = undefined;
    const sent = ctx.server.requests.length;
    const retry = await runCli([...base, '--resume', '--retry-failed']);
    expect(retry.code, retry.stderr).toBe(0);
    expect(ctx.server.requests.length - sent).toBe(2);
    const retried = ctx.server.requests
      .slice(sent)
      .map((r) => `${r.prompt}|${r.body.model}`)
      .sort();
    expect(retried).toEqual(failed.map((r) => `${r.prompt}|${r.requested_model}`).sort());

    const compacted = path.join(ctx.dir, 'compact.jsonl');
    const compact = await runCli([out, '--compact', '-o', compacted]);
    expect(compact.code, compact.stderr).toBe(0);
    const rows = rowsOf(compacted);
    expect(rows).toHaveLength(8);
    expect(rows.every((r) => r.error === null)).toBe(true);
    expect(new Set(keys(rows)).size).toBe(8);
  });

  it('the cache keeps samples apart: a re-run answers every (model, sample) from the cache', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    const env = { LLM_BATCH_CACHE_DIR: path.join(ctx.dir, 'cache') };
    await runCli([input, '--base-url', ctx.server.url, '-m', 'ma,mb', '--repeat', '3', '-f', 'jsonl'], { env });
    expect(ctx.server.requests).toHaveLength(6);
    const again = await runCli([input, '--base-url', ctx.server.url, '-m', 'ma,mb', '--repeat', '4', '-f', 'jsonl'], { env });
    const rows = parseJsonl<Row>(again.stdout);
    expect(rows.filter((r) => r.cached)).toHaveLength(6);
    expect(rows.filter((r) => !r.cached).map((r) => r.sample)).toEqual([3, 3]);
    expect(ctx.server.requests).toHaveLength(8);
  });

  it('a JSONL row that names its model runs on that model only', async () => {
    const input = path.join(ctx.dir, 'p.jsonl');
    fs.writeFileSync(input, `${JSON.stringify({ prompt: 'mine', model: 'own' })}\n${JSON.stringify({ prompt: 'shared' })}\n`);
    const result = await runCli([input, '--base-url', ctx.server.url, '-m', 'ma,mb', '-f', 'jsonl']);
    expect(result.code).toBe(0);
    expect(keys(parseJsonl<Row>(result.stdout))).toEqual(['mine|own|0', 'shared|ma|0', 'shared|mb|0']);
  });

  it.each([
    [['-m', 'ma'], ['-m', 'ma,mb'], { mb: 1 }, 3],
    [['-m', 'ma,mb'], ['-m', 'ma'], {}, 3],
    [['-m', 'ma', '--repeat', '2'], ['-m', 'ma'], {}, 4],
    [['-m', 'ma'], ['-m', 'ma', '--repeat', '2'], { ma: 1, own: 1 }, 4],
  ] as const)('a row that names its own model, run with %j then resumed with %j: its answer is not asked again', async (first, then, sent, rows) => {
    // Its answer does not depend on -m, but a plain run keys its row by id and a matrix run by (id, model,
    // sample): a resume that changed -m or --repeat asked it again and wrote a second row.
    const input = path.join(ctx.dir, 'p.jsonl');
    fs.writeFileSync(input, `${JSON.stringify({ id: 'a', prompt: 'shared' })}\n${JSON.stringify({ id: 'b', prompt: 'mine', model: 'own' })}\n`);
    for (const format of ['jsonl', 'csv']) {
      const out = path.join(ctx.dir, `out-${first.length}-${then.length}.${format}`);
      const base = [input, '--base-url', ctx.server.url, '-o', out, '--no-cache'];
      expect((await runCli([...base, ...first])).code).toBe(0);
      ctx.server.reset();
      const again = await runCli([...base, ...then, '--resume']);
      expect(again.code, again.stderr).toBe(0);
      expect(perModel(), format).toEqual(sent);
      const count = format === 'jsonl' ? rowsOf(out).length : fs.readFileSync(out, 'utf8').trim().split('\n').length - 1;
      expect(count, format).toBe(rows);
    }
  });

  it('a failed row of a record naming its own model, retried after -m changed: the new row replaces it', async () => {
    const input = path.join(ctx.dir, 'p.jsonl');
    fs.writeFileSync(input, `${JSON.stringify({ id: 'b', prompt: 'mine', model: 'own' })}\n`);
    const out = path.join(ctx.dir, 'out.jsonl');
    const base = [input, '--base-url', ctx.server.url, '-o', out, '--no-cache', '--retries', '0'];
    ctx.server.options.fault = () => '400';
    expect((await runCli([...base, '-m', 'ma'])).code).toBe(1);
    ctx.server.options.fault = undefined;
    const retried = await runCli([...base, '-m', 'ma,mb', '--resume', '--retry-failed']);
    expect(retried.code, retried.stderr).toBe(0);
    // The new answer in the failed row's form: the resume's compaction keeps it alone.
    const rows = rowsOf(out);
    expect(rows.map((r) => [r.id, r.error === null, r.requested_model ?? '-', r.sample ?? '-'])).toEqual([['b', true, '-', '-']]);
  });

  it('LLM_BATCH_MODEL=A,B runs both models, as -m A,B does', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const result = await runCli([input, '--base-url', ctx.server.url, '-o', out, '--no-cache'], { env: { LLM_BATCH_MODEL: 'ma,mb' } });
    expect(result.code, result.stderr).toBe(0);
    expect(perModel()).toEqual({ ma: 2, mb: 2 });
    expect(keys(rowsOf(out))).toEqual(['one|ma|0', 'one|mb|0', 'two|ma|0', 'two|mb|0']);
  });

  it('-m with an empty name is a usage error', async () => {
    const result = await runCli(['x.txt', '-m', 'a,,b']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Expected model names separated by commas/);
  });
});

describe('--dry-run with several models and samples', () => {
  it('counts a request per (record, model, sample)', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const result = await runInWorker([input, '-m', 'gpt-4o-mini,gpt-4.1', '--repeat', '3', '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).toMatch(/Estimate for 12 requests/);
    expect(result.stdout + result.stderr).toMatch(/gpt-4\.1: 6 requests/);
  });
});

describe('a --repeat too large to walk: a stop counts what is not run without making each sample', () => {
  it('SIGTERM on 3 prompts × --repeat 1,000,000,000: exit 130 at once, "not run" is the rest', async () => {
    const input = writePrompts(ctx.dir, 'three.txt', ['a', 'b', 'c']);
    const out = path.join(ctx.dir, 'huge-repeat.jsonl');
    const summaryFile = path.join(ctx.dir, 'huge-repeat.json');
    const child = spawnCli([input, '--mock', '--repeat', '1000000000', '-o', out, '--summary-json', summaryFile, '-q']);
    // The safety net kills it well before the default: walking 3e9 samples took minutes, deaf to signals.
    const exited = waitForExit(child, 20_000);
    await until(() => textSoFar(out).includes('\n'), 'a first row');
    child.kill('SIGTERM');
    const r = await exited;
    expect(r.code, r.stderr).toBe(130);
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    expect(summary.ok).toBeGreaterThan(0);
    expect(summary.ok + summary.failed + summary.notRun).toBe(3_000_000_000);
  });
});
