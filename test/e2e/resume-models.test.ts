/**
 * Resuming a run of several models, through the BUILT CLI and the mock server: the run's models are
 * a set, so the same models in another order, or some of them (retrying one model's failures),
 * continue it; one added is said on stderr before it is asked; a model that was never part of it is
 * refused by name. Rows are keyed on (id, model asked for, sample), so nothing mixes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type MatrixRow, matrixRowsOf } from '../helpers/matrix-rows.js';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { runCli, tempDir, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const ctx = useServerAndCaseDir('llm-batch-resume-models-');

type Row = MatrixRow;
const rowsOf = matrixRowsOf;
const keys = (rows: readonly Row[]) => rows.map((r) => `${r.prompt}|${r.requested_model ?? '-'}|${r.sample ?? '-'}|${r.error ? 'failed' : 'ok'}`).sort();
const sent = () => ctx.server.requests.map((r) => `${r.body.messages.at(-1).content}|${r.body.model}`);

/** The run the tests resume, made once in a directory of their own; each test resumes a copy of its output. */
const seed = tempDir('llm-batch-resume-models-seed-');
afterAll(() => seed.cleanup());
const seedInput = path.join(seed.dir, 'p.txt');
const seedOut = path.join(seed.dir, 'out.jsonl');
let seeded: Promise<void> | undefined;

/** `-m ma,mb` over two prompts, one at a time; the 4th request (two on mb) fails with a 500. */
async function seedRun(): Promise<void> {
  writePrompts(seed.dir, 'p.txt', ['one', 'two']);
  ctx.server.options.fault = ({ index }) => (index === 3 ? '500' : undefined);
  try {
    const first = await runCli([seedInput, '--base-url', ctx.server.url, '-o', seedOut, '--no-cache', '--retries', '0', '-c', '1', '-m', 'ma,mb']);
    expect(first.code, first.stderr).toBe(1);
    expect(keys(rowsOf(seedOut))).toEqual(['one|ma|0|ok', 'one|mb|0|ok', 'two|ma|0|ok', 'two|mb|0|failed']);
  } finally {
    ctx.server.options.fault = undefined;
    ctx.server.requests.length = 0;
  }
}

/** That run's output (and metadata), copied for this test; the command line that resumes it, less -m. */
async function runWithOneFailure(): Promise<{ base: string[]; out: string }> {
  await (seeded ??= seedRun());
  const out = path.join(ctx.dir, 'out.jsonl');
  for (const side of ['', '.meta.json']) fs.copyFileSync(`${seedOut}${side}`, `${out}${side}`);
  const base = [seedInput, '--base-url', ctx.server.url, '-o', out, '--no-cache', '--retries', '0', '-c', '1'];
  return { base, out };
}

const allOk = ['one|ma|0|ok', 'one|mb|0|ok', 'two|ma|0|ok', 'two|mb|0|ok'];

describe('--resume of a run with several models', () => {
  it('the same models in another order continue it, asking only the failed answer again', async () => {
    const { base, out } = await runWithOneFailure();
    const again = await runCli([...base, '-m', 'mb,ma', '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(sent()).toEqual(['two|mb']);
    expect(keys(rowsOf(out))).toEqual(allOk);
  });

  it("one of its models retries that model's failures, in rows that say which model they are", async () => {
    const { base, out } = await runWithOneFailure();
    const again = await runCli([...base, '-m', 'mb', '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(sent()).toEqual(['two|mb']);
    expect(keys(rowsOf(out))).toEqual(allOk);
    // The first model alone finds everything answered; so does the whole run again.
    for (const models of ['ma', 'ma,mb', 'mb,ma']) {
      const done = await runCli([...base, '-m', models, '--resume']);
      expect(done.code, done.stderr).toBe(0);
    }
    expect(sent()).toEqual(['two|mb']);
    expect(keys(rowsOf(out))).toEqual(allOk);
  });

  it.each([
    ['with its metadata', false],
    ['whose metadata is gone: its rows say their model', true],
  ])("its first model alone retries that model's failures in rows that say so, as the file's other rows do (an output %s)", async (_, bare) => {
    writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const out = path.join(ctx.dir, bare ? 'bare.jsonl' : 'first.jsonl');
    const base = [path.join(ctx.dir, 'p.txt'), '--base-url', ctx.server.url, '-o', out, '--no-cache', '--retries', '0', '-c', '1'];
    ctx.server.options.fault = ({ index }) => (index === 2 ? '500' : undefined);
    const first = await runCli([...base, '-m', 'ma,mb']);
    ctx.server.options.fault = undefined;
    expect(first.code, first.stderr).toBe(1);
    expect(keys(rowsOf(out))).toEqual(['one|ma|0|ok', 'one|mb|0|ok', 'two|ma|0|failed', 'two|mb|0|ok']);
    if (bare) fs.rmSync(`${out}.meta.json`);
    const again = await runCli([...base, '-m', 'ma', '--resume']);
    expect(again.code, again.stderr).toBe(0);
    // The retried row carries requested_model and sample, as every row of the file: a filter on them finds it.
    expect(keys(rowsOf(out))).toEqual(allOk);
  });

  it("--batch-api: one of its models uploads only its failed line, collected as that model's row", async () => {
    const { base, out } = await runWithOneFailure();
    ctx.server.options.batches = { stepMs: 30 };
    const again = await runCli([...base, '-m', 'mb', '--resume', '--batch-api', '--poll', '0.05']);
    expect(again.code, again.stderr).toBe(0);
    const uploaded = ctx.server.batchState.uploaded.map((f) =>
      f.bytes
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).custom_id),
    );
    expect(uploaded).toEqual([[JSON.stringify([rowsOf(out).find((r) => r.prompt === 'two')!.id, 'mb', 0])]]);
    expect(keys(rowsOf(out))).toEqual(allOk);
  });

  it("a model added next to one of the run's is said on stderr once, naming it, and then asked every prompt", async () => {
    const { base, out } = await runWithOneFailure();
    const note = `llm-batch: --resume adds model "mc" to the run's "ma", "mb": every prompt is asked of it too`;
    const grown = await runCli([...base, '-m', 'ma,mc', '--resume']);
    expect(grown.code, grown.stderr).toBe(0);
    expect(grown.stderr.split('\n')).toContain(note);
    expect(sent().sort()).toEqual(['one|mc', 'two|mc']);
    expect(keys(rowsOf(out))).toEqual(['one|ma|0|ok', 'one|mb|0|ok', 'one|mc|0|ok', 'two|ma|0|ok', 'two|mb|0|failed', 'two|mc|0|ok'].sort());
    // The run's models are now ma, mb, mc: no note again, and mb's failure is still the run's to retry.
    const again = await runCli([...base, '-m', 'mc,mb,ma', '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/adds model/);
    expect(sent().sort()).toEqual(['one|mc', 'two|mb', 'two|mc']);
    // --batch-api says it too; -q silences it, as every notice.
    ctx.server.options.batches = { stepMs: 30 };
    const batch = await runCli([...base, '-m', 'md', '-m', 'ma', '--resume', '--batch-api', '--poll', '0.05']);
    expect(batch.code, batch.stderr).toBe(0);
    expect(batch.stderr).toMatch(/^llm-batch: --resume adds model "md" to the run's "ma", "mb", "mc": every prompt is asked of it too$/m);
    const quiet = await runCli([...base, '-m', 'ma,me', '--resume', '-q']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(keys(rowsOf(out)).filter((k) => k.includes('|me|'))).toEqual(['one|me|0|ok', 'two|me|0|ok']);
  });

  it('a model that was not part of the run is refused, by name, and nothing is sent', async () => {
    const { base, out } = await runWithOneFailure();
    const before = fs.readFileSync(out, 'utf8');
    const r = await runInWorker([...base, '-m', 'mc', '--resume']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"mc" was not one of the run's models \("ma", "mb"\)/);
    expect(r.stderr).not.toMatch(/was "ma", now/);
    expect(sent()).toEqual([]);
    expect(fs.readFileSync(out, 'utf8')).toBe(before);
  });

  it('metadata from before the model list: checked on the first model, as then', async () => {
    const { base, out } = await runWithOneFailure();
    const metaFile = `${out}.meta.json`;
    const { models: _models, ...old } = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
    fs.writeFileSync(metaFile, JSON.stringify(old));
    const r = await runInWorker([...base, '-m', 'mb,ma', '--resume']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model: was "ma", now "mb"/);
    const same = await runCli([...base, '-m', 'ma,mb', '--resume']);
    expect(same.code, same.stderr).toBe(0);
    expect(keys(rowsOf(out))).toEqual(allOk);
  });

  it('a plain run grown by a model listed first keeps its rows its own', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const base = [input, '--base-url', ctx.server.url, '-o', out, '--no-cache'];
    expect((await runCli([...base, '-m', 'ma'])).code).toBe(0);
    const grown = await runCli([...base, '-m', 'mb,ma', '--resume']);
    expect(grown.code, grown.stderr).toBe(0);
    expect(grown.stderr).toMatch(/^llm-batch: --resume adds model "mb" to the run's "ma": every prompt is asked of it too$/m);
    for (const models of ['ma', 'mb', 'ma,mb']) {
      const done = await runCli([...base, '-m', models, '--resume']);
      expect(done.code, done.stderr).toBe(0);
    }
    expect(sent().sort()).toEqual(['one|ma', 'one|mb', 'two|ma', 'two|mb']);
    // --compact reads the run's model from the metadata: ma's plain rows and mb's rows stay apart.
    const clean = path.join(ctx.dir, 'clean.jsonl');
    const compacted = await runInWorker(['--compact', out, '-o', clean]);
    expect(compacted.code, compacted.stderr).toBe(0);
    expect(
      rowsOf(clean)
        .map((r) => `${r.prompt}|${r.requested_model ?? '-'}`)
        .sort(),
    ).toEqual(['one|-', 'one|mb', 'two|-', 'two|mb']);
  });

  it('a plain run resumed with another model alone is refused, as before', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const base = [input, '--base-url', ctx.server.url, '-o', out, '--no-cache'];
    expect((await runCli([...base, '-m', 'ma'])).code).toBe(0);
    const r = await runCli([...base, '-m', 'mb', '--resume']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"mb" was not one of the run's models \("ma"\)/);
  });
});
