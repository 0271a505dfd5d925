/**
 * --batch-api with issue 15's experiments: the response cache shared with live runs, model × sample
 * runs, --max-cost, and what goes with them (--finish-live's engine, timestamps, the resume command
 * after a budget stop). The BUILT CLI against the mock server's /v1/files and /v1/batches.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const ctx = useServerAndCaseDir('llm-batch-batchexp-');

beforeEach(() => {
  ctx.server.options.batches = { stepMs: 30 };
});

interface Row {
  id: string;
  prompt: string;
  response: string | null;
  error: { type: string; message: string } | null;
  model: string | null;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  requested_model?: string;
  sample?: number;
  cached?: true;
  batch_id?: string;
  started_at?: string | null;
  finished_at?: string | null;
}

const prompts = (n: number, prefix = 'q') => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
const rowsOf = (file: string): Row[] => parseJsonl<Row>(fs.readFileSync(file, 'utf8'));
const batchArgs = (model = 'gpt-4o-mini') => ['--base-url', ctx.server.url, '-m', model, '--batch-api', '--poll', '0.05'];
const liveArgs = (model = 'gpt-4o-mini') => ['--base-url', ctx.server.url, '-m', model];
/** The request lines uploaded since `from`: custom_id and the last message. */
function uploadedLines(from = 0): Array<{ custom_id: string; body: { model: string; messages: Array<{ content: string }> } }> {
  return ctx.server.batchState.uploaded
    .slice(from)
    .flatMap((f) => f.bytes.toString('utf8').trim().split('\n'))
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}
const sorted = (xs: readonly string[]) => [...xs].sort();

describe('--batch-api and the response cache (one cache for live and batch runs)', () => {
  it('answers bought live are cached rows and never uploaded; collected answers fill the cache for the next batch run', async () => {
    const cacheDir = path.join(ctx.dir, 'cache');
    const live = await runCli([writePrompts(ctx.dir, 'live.txt', prompts(2)), '-o', path.join(ctx.dir, 'live.jsonl'), ...liveArgs(), '--cache-dir', cacheDir]);
    expect(live.code, live.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(2);

    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs(), '--cache-dir', cacheDir]);
    expect(r.code, r.stderr).toBe(0);
    const rows = rowsOf(out);
    expect(sorted(rows.map((x) => x.prompt))).toEqual(['q1', 'q2', 'q3']);
    expect(sorted(rows.filter((x) => x.cached).map((x) => x.prompt))).toEqual(['q1', 'q2']);
    expect(rows.find((x) => x.prompt === 'q3')).toMatchObject({ response: 'ECHO q3', error: null });
    expect(uploadedLines().map((l) => l.body.messages.at(-1)!.content)).toEqual(['q3']);

    // Through the Batch API again: q3's collected answer is in the cache now; nothing is uploaded.
    const again = path.join(ctx.dir, 'again.jsonl');
    const r2 = await runCli([input, '-o', again, ...batchArgs(), '--cache-dir', cacheDir]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(ctx.server.batchState.uploaded).toHaveLength(1);
    expect(ctx.server.batchState.counts.creates).toBe(1);
    const rows2 = rowsOf(again);
    expect(rows2).toHaveLength(3);
    for (const row of rows2) expect(row).toMatchObject({ cached: true, error: null, response: `ECHO ${row.prompt}` });
    expect(r2.stderr).toMatch(/3 from cache/);
    // --no-cache sends everything.
    const fresh = await runCli([input, '-o', path.join(ctx.dir, 'fresh.jsonl'), ...batchArgs(), '--cache-dir', cacheDir, '--no-cache']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(uploadedLines(1)).toHaveLength(3);
  });

  it('an answer bought by a batch is reused by a live run, under the same key (another model is another answer)', async () => {
    const cacheDir = path.join(ctx.dir, 'cache');
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const batch = await runCli([input, '-o', path.join(ctx.dir, 'batch.jsonl'), ...batchArgs(), '--cache-dir', cacheDir, '--max-tokens', '30']);
    expect(batch.code, batch.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(0);

    const live = path.join(ctx.dir, 'live.jsonl');
    const r = await runCli([input, '-o', live, ...liveArgs(), '--cache-dir', cacheDir, '--max-tokens', '30']);
    expect(r.code, r.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(0);
    const rows = rowsOf(live);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatchObject({ cached: true, response: `ECHO ${row.prompt}` });

    const other = await runCli([input, '-o', path.join(ctx.dir, 'other.jsonl'), ...liveArgs('gpt-4o'), '--cache-dir', cacheDir, '--max-tokens', '30']);
    expect(other.code, other.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(3);
  });

  it('--dry-run --batch-api says how many answers would come from the cache and leaves them out of the cost', async () => {
    const cacheDir = path.join(ctx.dir, 'cache');
    const live = await runCli([writePrompts(ctx.dir, 'live.txt', prompts(2)), '-o', path.join(ctx.dir, 'live.jsonl'), ...liveArgs(), '--cache-dir', cacheDir]);
    expect(live.code, live.stderr).toBe(0);
    const input = writePrompts(ctx.dir, 'in.txt', prompts(5));
    const dry = await runCli([input, '-o', path.join(ctx.dir, 'o.jsonl'), ...batchArgs(), '--cache-dir', cacheDir, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/2 of 5 requests would come from the response cache/);
    expect(dry.stdout).toMatch(/^ {2}5 records: 3 to send, 2 answered from the cache, 0 bad$/m);
    expect(dry.stdout).toMatch(/Estimate for 3 requests/);
    expect(dry.stdout).toMatch(/gpt-4o-mini: 3 requests/);
    expect(dry.stdout).toMatch(/Batch API: 1 batch, /);
    // Live too, and without the cache nothing is counted as cached.
    const liveDry = await runCli([input, ...liveArgs(), '--cache-dir', cacheDir, '--dry-run']);
    expect(liveDry.stdout).toMatch(/2 of 5 requests would come from the response cache/);
    const noCache = await runInWorker([input, ...liveArgs(), '--no-cache', '--dry-run']);
    expect(noCache.stdout).not.toMatch(/from the response cache/);
    expect(noCache.stdout).toMatch(/Estimate for 5 requests/);
    expect(ctx.server.batchState.counts.uploads).toBe(0);
  });

  it("--finish-live runs through the live engine's options: its answers are cached like any live answer", async () => {
    ctx.server.options.batches = { stepMs: 30, expireAfter: () => 2 };
    const cacheDir = path.join(ctx.dir, 'cache');
    const input = writePrompts(ctx.dir, 'in.txt', prompts(5));
    const r = await runCli([input, '-o', path.join(ctx.dir, 'out.jsonl'), ...batchArgs(), '--finish-live', '--cache-dir', cacheDir, '--order', 'input']);
    expect(r.code, r.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(3);
    // Every answer, from the batch or live, is in the cache: a live run asks nothing.
    const live = path.join(ctx.dir, 'live.jsonl');
    const again = await runCli([input, '-o', live, ...liveArgs(), '--cache-dir', cacheDir]);
    expect(again.code, again.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(3);
    expect(rowsOf(live).every((row) => row.cached === true)).toBe(true);
  });
});

describe('structured runs and the response cache', () => {
  const SMALL = JSON.stringify({
    type: 'object',
    properties: { label: { type: 'string', enum: ['a', 'b'] }, score: { type: 'integer', minimum: 1, maximum: 5 } },
    required: ['label', 'score'],
    additionalProperties: false,
  });

  it('store only validated answers; live and batch reuse them with output parsed again', async () => {
    const cacheDir = path.join(ctx.dir, 'cache');
    // The first answer to q1 breaks the schema and is re-asked; q2's never validates (no re-asks).
    ctx.server.options.schema = { fault: ({ prompt, reask }) => (prompt === 'q2' || (prompt === 'q1' && reask === 0) ? 'violate' : undefined) };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const schema = ['--json-schema', SMALL, '--cache-dir', cacheDir];
    const live = await runCli([input, '-o', path.join(ctx.dir, 'live.jsonl'), ...liveArgs(), ...schema, '--schema-retries', '1']);
    expect(live.code, live.stderr).toBe(1);
    const sentBefore = ctx.server.requests.length;

    ctx.server.options.schema = {};
    const out = path.join(ctx.dir, 'batch.jsonl');
    const batch = await runCli([input, '-o', out, ...batchArgs(), ...schema, '--schema-retries', '1']);
    expect(batch.code, batch.stderr).toBe(0);
    // q1 and q3 from the cache (q1's valid answer after its re-ask); q2's invalid one was never stored.
    expect(uploadedLines().map((l) => l.body.messages.at(-1)!.content)).toEqual(['q2']);
    const rows = rowsOf(out) as Array<Row & { output: unknown }>;
    expect(sorted(rows.filter((r) => r.cached).map((r) => r.prompt))).toEqual(['q1', 'q3']);
    for (const row of rows) expect(row.output).toMatchObject({ label: expect.any(String), score: expect.any(Number) });

    // Live again: all three from the cache, q2's bought by the batch.
    const again = await runCli([input, '-o', path.join(ctx.dir, 'again.jsonl'), ...liveArgs(), ...schema, '--schema-retries', '1']);
    expect(again.code, again.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(sentBefore);
    expect(rowsOf(path.join(ctx.dir, 'again.jsonl')).every((r) => r.cached)).toBe(true);
  });
});

describe('--batch-api with several models and --repeat', () => {
  it('one line per (record, model, sample) with a custom_id that names it; rows carry requested_model and sample', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs('gpt-4o-mini,gpt-4o'), '--repeat', '2']);
    expect(r.code, r.stderr).toBe(0);
    const lines = uploadedLines();
    expect(lines).toHaveLength(12);
    // One model per batch.
    expect(ctx.server.batchState.counts.creates).toBe(2);
    const keys = lines.map((l) => JSON.parse(l.custom_id) as [string, string, number]);
    expect(new Set(lines.map((l) => l.custom_id)).size).toBe(12);
    for (const [i, [id, model, sample]] of keys.entries()) {
      expect(lines[i]!.body.model).toBe(model);
      expect(typeof id).toBe('string');
      expect([0, 1]).toContain(sample);
    }
    const rows = rowsOf(out);
    expect(rows).toHaveLength(12);
    expect(sorted(rows.map((x) => `${x.prompt} ${x.requested_model} ${x.sample}`))).toEqual(
      sorted(prompts(3).flatMap((p) => ['gpt-4o-mini', 'gpt-4o'].flatMap((m) => [0, 1].map((s) => `${p} ${m} ${s}`)))),
    );
    for (const row of rows) expect(row).toMatchObject({ error: null, model: row.requested_model, response: `ECHO ${row.prompt}` });
    // The summary has a line per model, as a live run's.
    expect(r.stderr).toMatch(/gpt-4o-mini: 6 ok, 0 failed/);
    expect(r.stderr).toMatch(/gpt-4o: 6 ok, 0 failed/);
  });

  it('resume keys on (id, model, sample): a plain run resumed with -m A,B --repeat 2 pays only for the new answers', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'out.jsonl');
    const first = await runCli([input, '-o', out, ...batchArgs()]);
    expect(first.code, first.stderr).toBe(0);
    expect(uploadedLines()).toHaveLength(3);
    const second = await runCli([input, '-o', out, ...batchArgs('gpt-4o-mini,gpt-4o'), '--repeat', '2', '--resume']);
    expect(second.code, second.stderr).toBe(0);
    const sent = uploadedLines(1).map((l) => JSON.parse(l.custom_id) as [string, string, number]);
    // Sample 1 of the first model, both samples of the second: 3 + 6.
    expect(sent).toHaveLength(9);
    expect(sent.filter(([, m, s]) => m === 'gpt-4o-mini' && s === 0)).toHaveLength(0);
    const rows = rowsOf(out);
    expect(rows).toHaveLength(12);
    const third = await runCli([input, '-o', out, ...batchArgs('gpt-4o-mini,gpt-4o'), '--repeat', '2', '--resume']);
    expect(third.code, third.stderr).toBe(0);
    expect(ctx.server.batchState.uploaded).toHaveLength(ctx.server.batchState.counts.uploads);
    expect(uploadedLines(1)).toHaveLength(9); // nothing more
  });

  it.each([
    ['-m A,B', ['-m', 'gpt-4o-mini,gpt-4o'], 'gpt-4o', 0],
    ['--repeat 2', ['--repeat', '2'], 'gpt-4o-mini', 1],
  ] as const)(
    'a plain run whose batch is still out, resumed with %s: the resume collects it and uploads only the new answers',
    async (_, more, model, sample) => {
      const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
      const out = path.join(ctx.dir, 'out.jsonl');
      let held = true;
      ctx.server.options.batches = { stepMs: 30, hold: () => held };
      const first = await runCli([input, '-o', out, ...batchArgs(), '--no-wait']);
      expect(first.code, first.stderr).toBe(75);
      held = false;
      const second = await runCli([input, '-o', out, ...batchArgs(), ...more, '--resume']);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toMatch(/^llm-batch: 3 more requests without a row in 1 batch$/m);
      // Before: the plain answers collected went out again as (id, gpt-4o-mini, 0), bought twice.
      expect(uploadedLines(1).map((l) => (JSON.parse(l.custom_id) as unknown[]).slice(1))).toEqual(prompts(3).map(() => [model, sample]));
      const rows = rowsOf(out);
      expect(rows).toHaveLength(6);
      expect(new Set(rows.map((r) => `${r.id}/${r.requested_model ?? ''}/${r.sample ?? ''}`)).size).toBe(6);
      expect(second.stderr).toMatch(/^llm-batch: 6 ok, 0 failed · /m);
    },
  );

  it('shards of a model × sample batch run merge into one row per (id, model, sample)', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(6));
    const outs = [1, 2].map((i) => path.join(ctx.dir, `out-${i}.jsonl`));
    for (const [i, out] of outs.entries()) {
      const r = await runCli([input, '-o', out, ...batchArgs('gpt-4o-mini,gpt-4o'), '--repeat', '2', '--shard', `${i + 1}/2`]);
      expect(r.code, r.stderr).toBe(0);
    }
    const all = path.join(ctx.dir, 'all.jsonl');
    const merged = await runInWorker(['merge', ...outs, '-o', all, '--input', input]);
    expect(merged.code, merged.stderr).toBe(0);
    const rows = rowsOf(all);
    expect(rows).toHaveLength(24);
    expect(new Set(rows.map((x) => `${x.id} ${x.requested_model} ${x.sample}`)).size).toBe(24);
  });

  it('merge of --no-wait shards says which still have batches out, even with -q, and exits 1 until they are collected', async () => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 20, hold: () => holding };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(6));
    const outs = [1, 2].map((i) => path.join(ctx.dir, `out-${i}.jsonl`));
    for (const [i, out] of outs.entries()) {
      const r = await runCli([input, '-o', out, ...batchArgs(), '--shard', `${i + 1}/2`, '--no-wait']);
      expect(r.code, r.stderr).toBe(75);
    }
    holding = false;
    const first = await runCli([input, '-o', outs[0]!, ...batchArgs(), '--shard', '1/2', '--resume']);
    expect(first.code, first.stderr).toBe(0);
    const all = path.join(ctx.dir, 'all.jsonl');
    const early = await runInWorker(['merge', ...outs, '-o', all, '-q']);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain(
      `llm-batch: ${outs[1]}.batch.json lists 1 batch of ${outs[1]} not collected yet: the merge covers the rows collected so far; collect it with that run's command and --resume\n`,
    );
    expect(early.stderr).not.toContain(`${outs[0]}.batch.json`);
    // A batch state that cannot be read: whether batches are out is unknown, said as such (exit 1).
    const state = fs.readFileSync(`${outs[1]}.batch.json`, 'utf8');
    fs.writeFileSync(`${outs[1]}.batch.json`, state.slice(0, 100));
    const damaged = await runInWorker(['merge', ...outs, '-o', all, '-q', '--overwrite']);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toContain(
      `llm-batch: ${outs[1]}.batch.json cannot be read as a batch manifest: whether batches of ${outs[1]} are still out is unknown; the merge covers the rows the file has\n`,
    );
    fs.writeFileSync(`${outs[1]}.batch.json`, state);
    const second = await runCli([input, '-o', outs[1]!, ...batchArgs(), '--shard', '2/2', '--resume']);
    expect(second.code, second.stderr).toBe(0);
    const whole = await runInWorker(['merge', ...outs, '-o', all, '-q', '--overwrite']);
    expect({ code: whole.code, stderr: whole.stderr }).toEqual({ code: 0, stderr: '' });
    expect(rowsOf(all)).toHaveLength(6);
  });

  it('a model × sample run answered in part by the cache uploads only the rest', async () => {
    const cacheDir = path.join(ctx.dir, 'cache');
    const input = writePrompts(ctx.dir, 'in.txt', prompts(2));
    const live = await runCli([input, '-o', path.join(ctx.dir, 'live.jsonl'), ...liveArgs(), '--repeat', '2', '--cache-dir', cacheDir]);
    expect(live.code, live.stderr).toBe(0);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs(), '--repeat', '3', '--cache-dir', cacheDir]);
    expect(r.code, r.stderr).toBe(0);
    const sent = uploadedLines().map((l) => JSON.parse(l.custom_id) as [string, string, number]);
    expect(sent.map(([, , s]) => s)).toEqual([2, 2]);
    const rows = rowsOf(out);
    expect(
      rows
        .filter((x) => x.cached)
        .map((x) => x.sample)
        .sort(),
    ).toEqual([0, 0, 1, 1]);
  });
});

/** $1,000 per million tokens both ways; the Batch API bills half. */
const PRICE = ['--price', '1000/1000'];
const batchCost = (rows: readonly Row[]) => rows.reduce((sum, r) => sum + (r.usage ? (r.usage.prompt_tokens + r.usage.completion_tokens) * 0.0005 : 0), 0);

describe('--batch-api --max-cost', () => {
  it('submits only what fits at the Batch price, plans on as batches settle, stops within the cap (exit 3); the cap counts every batch of the output: --resume with the same cap submits nothing more; a higher cap finishes', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(12, 'budget prompt number '));
    const out = path.join(ctx.dir, 'out.jsonl');
    const summaryFile = path.join(ctx.dir, 's.json');
    const args = [input, '-o', out, ...batchArgs(), '--max-tokens', '20', ...PRICE];
    const first = await runCli([...args, '--max-cost', '0.1', '--summary-json', summaryFile]);
    expect(first.code, first.stderr).toBe(3);
    expect(first.stderr).toMatch(
      /budget reached: \$0\.0\d+ of \$0\.1000 \(the next request, id \S+ on line \d+, may cost up to \$0\.0\d+ at the Batch price\)/,
    );
    const rows = rowsOf(out);
    expect(rows.length).toBeGreaterThan(2);
    expect(rows.length).toBeLessThan(12);
    expect(rows.every((r) => r.error === null)).toBe(true);
    // Never more uploaded than answered, and never more spent than the cap.
    expect(uploadedLines()).toHaveLength(rows.length);
    expect(batchCost(rows)).toBeLessThanOrEqual(0.1);
    // More than one planning round: the first reserved worst cases, the next used what was left.
    expect(ctx.server.batchState.counts.creates).toBeGreaterThan(1);
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    expect(summary.stopped).toBe('budget');
    expect(summary.budget.capUsd).toBe(0.1);
    expect(summary.budget.spentUsd).toBeCloseTo(batchCost(rows), 6);
    // The resume command does not repeat the cap that stopped it.
    expect(first.stderr).toMatch(/to finish the rest, run: llm-batch .*--resume --max-cost NEW_USD/);
    expect(first.stderr).not.toMatch(/--max-cost 0\.1/);

    // The cap counts every batch of the output: a --resume with the same cap submits nothing more.
    const uploaded = uploadedLines().length;
    const same = await runCli([...args, '--max-cost', '0.1', '--resume']);
    expect(same.code, same.stderr).toBe(3);
    expect(uploadedLines()).toHaveLength(uploaded);
    expect(batchCost(rowsOf(out))).toBeLessThanOrEqual(0.1);

    const second = await runCli([...args, '--max-cost', '10', '--resume']);
    expect(second.code, second.stderr).toBe(0);
    const all = rowsOf(out);
    expect(sorted(all.map((r) => r.prompt))).toEqual(sorted(prompts(12, 'budget prompt number ')));
    expect(uploadedLines()).toHaveLength(12);
  });

  it('a .json input: the request held back is named by its element and the line it begins on, not its position as a line', async () => {
    const elements = prompts(12, 'budget prompt number ').map((prompt, i) => ({ id: `q${i + 1}`, prompt }));
    const input = path.join(ctx.dir, 'in.json');
    fs.writeFileSync(input, JSON.stringify(elements, null, 2));
    const args = [input, '-o', path.join(ctx.dir, 'out.jsonl'), ...batchArgs(), '--max-tokens', '20', ...PRICE];
    const r = await runCli([...args, '--max-cost', '0.1']);
    expect(r.code, r.stderr).toBe(3);
    const held = /the next request, id q(\d+) \(element (\d+) at line (\d+)\), may cost up to/.exec(r.stderr);
    expect(held, r.stderr).not.toBeNull();
    const [, id, element, line] = held!.map(Number);
    expect(element).toBe(id);
    // Element k of this pretty-printed array opens on line 2 + 4 (k - 1).
    expect(line).toBe(2 + 4 * (element! - 1));
  });

  it('with --no-wait, what the first batches did not need goes out on the next --resume; exit 75 until done', async () => {
    ctx.server.options.batches = { stepMs: 60 };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(6, 'budget prompt number '));
    const out = path.join(ctx.dir, 'out.jsonl');
    const args = [input, '-o', out, ...batchArgs(), '--max-tokens', '20', ...PRICE, '--max-cost', '0.12', '--no-wait'];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(75);
    const planned = uploadedLines().length;
    expect(planned).toBeLessThan(6);
    let code = 75;
    for (let i = 0; i < 40 && code === 75; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      code = (await runCli([...args, '--resume'])).code ?? -1;
    }
    expect([0, 3]).toContain(code);
    const rows = rowsOf(out);
    expect(rows.length).toBeGreaterThan(planned);
    expect(new Set(rows.map((r) => r.prompt)).size).toBe(rows.length);
    expect(batchCost(rows)).toBeLessThanOrEqual(0.12);
  });

  it('--max-cost with --finish-live is refused before anything is sent', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['x']);
    const r = await runInWorker([input, '-o', path.join(ctx.dir, 'o.jsonl'), ...batchArgs(), ...PRICE, '--max-cost', '1', '--finish-live']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--max-cost does not work with --finish-live yet/);
    expect(ctx.server.batchState.counts.uploads).toBe(0);
  });
});

describe('the resume command after a live budget stop', () => {
  it('leaves out the --max-cost that stopped it and says to choose a new one', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(30, 'budget prompt number '));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...liveArgs(), '--max-tokens', '20', ...PRICE, '--max-cost', '0.2']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/in place of NEW_USD/);
    expect(r.stderr).toMatch(/to finish the rest, run: llm-batch .*--resume --max-cost NEW_USD$/m);
    expect(r.stderr).not.toMatch(/--max-cost 0\.2/);
  });
});

describe('timestamps of collected rows', () => {
  it("started_at is the batch's in_progress_at and finished_at its answer's created: ISO 8601 with ms, in order", async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'out.jsonl');
    ctx.server.options.batches = { stepMs: 30, lineStatus: (_id, body: any) => (body?.messages?.at(-1)?.content === 'q3' ? 500 : 200) };
    const r = await runCli([input, '-o', out, ...batchArgs()]);
    const after = Date.now();
    expect(r.code, r.stderr).toBe(1);
    const rows = rowsOf(out);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.started_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(row.finished_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const started = Date.parse(row.started_at!);
      const finished = Date.parse(row.finished_at!);
      expect(started).toBeGreaterThanOrEqual(before);
      expect(finished).toBeGreaterThanOrEqual(started);
      expect(finished).toBeLessThanOrEqual(after);
    }
    expect(rows.filter((x) => x.error)).toHaveLength(1);
  });
});
