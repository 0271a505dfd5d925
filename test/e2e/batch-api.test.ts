/**
 * --batch-api end to end: the BUILT CLI against the mock server's /v1/files and /v1/batches
 * (test/helpers/mock-batches.ts), whose batches move on by themselves every `stepMs`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { beforeEach, describe, expect, it } from 'vitest';
import { uploadedPrompts as uploadedPromptsOf } from '../helpers/mock-batches.js';
import { stderrLines, stopDuringUpload, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { until } from '../helpers/until.js';
import { SECRET_KEY, parseJsonl, runCli, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { shared } from '../helpers/shared-run.js';

const ctx = useServerAndCaseDir('llm-batch-batchapi-');

beforeEach(() => {
  ctx.server.options.batches = { stepMs: 30 };
});

interface Row {
  id: string;
  line: number;
  prompt: string;
  response: string | null;
  error: { type: string; message: string; status?: number; code?: string } | null;
  model: string | null;
  finish_reason: string | null;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  batch_id?: string;
}

const prompts = (n: number, prefix = 'q') => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
const rowsOf = (file: string): Row[] => parseJsonl<Row>(fs.readFileSync(file, 'utf8'));
// One -m only: repeated -m flags add models (-m A -m B runs both).
const batchArgs = (model = 'gpt-4o-mini') => ['--base-url', ctx.server.url, '-m', model, '--batch-api', '--poll', '0.05'];

function byPrompt(rows: readonly Row[]): Map<string, Row[]> {
  const map = new Map<string, Row[]>();
  for (const r of rows) map.set(r.prompt, [...(map.get(r.prompt) ?? []), r]);
  return map;
}

describe('--batch-api', () => {
  it('submits, polls and collects every prompt into JSONL rows with batch_id, then cleans up its chunk files', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(25));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs(), '--batch-size', '10']);
    expect(r.stderr).not.toContain(SECRET_KEY);
    expect(r.code, r.stderr).toBe(0);
    const rows = rowsOf(out);
    expect(rows).toHaveLength(25);
    const seen = byPrompt(rows);
    for (const p of prompts(25)) {
      const [row, ...dupes] = seen.get(p) ?? [];
      expect(dupes).toHaveLength(0);
      expect(row).toMatchObject({ response: `ECHO ${p}`, error: null, model: 'gpt-4o-mini', finish_reason: 'stop' });
      expect(row!.usage!.prompt_tokens).toBeGreaterThan(0);
      expect(row!.batch_id).toMatch(/^batch_mock/);
    }
    expect(new Set(rows.map((r) => r.batch_id)).size).toBe(3);
    expect(ctx.server.batchState.counts.creates).toBe(3);
    expect(ctx.server.requests).toHaveLength(0); // nothing went live
    const manifest = JSON.parse(fs.readFileSync(`${out}.batch.json`, 'utf8'));
    expect(manifest.chunks.map((c: any) => [c.lines, c.status, c.collected])).toEqual([
      [10, 'completed', true],
      [10, 'completed', true],
      [5, 'completed', true],
    ]);
    expect(fs.existsSync(`${out}.batch.d`)).toBe(false);
    // Inputs, outputs and error files are deleted on the server once their rows are in.
    expect(ctx.server.batchState.files.size).toBe(0);
    expect(ctx.server.batchState.deleted).toHaveLength(6);
  });

  // One prompt with a system message and sampling flags: its Batch line, and the words for one request.
  const oneRequest = shared(async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['hello']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs(), '--system', 'be brief', '--temperature', '0.2', '--max-tokens', '50']);
    return { r, rows: rowsOf(out), uploaded: ctx.server.batchState.uploaded.map((f) => f.bytes.toString('utf8')) };
  });

  it('sends exactly the body a live run sends, without stream, one Batch line per record', async () => {
    const { r, rows, uploaded } = await oneRequest();
    expect(r.code, r.stderr).toBe(0);
    const [file] = uploaded;
    const line = JSON.parse(file!);
    expect(line).toEqual({
      custom_id: rows[0]!.id,
      method: 'POST',
      url: '/v1/chat/completions',
      body: {
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'hello' },
        ],
        temperature: 0.2,
        max_tokens: 50,
      },
    });
  });

  it('passes Batch-format JSONL through: custom_id, body fields and per-line model; one model per batch', async () => {
    const lines = [
      { custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one' }], seed: 7 } },
      { custom_id: 'b', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'two' }] } },
      { custom_id: 'c', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'three' }] } },
    ];
    const input = path.join(ctx.dir, 'in.jsonl');
    fs.writeFileSync(input, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs()]);
    expect(r.code, r.stderr).toBe(0);
    const rows = rowsOf(out);
    expect(rows.map((x) => [x.id, x.response, x.model]).sort()).toEqual([
      ['a', 'ECHO one', 'gpt-4o-mini'],
      ['b', 'ECHO two', 'gpt-4o'],
      ['c', 'ECHO three', 'gpt-4o-mini'],
    ]);
    const uploads = ctx.server.batchState.uploaded;
    const models = uploads.map((f) => [
      ...new Set(
        f.bytes
          .toString('utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).body.model),
      ),
    ]);
    expect(models.sort()).toEqual([['gpt-4o'], ['gpt-4o-mini']]);
    const sent = uploads.flatMap((f) =>
      f.bytes
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    );
    expect(sent.find((l) => l.custom_id === 'a')).toEqual(lines[0]);
  });

  it('writes CSV rows, a failed line as an error row with its status, and exits 1', async () => {
    ctx.server.options.batches = { stepMs: 30, lineStatus: (_id, body) => (body.messages.at(-1).content === 'q2' ? 500 : undefined) };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'out.csv');
    const r = await runCli([input, '-o', out, ...batchArgs()]);
    expect(r.code, r.stderr).toBe(1);
    const rows = parseCsv(fs.readFileSync(out, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((x) => [x.prompt, x.response, x.error_type, x.error_status]).sort()).toEqual([
      ['q1', 'ECHO q1', '', ''],
      ['q2', '', 'http', '500'],
      ['q3', 'ECHO q3', '', ''],
    ]);
  });

  it("counts a line the batch refused with a 429 among the run's 429s, as a live request's", async () => {
    ctx.server.options.batches = { stepMs: 30, lineStatus: (_id, body) => (body.messages.at(-1).content === 'q2' ? 429 : undefined) };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const summaryJson = path.join(ctx.dir, 's.json');
    const r = await runCli([input, '-o', path.join(ctx.dir, 'out.jsonl'), ...batchArgs(), '--summary-json', summaryJson]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^llm-batch: 2 ok, 1 failed \(rate_limit 1\), 1 × 429 · /m);
    expect(JSON.parse(fs.readFileSync(summaryJson, 'utf8'))).toMatchObject({ ok: 2, failed: 1, failedByType: { rate_limit: 1 }, rateLimited: 1, requests: 3 });
  });

  it("says at the end that a CSV left out the collected answers' reasoning, once (not with -q)", async () => {
    // Two DeepSeek-style answers (reasoning_content) of three.
    ctx.server.options.batches = {
      stepMs: 30,
      reasoning: (_id, body) => (body.messages.at(-1).content === 'q2' ? undefined : `thinking about ${body.messages.at(-1).content}`),
    };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'out.csv');
    const r = await runCli([input, '-o', out, ...batchArgs()]);
    expect(r.code, r.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(0); // collected from the batch, nothing went live
    expect(fs.readFileSync(out, 'utf8').split('\n')[0]).not.toContain('reasoning');
    expect(r.stderr).toContain(
      "llm-batch: 2 answers came with the model's reasoning, which a CSV has no column for: write JSONL (-o out.jsonl) to keep it\nllm-batch: 3 ok",
    );
    const quiet = await runCli([input, '-o', path.join(ctx.dir, 'quiet.csv'), ...batchArgs(), '-q']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toContain('reasoning');
  });

  it('an output file with a line repeated, a stray custom_id, a line not JSON and a `null`: each said, the first answer kept, no row lost or doubled', async () => {
    // `null` threw a TypeError (an internal error), and every --resume collected the batch and threw again.
    ctx.server.options.batches = { stepMs: 20, oddOutput: ['repeat', 'stray', 'garbage', 'null'] };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs()]);
    expect(r.code, r.stderr).toBe(0);
    const rows = rowsOf(out);
    expect(rows.map((row) => row.prompt).sort()).toEqual(prompts(3));
    for (const row of rows) expect(row.response).toBe(`ECHO ${row.prompt}`);
    expect(r.stderr).toMatch(/: 1 output line named no request of this batch \(custom_id "no-such-line" is not in this batch\); ignored\n/);
    // A line not JSON and a `null` name nothing: not counted as naming a request.
    expect(r.stderr).toMatch(/: 2 output lines answered no request \(the first: a line that is not JSON\); ignored\n/);
    expect(r.stderr).toMatch(/: 1 output line answered a request a line before had answered; the first answer kept\n/);
  });

  it('splits by --batch-max-mb as well as by count', async () => {
    const input = writePrompts(
      ctx.dir,
      'in.txt',
      prompts(40).map((p) => `${p} ${'x'.repeat(200)}`),
    );
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs(), '--batch-max-mb', '0.003']);
    expect(r.code, r.stderr).toBe(0);
    const uploads = ctx.server.batchState.uploaded;
    expect(uploads.length).toBeGreaterThan(3);
    for (const f of uploads) expect(f.bytes.length).toBeLessThanOrEqual(3000);
    expect(rowsOf(out)).toHaveLength(40);
  });

  it('counts a batch of one request in the singular', async () => {
    const { r } = await oneRequest();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^llm-batch: 1 request in 1 batch$/m);
    expect(r.stderr).toMatch(/: submitted 1 request$/m);
    expect(r.stderr).not.toMatch(/\b1 requests\b/);
  });

  it('needs an output file', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['x']);
    const r = await runCli([input, ...batchArgs(), '-f', 'jsonl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--batch-api needs -o/);
    const stray = await runInWorker([input, '-o', path.join(ctx.dir, 'o.jsonl'), '--no-wait', '--base-url', ctx.server.url]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/--no-wait goes with --batch-api/);
  });
});

describe('--batch-api --no-wait (the cron idiom)', () => {
  it('exits 75 with the command to continue; --resume collects and never submits a chunk twice', async () => {
    ctx.server.options.batches = { stepMs: 400 };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(12));
    const out = path.join(ctx.dir, 'out.jsonl');
    const first = await runCli([input, '-o', out, ...batchArgs(), '--batch-size', '5', '--no-wait']);
    expect(first.code, first.stderr).toBe(75);
    expect(first.stderr).toMatch(/3 batches are still pending; to continue, run: llm-batch .*--no-wait --resume/);
    expect(ctx.server.batchState.counts.creates).toBe(3);
    let code = first.code;
    let runs = 1;
    while (code === 75) {
      const again = await runCli([input, '-o', out, ...batchArgs(), '--batch-size', '5', '--no-wait', '--resume']);
      code = again.code;
      runs++;
      expect(runs).toBeLessThan(200);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(code).toBe(0);
    expect(ctx.server.batchState.counts.creates).toBe(3);
    expect(ctx.server.batchState.counts.uploads).toBe(3);
    const rows = rowsOf(out);
    expect(rows).toHaveLength(12);
    expect(new Set(rows.map((r) => r.prompt)).size).toBe(12);
  });

  it('a --resume that collects the pending batches also plans the records added to the input since: one --resume finishes', async () => {
    let hold = (_index: number) => true;
    ctx.server.options.batches = { stepMs: 20, hold: (index) => hold(index) };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(ctx.dir, 'summary.json');
    const uploadedPrompts = () => uploadedPromptsOf(ctx.server.batchState);
    expect((await runCli([input, '-o', out, ...batchArgs(), '--no-wait'])).code).toBe(75);

    // Batch 1 (q1-q3) finishes; q4 is added. Under --no-wait the resume collects batch 1, submits q4
    // (held on the server) and exits 75 "pending" with the manifest saying so, never 0 without q4's row.
    hold = (index) => index > 0;
    fs.appendFileSync(input, 'q4\n');
    const submitted = await runCli([input, '-o', out, ...batchArgs(), '--no-wait', '--resume', '--summary-json', summary]);
    expect(submitted.code, submitted.stderr).toBe(75);
    expect(submitted.stderr).toMatch(/^llm-batch: 1 more request without a row in 1 batch$/m);
    expect(submitted.stderr).toMatch(/1 batch is still pending; to continue, run: llm-batch .*--no-wait --resume/);
    expect(uploadedPrompts()).toEqual([['q1', 'q2', 'q3'], ['q4']]);
    expect(
      rowsOf(out)
        .map((r) => r.prompt)
        .sort(),
    ).toEqual(['q1', 'q2', 'q3']);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ ok: 3, failed: 0, skipped: 0, pendingBatches: 1, exitCode: 75, error: null });
    const manifest = JSON.parse(fs.readFileSync(`${out}.batch.json`, 'utf8'));
    expect(manifest.chunks.map((c: any) => [c.n, c.lines, c.collected ?? false])).toEqual([
      [1, 3, true],
      [2, 1, false],
    ]);

    // q5 added while q4 waits: the waiting --resume collects q4, then plans, submits and collects q5.
    hold = () => false;
    fs.appendFileSync(input, 'q5\n');
    const resumed = await runCli([input, '-o', out, ...batchArgs(), '--resume', '--summary-json', summary]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(uploadedPrompts()).toEqual([['q1', 'q2', 'q3'], ['q4'], ['q5']]);
    const rows = rowsOf(out);
    expect(rows.map((r) => r.prompt).sort()).toEqual(prompts(5));
    for (const r of rows) expect(r.response).toBe(`ECHO ${r.prompt}`);
    expect(resumed.stderr).toMatch(/: 2 ok, 0 failed, 3 already done\b/);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ ok: 2, skipped: 3, pendingBatches: 0, resumeHint: null, exitCode: 0, error: null });
    expect(fs.existsSync(`${out}.batch.d`)).toBe(false);
  });

  it.each([
    ['an expired batch', 'expired with 3 requests not run; resubmitting them as batch 3', '2 batches are still pending'],
    ['a batch over the token limit', 'over the enqueued-token limit; waiting for an earlier batch to finish', '1 batch is still pending'],
  ])("a --no-wait --resume submits what its polling made ready (%s's lines), in the same run", async (what, said, pending) => {
    const expired = what === 'an expired batch';
    let hold = (_index: number) => true;
    let tokenLimit = (_index: number) => false;
    ctx.server.options.batches = {
      stepMs: 30,
      hold: (index) => hold(index),
      tokenLimit: (index) => tokenLimit(index),
      expireAfter: (index) => (expired && index === 0 ? 2 : undefined),
    };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(10));
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(ctx.dir, 'summary.json');
    const args = [input, '-o', out, ...batchArgs(), '--batch-size', '5', '--no-wait'];
    expect((await runCli(args)).code).toBe(75);
    expect(ctx.server.batchState.counts.creates).toBe(2);

    // Batch 1 expires after 2 lines while batch 2 runs on, or is over the token limit while batch 2 completes.
    if (expired) hold = (index) => index === 1;
    else {
      hold = () => false;
      tokenLimit = (index) => index === 0;
    }
    await until(() => performance.now() - ctx.server.batchState.lastCreateAt! > 200, 'batches old enough to end');
    const resumed = await runCli([...args, '--resume', '--summary-json', summary]);
    expect(resumed.code, resumed.stderr).toBe(75);
    expect(resumed.stderr).toContain(said);
    expect(resumed.stderr).not.toMatch(/nothing was submitted yet|wait to be uploaded/);
    expect(resumed.stderr).toMatch(new RegExp(`${pending}; to continue, run: `));
    expect(ctx.server.batchState.counts.creates).toBe(3);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ pendingBatches: Number(pending[0]), unsubmittedBatches: 0 });

    hold = () => false;
    tokenLimit = () => false;
    const last = await runCli([...args.filter((a) => a !== '--no-wait'), '--resume']);
    expect(last.code, last.stderr).toBe(0);
    expect(ctx.server.batchState.counts.creates).toBe(3);
    const rows = rowsOf(out);
    expect(rows.map((r) => r.prompt).sort()).toEqual(prompts(10).sort());
    for (const r of rows) expect(r.response).toBe(`ECHO ${r.prompt}`);
  });

  it("refuses to start over an earlier run's batches without --resume or --overwrite", async () => {
    ctx.server.options.batches = { stepMs: 5000 };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(2));
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await runCli([input, '-o', out, ...batchArgs(), '--no-wait'])).code).toBe(75);
    const again = await runInWorker([input, '-o', out, ...batchArgs(), '--no-wait']);
    expect(again.code).toBe(2);
    // Not "or --overwrite to start again" while the batch runs: that would be refused (it offered it).
    expect(again.stderr).toMatch(
      /holds the batches of an earlier run \(1 not collected yet\): pass --resume to continue it, or cancel them \(`llm-batch cancel .*out\.jsonl`\) and then --overwrite to start again$/m,
    );
  });
});

describe('--batch-api: kill -9 at each step, then --resume', () => {
  it('killed while planning (chunks half written, no manifest yet): the resume plans again from scratch', async () => {
    const out = path.join(ctx.dir, 'out.jsonl');
    const args = ['-', '-o', out, ...batchArgs(), '--batch-size', '3', '--input-format', 'txt'];
    // Stdin left open: the run has written some chunks and waits for more input when it is killed.
    const child = spawnCli(args, { openStdin: prompts(7).join('\n') + '\n' });
    const exited = waitForExit(child);
    await until(() => fs.existsSync(path.join(`${out}.batch.d`, 'chunk-00002.jsonl')), 'chunks on disk');
    child.kill('SIGKILL');
    await exited;
    expect(fs.existsSync(`${out}.batch.json`)).toBe(false);
    expect(ctx.server.batchState.counts.uploads).toBe(0);
    const r = await runCli([...args, '--resume'], { stdin: prompts(10).join('\n') + '\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(ctx.server.batchState.counts.creates).toBe(4);
    expect(
      rowsOf(out)
        .map((x) => x.prompt)
        .sort(),
    ).toEqual(prompts(10).sort());
  });

  it.each(['upload', 'create', 'download'] as const)(
    'killed while the server answers its 2nd %s: no chunk lost, none submitted twice, no row twice',
    async (step) => {
      let seen = 0;
      ctx.server.options.batches = { stepMs: 30, hang: (s) => s === step && ++seen === 2 };
      const input = writePrompts(ctx.dir, 'in.txt', prompts(12));
      const out = path.join(ctx.dir, 'out.jsonl');
      const args = [input, '-o', out, ...batchArgs(), '--batch-size', '5'];
      const child = spawnCli(args);
      const exited = waitForExit(child);
      await until(() => ctx.server.batchState.counts.hung === 1, `the ${step} to hang`);
      // Collecting has begun: some rows of the half-sent file are in, and must not come twice. Of a
      // second batch: which batch finished first (so which file hangs, 5 lines or 2) is the server's.
      if (step === 'download')
        await until(() => fs.existsSync(out) && new Set(rowsOf(out).map((row) => row.batch_id)).size === 2, 'rows of the half-sent file');
      child.kill('SIGKILL');
      expect((await exited).signal).toBe('SIGKILL');
      ctx.server.options.batches = { stepMs: 30 };
      const r = await runCli([...args, '--resume']);
      expect(r.code, r.stderr).toBe(0);
      if (step === 'create') expect(r.stderr).toMatch(/found batch_mock\w+, created before the last run stopped/);
      expect(ctx.server.batchState.counts.creates).toBe(3);
      const rows = rowsOf(out);
      expect(rows.map((x) => x.prompt).sort()).toEqual(prompts(12).sort());
      for (const row of rows) expect(row.response).toBe(`ECHO ${row.prompt}`);
    },
  );
});

describe('--batch-api: a call the server holds', () => {
  it.each(['upload', 'create', 'download'] as const)(
    'Ctrl-C while the server holds its %s: exit 130 (an upload after its grace), and --resume finishes',
    async (step) => {
      ctx.server.options.batches = { stepMs: 30, hang: (s) => s === step };
      const input = writePrompts(ctx.dir, 'in.txt', prompts(6));
      const out = path.join(ctx.dir, 'out.jsonl');
      const args = [input, '-o', out, ...batchArgs()];
      const child = spawnCli(args);
      const exited = waitForExit(child);
      await until(() => ctx.server.batchState.counts.hung === 1, `the ${step} to hang`);
      child.kill('SIGINT');
      const r = await exited;
      expect(r.code, r.stderr).toBe(130);
      ctx.server.options.batches = { stepMs: 30 };
      const again = await runCli([...args, '--resume']);
      expect(again.code, again.stderr).toBe(0);
      expect(ctx.server.batchState.counts.creates).toBe(1);
      expect(
        rowsOf(out)
          .map((x) => x.prompt)
          .sort(),
      ).toEqual(prompts(6).sort());
    },
  );

  it.each([
    [
      'an upload the server takes and never answers (it waited 10 minutes)',
      'upload',
      /uploading chunk-\d+\.jsonl: no answer 0\.5s after the file was sent \(--idle-timeout\); trying again at the next poll/,
    ],
    ['a download that stalls', 'download', /downloading file-\w+: no data for 0\.5s \(--idle-timeout\); trying again at the next poll/],
  ] as const)('%s: given up after --idle-timeout and tried again at the next poll, every row once', async (_, step, said) => {
    let seen = 0;
    ctx.server.options.batches = { stepMs: 30, hang: (s) => s === step && ++seen === 1 };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(8));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs(), '--idle-timeout', '0.5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(said);
    const { counts } = ctx.server.batchState;
    expect(counts.creates).toBe(1);
    // An upload is sent again whole; a download is asked again (and a cut one may be asked more than once).
    if (step === 'upload') expect(counts.uploads).toBe(2);
    else expect(counts.downloads).toBeGreaterThanOrEqual(2);
    expect(
      rowsOf(out)
        .map((x) => x.prompt)
        .sort(),
    ).toEqual(prompts(8).sort());
  });
});

describe('--batch-api: expired, cancelled and refused batches', () => {
  it("keeps an expired batch's answers and resubmits only the unfinished lines, in the same command", async () => {
    ctx.server.options.batches = { stepMs: 30, expireAfter: (i) => (i === 0 ? 4 : undefined) };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(10));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/batch 1\/2 \(batch_mock\d+\): expired with 6 requests not run; resubmitting them as batch 2/);
    const rows = rowsOf(out);
    expect(rows.map((x) => x.prompt).sort()).toEqual(prompts(10).sort());
    expect(new Set(rows.map((x) => x.batch_id)).size).toBe(2);
    const uploads = ctx.server.batchState.uploaded;
    expect(uploads.map((f) => f.bytes.toString('utf8').trim().split('\n').length)).toEqual([10, 6]);
    // The lines answered by the first batch are not in the second.
    const answeredFirst = new Set(rows.filter((x) => x.batch_id === rows.find((y) => y.prompt === 'q1')!.batch_id).map((x) => x.id));
    const second = uploads[1]!.bytes
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).custom_id);
    for (const id of second) expect(answeredFirst.has(id)).toBe(false);
  });

  // The batch answers q1-q3 and expires; q4-q8 run live. Faults are live-only: the even prompts'
  // live requests are refused once (429), then answered; q5 and q7 are answered at once.
  const asked = prompts(8).map((p, i) => (i % 2 === 1 ? `${p} [[fault:429]]` : p));
  const finishLive = shared(async () => {
    ctx.server.options.batches = { stepMs: 30, expireAfter: () => 3 };
    const input = writePrompts(ctx.dir, 'in.txt', asked);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summaryFile = path.join(ctx.dir, 'summary.json');
    const r = await runCli([input, '-o', out, ...batchArgs(), '--finish-live', '--max-tokens', '20', '--summary-json', summaryFile]);
    const requests = ctx.server.requests.map(({ prompt, body }) => ({ prompt, body }));
    const summary = fs.existsSync(summaryFile) ? JSON.parse(fs.readFileSync(summaryFile, 'utf8')) : undefined;
    return { r, rows: rowsOf(out), requests, summary, creates: ctx.server.batchState.counts.creates };
  });

  it("--finish-live runs an expired batch's unfinished lines through the live engine, each once", async () => {
    const { r, rows, requests, creates } = await finishLive();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/expired with 5 requests not run; running them live \(--finish-live\)/);
    expect(creates).toBe(1);
    const live = asked.slice(3);
    // Each unfinished line once: one request, and one more for each 429 it met.
    expect(requests.map((x) => x.prompt).sort()).toEqual([...live, ...live.filter((p) => p.includes('[[fault:429]]'))].sort());
    expect(rows.map((x) => x.prompt).sort()).toEqual([...asked].sort());
    expect(
      rows
        .filter((x) => x.batch_id === undefined)
        .map((x) => x.prompt)
        .sort(),
    ).toEqual([...live].sort());
    for (const row of rows) expect(row.response).toBe(`ECHO ${row.prompt}`);
    // The live request is the batch's request, streamed.
    for (const { body } of requests) {
      expect(body).toMatchObject({ model: 'gpt-4o-mini', max_tokens: 20, stream: true });
      expect(body).not.toHaveProperty('max_completion_tokens');
    }
  });

  it("--finish-live: the live requests' retries and 429s count in the run's summary", async () => {
    const { r, requests, summary } = await finishLive();
    expect(r.code, r.stderr).toBe(0);
    expect(requests).toHaveLength(8); // 5 live lines, 3 of them refused once, then answered
    // Requests as a live run counts them, every attempt: the batch's 3 lines and the 8 live ones.
    expect(summary).toMatchObject({ ok: 8, failed: 0, requests: 11, retries: 3, rateLimited: 3 });
    expect(r.stderr).toMatch(/3 retries/);
  });

  it('token_limit_exceeded: waits for an earlier batch to finish, then resubmits; nothing is lost', async () => {
    ctx.server.options.batches = { stepMs: 30, tokenLimit: (i) => i === 1 };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(9));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs(), '--batch-size', '3']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/batch 2\/3: over the enqueued-token limit; waiting for an earlier batch to finish, then resubmitting/);
    expect(ctx.server.batchState.counts.creates).toBe(4);
    expect(ctx.server.batchState.counts.uploads).toBe(3);
    expect(
      rowsOf(out)
        .map((x) => x.prompt)
        .sort(),
    ).toEqual(prompts(9).sort());
  });

  it('a chunk over the token limit on its own stops with a message naming --batch-size, exit 2', async () => {
    ctx.server.options.batches = { stepMs: 20, tokenLimit: () => true };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(4));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/alone is over the organization's enqueued-token limit .*smaller --batch-size \(it has 4 requests\)/);
  });

  it('two chunks each over the token limit on its own: stops as one does, exit 2 (it resubmitted the first for ever)', async () => {
    ctx.server.options.batches = { stepMs: 20, tokenLimit: () => true };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(4));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs(), '--batch-size', '2'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/batch 1\/2 \(batch_mock\d+\) alone is over the organization's enqueued-token limit .*smaller --batch-size \(it has 2 requests\)/);
    expect(ctx.server.batchState.counts.creates).toBeLessThanOrEqual(4);
  });

  it('a batch refused in validation names its line and message, exit 2', async () => {
    ctx.server.options.batches = {
      stepMs: 20,
      validate: (line, n) => (n === 2 ? `Invalid value for 'model': ${line.body.model} is not supported in the Batch API.` : undefined),
    };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /batch 1\/1 \(batch_mock\d+\) was refused by the server \(1 problem\): line 2: Invalid value for 'model': gpt-4o-mini is not supported/,
    );
    expect(r.stderr).not.toContain(SECRET_KEY);
  });
});

describe('llm-batch status and cancel', () => {
  it('status shows one line per batch (and --json); cancel keeps finished answers, writes the rest as aborted rows; --resume sends them again', async () => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 30, hold: () => holding };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(8));
    const out = path.join(ctx.dir, 'out.jsonl');
    const args = [input, '-o', out, ...batchArgs(), '--batch-size', '4', '--no-wait'];
    expect((await runCli(args)).code).toBe(75);

    const status = await runCli(['status', out, '--base-url', ctx.server.url]);
    expect(status.code, status.stderr).toBe(0);
    const lines = status.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^batch 1 {2}batch_mock\d+ {2}gpt-4o-mini {2}(validating|in_progress) {2}0\/4 done {2}\d+s {2}next: wait, then collect$/);
    // As saved, without asking the server: nothing sent, nothing locked (the status above is the child process).
    const json = JSON.parse((await runInWorker(['status', out, '--json', '--no-refresh'])).stdout);
    expect(json).toMatchObject({
      pending: 2,
      batches: [
        { chunk: 1, requests: 4 },
        { chunk: 2, requests: 4 },
      ],
    });

    // The mock answers half of a held batch before the cancel lands.
    const cancelled = await runCli(['cancel', out, '--base-url', ctx.server.url, '--poll', '0.05']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(ctx.server.batchState.counts.cancels).toBe(2);
    // The finished lines apart from the requests never run (it called all 8 rows "answers the batches had finished").
    expect(cancelled.stderr).toContain(
      `cancelled; 4 lines the batches had finished and 4 aborted rows (requests not run; a --resume sends them) written to ${out}`,
    );
    let rows = rowsOf(out);
    expect(rows).toHaveLength(8);
    expect(rows.filter((r) => r.error === null)).toHaveLength(4);
    expect(rows.filter((r) => r.error?.type === 'aborted')).toHaveLength(4);

    holding = false;
    // Aborted rows are transient failures: a plain --resume sends exactly those 4 again, in one batch.
    const resumed = await runCli([...args.filter((a) => a !== '--no-wait'), '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/4 requests in 1 batch/);
    expect(ctx.server.batchState.counts.creates).toBe(3);
    rows = rowsOf(out);
    const last = new Map(rows.map((r) => [r.prompt, r]));
    expect([...last.keys()].sort()).toEqual(prompts(8).sort());
    for (const r of last.values()) expect(r.response).toBe(`ECHO ${r.prompt}`);
  });

  it.each([
    ['a model the table prices', 'gpt-4o-mini', []],
    // cancel has no --price: it settles at the price the plan reserved at (kept in OUT.batch.json).
    ['a model priced by --price', 'my-deploy', ['--price', '0.15/0.60']],
  ])("cancel under a --max-cost plan, %s: the answers it collects count against the cap (OUT.batch.json's spend)", async (_, model, price) => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 30, hold: () => holding };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(8));
    const out = path.join(ctx.dir, 'out.jsonl');
    const args = [input, '-o', out, ...batchArgs(model), '--batch-size', '4', '--max-cost', '1', ...price];
    expect((await runCli([...args, '--no-wait'])).code).toBe(75);
    const spent = () => JSON.parse(fs.readFileSync(`${out}.batch.json`, 'utf8')).budget.spentPico as number;
    expect(spent()).toBe(0);

    // The mock answers half of each held batch before the cancel lands: 4 answers, paid for.
    const cancelled = await runCli(['cancel', out, '--base-url', ctx.server.url, '--poll', '0.05']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const answered = rowsOf(out).filter((r) => r.error === null);
    expect(answered).toHaveLength(4);
    // $0.15 / $0.60 per million at the Batch price (half), in picodollars: not the whole reservation.
    const billed = answered.reduce((sum, r) => sum + r.usage!.prompt_tokens * 0.075e6 + r.usage!.completion_tokens * 0.3e6, 0);
    expect(spent()).toBeCloseTo(billed, -1);
    // The resume under the same cap sends the 4 aborted lines again and finishes.
    holding = false;
    const resumed = await runCli([...args, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(rowsOf(out).filter((r) => r.error === null)).toHaveLength(8);
  });

  it('cancel while the run that submitted the batches waits on them: refused, exit 75 (try again later), nothing cancelled', async () => {
    ctx.server.options.batches = { stepMs: 60_000 };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'waiting.jsonl');
    const waiting = spawnCli([input, '-o', out, ...batchArgs()]);
    const exited = waitForExit(waiting);
    try {
      await until(() => ctx.server.batchState.counts.creates >= 1, 'the batch to be created');
      const r = await runCli(['cancel', out, '--base-url', ctx.server.url]);
      expect(r.code, r.stderr).toBe(75);
      expect(r.stderr).toMatch(/in use by another llm-batch run .*\(stop the run that is waiting on its batches first/);
      expect(ctx.server.batchState.counts.cancels).toBe(0);
    } finally {
      waiting.kill('SIGKILL');
      await exited;
    }
  });

  it('cancel -q: rows written, nothing on stderr; an error still prints', async () => {
    ctx.server.options.batches = { stepMs: 30, hold: () => true };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(4));
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await runCli([input, '-o', out, ...batchArgs(), '--no-wait'])).code).toBe(75);

    const cancelled = await runCli(['cancel', '-q', out, '--base-url', ctx.server.url, '--poll', '0.05']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stderr).toBe('');
    expect(ctx.server.batchState.counts.cancels).toBe(1);
    expect(rowsOf(out)).toHaveLength(4);
    // Nothing left to cancel is a success too: quiet. Nothing is sent or locked for it (the cancel above is the child process).
    const again = await runInWorker(['cancel', '-q', out, '--base-url', ctx.server.url]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe('');

    const missing = await runInWorker(['cancel', '--quiet', path.join(ctx.dir, 'nope.jsonl')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^llm-batch: cannot read results file .*nope\.jsonl: no such file\n$/);
  });

  it('--resume of a hand-edited manifest: one line naming the file and the field, exit 2; no request file read from elsewhere', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(2));
    const out = path.join(ctx.dir, 'out.jsonl');
    // A chunk waiting to be uploaded whose file points out of the request files' folder, at the input.
    const chunk = { n: 1, model: 'gpt-4o-mini', file: '../in.txt', lines: 2, bytes: 6, status: 'built' };
    fs.writeFileSync(`${out}.batch.json`, JSON.stringify({ version: 1, runKey: 'k', planned: true, inputErrors: 0, chunks: [chunk] }));
    const r = await runInWorker([input, '-o', out, ...batchArgs(), '--resume']);
    expect(r.stderr).toBe(
      `llm-batch: batch manifest ${out}.batch.json is damaged: chunks[0].file is "../in.txt", expected a file name in the request files' folder\n`,
    );
    expect(r.code).toBe(2);
    expect(ctx.server.batchState.counts.uploads).toBe(0);
  });

  it('status of a file that is not there: one line, exit 2', async () => {
    const r = await runInWorker(['status', path.join(ctx.dir, 'nope.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^llm-batch: cannot read results file .*nope\.jsonl: no such file\n$/);
  });
});

describe('--batch-api prices', () => {
  it('--dry-run --batch-api: number of batches, bytes, and the cost at half the live price', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(120, 'a question about something '));
    const live = await runInWorker([input, '--dry-run', '-m', 'gpt-4o', '--max-tokens', '100']);
    const batch = await runInWorker([input, '--dry-run', '-m', 'gpt-4o', '--max-tokens', '100', '--batch-api', '--batch-size', '50']);
    expect(batch.code, batch.stderr).toBe(0);
    expect(batch.stdout).toMatch(/Batch API: 3 batches, [\d,]+ bytes to upload \(at most 50 requests/);
    expect(batch.stdout).toMatch(/"custom_id": "1-/);
    const cost = (text: string) => Number(/Estimated cost: \$([\d.]+)/.exec(text)![1]);
    expect(cost(batch.stdout)).toBeCloseTo(cost(live.stdout) / 2, 4);
    // The total says which price it is at, as each model's line does; the live one names only the list.
    expect(batch.stdout).toMatch(/Estimated cost: \$[\d.]+ \(list prices of \d{4}-\d{2}-\d{2}, at the Batch API's half price; an estimate, not a bill\)/);
    expect(live.stdout).toMatch(/Estimated cost: \$[\d.]+ \(list prices of \d{4}-\d{2}-\d{2}; an estimate, not a bill\)/);
  });

  it('the run summary and --summary-json price the tokens at the batch price', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(20, 'a longer question about something or other '));
    const out = path.join(ctx.dir, 'out.jsonl');
    const summaryFile = path.join(ctx.dir, 'summary.json');
    const r = await runCli([input, '-o', out, ...batchArgs('gpt-4o'), '--summary-json', summaryFile]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    const list = (summary.promptTokens * 2.5 + summary.completionTokens * 10) / 1e6;
    expect(summary.estimatedCost.usd).toBeCloseTo(list / 2, 6);
    expect(summary).toMatchObject({ ok: 20, failed: 0, pendingBatches: 0 });
  });
});

describe('--batch-api: Ctrl-C while waiting', () => {
  it('stops polling at once, exit 130, and the printed command continues without resubmitting', async () => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 20, hold: () => holding };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(4));
    const out = path.join(ctx.dir, 'out.jsonl');
    // -q still says why the run stopped: the batch runs on (and bills) on the server, and the way on.
    const child = spawnCli([input, '-o', out, ...batchArgs(), '-q']);
    const exited = waitForExit(child);
    await until(() => ctx.server.batchState.counts.retrieves >= 2, 'the batch to be polled');
    child.kill('SIGINT');
    const r = await exited;
    expect(r.code, r.stderr).toBe(130);
    // And that it was interrupted (-q keeps the summary line of a signal's stop).
    expect(stderrLines(r)).toEqual([
      expect.stringMatching(/^llm-batch: interrupted: 0 ok, 0 failed/),
      expect.stringMatching(/^llm-batch: 1 batch is still pending: it keeps running on the server; to continue, run: llm-batch /),
    ]);
    const command = /to continue, run: (llm-batch .*)$/m.exec(r.stderr)?.[1];
    expect(command).toMatch(/ -q --resume$/);
    holding = false;
    const again = await runCli([input, '-o', out, ...batchArgs(), '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(ctx.server.batchState.counts.creates).toBe(1);
    expect(rowsOf(out)).toHaveLength(4);
  });
});

describe('--batch-api: Ctrl-C during an upload', () => {
  it('creates no batch after the stop; --resume creates it from the uploaded file, once', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(4));
    const out = path.join(ctx.dir, 'out.jsonl');
    // The upload is answered only once the run has taken the stop in.
    const r = await stopDuringUpload(ctx.server, [input, '-o', out, ...batchArgs()]);
    expect(r.code, r.stderr).toBe(130);
    expect(ctx.server.batchState.counts.creates).toBe(0);
    expect(r.stderr).not.toMatch(/submitted 4 requests|keep running on the server|command below/);
    expect(r.stderr).toMatch(/^llm-batch: stopping: no new batch is submitted$/m);
    expect(r.stderr).toMatch(/nothing was submitted yet \(1 batch waits/);
    const again = await runCli([input, '-o', out, ...batchArgs(), '--resume']);
    expect(again.code, again.stderr).toBe(0);
    // The file uploaded before the stop is the one its batch was made of: nothing twice.
    expect(ctx.server.batchState.counts.uploads).toBe(1);
    expect(ctx.server.batchState.counts.creates).toBe(1);
    expect(
      rowsOf(out)
        .map((row) => row.prompt)
        .sort(),
    ).toEqual(prompts(4).sort());
  });
});

describe('--batch-api against a server without it', () => {
  it('a 404 from /files is one line naming --base-url, exit 2, key redacted', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['x']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, '--base-url', ctx.server.url.replace(/\/v1$/, '/nope'), '--batch-api', '--poll', '0.05']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^llm-batch: uploading chunk-00001\.jsonl: HTTP 404 .*does this server offer the Batch API\? check --base-url\)$/m);
    expect(r.stderr).not.toContain(SECRET_KEY);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });
});

// One run meets both: its first status checks fail (503), then its first download is cut off mid-file.
const flakyServer = shared(async () => {
  let cuts = 0;
  ctx.server.options.batches = { stepMs: 20, retrieveStatus: (n) => (n <= 6 ? 503 : undefined), cutDownload: () => ++cuts === 1 };
  const input = writePrompts(ctx.dir, 'in.txt', prompts(10));
  const out = path.join(ctx.dir, 'out.jsonl');
  const started = Date.now();
  const r = await runCli([input, '-o', out, ...batchArgs()]);
  const ms = Date.now() - started;
  const { downloads, retrieves } = ctx.server.batchState.counts;
  return { r, ms, rows: rowsOf(out), downloads, retrieves };
});

describe('--batch-api: a download cut off mid-file', () => {
  it('is tried again at the next poll, and the rows it already wrote are not written twice', async () => {
    const { r, rows, downloads } = await flakyServer();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/downloading file-mock\d+: .*; trying again at the next poll/);
    expect(downloads).toBe(2);
    expect(rows.map((x) => x.prompt).sort()).toEqual(prompts(10).sort());
  });
});

describe('--batch-api: one batch whose download fails every time', () => {
  it('does not hold up the others: they are collected while it is tried again at each poll', async () => {
    // The first output file asked for is cut off mid-file 6 times over; the others are served whole.
    const order: string[] = [];
    let first: string | undefined;
    let cuts = 0;
    ctx.server.options.batches = {
      stepMs: 5,
      cutDownload: (id) => {
        order.push(id);
        first ??= id;
        return id === first && ++cuts <= 6;
      },
    };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(9));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs(), '--batch-size', '3']);
    expect(r.code, r.stderr).toBe(0);
    expect(
      rowsOf(out)
        .map((x) => x.prompt)
        .sort(),
    ).toEqual(prompts(9).sort());
    const others = [...new Set(order)].filter((id) => id !== first);
    expect(others).toHaveLength(2);
    // Each other file was fetched before the failing one's last try (before: only after it).
    for (const id of others) expect(order.indexOf(id)).toBeLessThan(order.lastIndexOf(first!));
  });
});

describe('--batch-api: the server fails while polled', () => {
  it('5xx on status checks: a notice, back-off within 4 × --poll, then the batch is collected', async () => {
    const { r, ms, rows, retrieves } = await flakyServer();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/reading batch batch_mock\d+: HTTP 503 mock outage \(HTTP 503\); trying again at the next poll/g)).toHaveLength(2);
    expect(retrieves).toBeGreaterThan(6); // each check: the SDK's request and its 2 retries
    expect(rows.map((x) => x.prompt).sort()).toEqual(prompts(10).sort());
    // The SDK's short retry waits, then at most 4 × 0.05 s between checks: seconds, not minutes.
    expect(ms).toBeLessThan(30_000);
  });
});

describe('--mock --batch-api (offline, no key)', () => {
  it('submits, polls and collects through the in-process Batch API', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(7));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, '--mock', '--batch-api', '--batch-size', '4'], { env: { OPENAI_API_KEY: undefined } });
    expect(r.code, r.stderr).toBe(0);
    const rows = rowsOf(out);
    expect(rows.map((x) => x.prompt).sort()).toEqual(prompts(7).sort());
    for (const row of rows) expect(row.response).toContain(`you asked "${row.prompt}"`);
    expect(new Set(rows.map((x) => x.batch_id)).size).toBe(2);
    const noWait = await runInWorker([input, '-o', path.join(ctx.dir, 'o2.jsonl'), '--mock', '--batch-api', '--no-wait']);
    expect(noWait.code).toBe(2);
    expect(noWait.stderr).toMatch(/--no-wait needs a real server/);
  });
});
