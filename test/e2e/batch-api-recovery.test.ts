/**
 * --batch-api after things went wrong on the server (a refused batch, an echoed key, an exhausted
 * quota) or in an earlier run (--overwrite of unfinished batches): the BUILT CLI against the mock
 * server's Batch API (test/helpers/mock-batches.ts). Every record ends with a row or stays pending,
 * and the key never reaches a file or the terminal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { stderrLines, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { SECRET_KEY, parseJsonl, runCli, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { shared } from '../helpers/shared-run.js';
import { until } from '../helpers/until.js';
import { runPty, startPty } from '../helpers/run-pty.js';

const ctx = useServerAndCaseDir('llm-batch-batchrecovery-');

beforeEach(() => {
  ctx.server.options.batches = { stepMs: 30 };
});

interface Row {
  prompt: string;
  response: string | null;
  error: { type: string; message: string; code?: string } | null;
}

const prompts = (n: number) => Array.from({ length: n }, (_, i) => `q${i + 1}`);
const rowsOf = (file: string): Row[] => (fs.existsSync(file) ? parseJsonl<Row>(fs.readFileSync(file, 'utf8')) : []);
const batchArgs = () => ['--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '--batch-api', '--poll', '0.05', '--no-cache'];
/** The 1-based input line a Batch line's custom_id names ("7-ab12cd34"). */
const lineOf = (line: any) => Number(String(line.custom_id).split('-')[0]);

/** Ten prompts in two batches of 5: the first held on the server while `holding`, the second refused while `refusing`. */
function refusedSecondBatch() {
  const server = { holding: true, refusing: true };
  ctx.server.options.batches = {
    stepMs: 30,
    hold: (i) => i === 0 && server.holding,
    validate: (line) => (server.refusing && lineOf(line) > 5 ? 'bad line' : undefined),
  };
  const input = writePrompts(ctx.dir, 'in.txt', prompts(10));
  const out = path.join(ctx.dir, 'out.jsonl');
  return { server, out, args: [input, '-o', out, ...batchArgs(), '--batch-size', '5'] };
}

describe('--batch-api --finish-live on a terminal', () => {
  it('the bar counts the requests run live as done, not as the failures the expired batch reported', async () => {
    ctx.server.options.batches = { stepMs: 30, expireAfter: (i) => (i === 0 ? 2 : undefined) };
    ctx.server.options.latencyMs = 150;
    const input = writePrompts(ctx.dir, 'in.txt', prompts(10));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runPty([input, '-o', out, ...batchArgs(), '--finish-live', '-c', '1'], { cols: 200 });
    expect(r.code, r.raw).toBe(0);
    expect(rowsOf(out).filter((row) => row.error === null)).toHaveLength(10);
    const frames = r.raw.split(/\r|\n/).filter((line) => /\d+\/10 requests/.test(line));
    // While the 8 run live the bar moves, and it ends whole, with no failure.
    expect(new Set(frames.map((line) => /(\d+)\/10 requests/.exec(line)![1])).size).toBeGreaterThan(2);
    expect(frames.at(-1)).toMatch(/10\/10 requests(?! \()/);
    expect(frames.join('\n')).not.toMatch(/failed\)/);
  });

  it('resumed after a stop in its live part: the requests answered live before count as done', async () => {
    ctx.server.options.batches = { stepMs: 30, expireAfter: (i) => (i === 0 ? 2 : undefined) };
    ctx.server.options.latencyMs = 300;
    const input = writePrompts(ctx.dir, 'in.txt', prompts(10));
    const out = path.join(ctx.dir, 'out.jsonl');
    const child = spawnCli([input, '-o', out, ...batchArgs(), '--finish-live', '-c', '1']);
    await until(() => rowsOf(out).length >= 5, 'five rows');
    child.kill('SIGINT');
    expect((await waitForExit(child)).code).toBe(130);
    ctx.server.options.latencyMs = 20;
    const r = await runPty([input, '-o', out, ...batchArgs(), '--finish-live', '-c', '1', '--resume'], { cols: 200 });
    expect(r.code, r.raw).toBe(0);
    expect(rowsOf(out).filter((row) => row.error === null)).toHaveLength(10);
    const frames = r.raw.split(/\r|\n/).filter((line) => /\d+\/10 requests/.test(line));
    expect(frames.at(-1)).toMatch(/10\/10 requests(?! \()/);
  });

  it('a batch cancelled elsewhere, its requests run live: the bar ends with the live failures, whole', async () => {
    ctx.server.options.batches = { stepMs: 30, hold: (i) => i === 0 };
    ctx.server.options.latencyMs = 50;
    ctx.server.options.fault = ({ prompt }) => (prompt === 'q9' || prompt === 'q10' ? '400' : undefined);
    const input = writePrompts(ctx.dir, 'in.txt', prompts(10));
    const out = path.join(ctx.dir, 'out.jsonl');
    const session = startPty([input, '-o', out, ...batchArgs(), '--finish-live', '-c', '1'], { cols: 200 });
    await until(() => ctx.server.batchState.counts.creates > 0, 'the batch created');
    const auth = { authorization: `Bearer ${SECRET_KEY}` };
    const list = (await (await fetch(`${ctx.server.url}/batches`, { headers: auth })).json()) as { data: Array<{ id: string }> };
    expect((await fetch(`${ctx.server.url}/batches/${list.data[0]!.id}/cancel`, { method: 'POST', headers: auth })).status).toBe(200);
    session.child.stdin!.end();
    const r = await session.done;
    expect(rowsOf(out).filter((row) => row.error !== null)).toHaveLength(2);
    const frames = r.raw.split(/\r|\n/).filter((line) => /\d+\/10 requests/.test(line));
    expect(frames.at(-1)).toMatch(/10\/10 requests \(2 failed\)/);
  });
});

describe('--batch-api: a refused batch', () => {
  it('the --resume that collects the other batches plans the refused lines again: one --resume finishes, exit 0', async () => {
    const { server, out, args } = refusedSecondBatch();
    const summary = path.join(ctx.dir, 'summary.json');
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(2);
    expect(first.stderr).toMatch(/batch 2\/2 \(batch_mock\d+\) was refused by the server/);
    // Its other batch is still on the server: the line names it, and the command that collects it, as a rejected key's does.
    expect(first.stderr).toMatch(/; its other batch is still on the server: batch 1\/2 \(batch_mock\d+\); when that is fixed, run: llm-batch .*--resume/);

    server.holding = false;
    server.refusing = false;
    const resumed = await runCli([...args, '--resume', '--summary-json', summary]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(
      /batch 2\/2 \(batch_mock\d+\) was refused by the server \(line 1: bad line; line 2: bad line; line 3: bad line\): its 5 requests are planned again/,
    );
    expect(resumed.stderr).toMatch(/^llm-batch: 5 more requests without a row in 1 batch$/m);
    expect(resumed.stderr).not.toMatch(/still pending|no row yet/);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ ok: 10, pendingBatches: 0, unsubmittedBatches: 0, resumeHint: null, exitCode: 0 });
    expect(ctx.server.batchState.counts.creates).toBe(3);
    const rows = rowsOf(out);
    expect(rows.map((r) => r.prompt).sort()).toEqual(prompts(10).sort());
    for (const r of rows) expect(r.response).toBe(`ECHO ${r.prompt}`);
    expect(fs.existsSync(`${out}.batch.d`)).toBe(false);
    // Its status says the refusal is behind it: its requests went on in a later batch.
    const status = await runCli(['status', out, '--no-refresh']);
    expect(status.stdout).toMatch(/next: refused: line 1: bad line; .*; its requests were planned again/);
    expect(status.stdout).toMatch(/every batch is collected/);
  });

  it('cancelled instead: its status says its requests were cancelled, not planned again', async () => {
    const { out, args } = refusedSecondBatch();
    expect((await runCli(args)).code).toBe(2);
    const cancelled = await runCli(['cancel', out, '--base-url', ctx.server.url, '--poll', '0.05']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const status = await runCli(['status', out, '--no-refresh']);
    expect(status.stdout).toMatch(/next: refused: line 1: bad line; .*; cancelled \(llm-batch cancel\)\n/);
    expect(status.stdout).not.toMatch(/planned again/);
  });

  it('refused again on the --resume: exit 2 as the first time, and the next --resume plans them once more', async () => {
    const { server, out, args } = refusedSecondBatch();
    expect((await runCli(args)).code).toBe(2);

    server.holding = false;
    const resumed = await runCli([...args, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(2);
    expect(resumed.stderr).toMatch(/batch 3\/3 \(batch_mock\d+\) was refused by the server/);
    expect(rowsOf(out)).toHaveLength(5);
    // Nothing on the server, yet the refused batch's 5 requests have no row: not "every batch is collected".
    const status = await runCli(['status', out, '--no-refresh']);
    expect(status.stdout).toMatch(
      /nothing pending on the server, but a batch the server refused left 5 requests without a row: run the command again with --resume/,
    );
    expect(status.stdout).not.toMatch(/every batch is collected/);
    expect(JSON.parse((await runCli(['status', out, '--no-refresh', '--json'])).stdout)).toMatchObject({ pending: 0, unsubmitted: 0, refused: 1 });

    server.refusing = false;
    const again = await runCli([...args, '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(
      rowsOf(out)
        .map((r) => r.prompt)
        .sort(),
    ).toEqual(prompts(10).sort());
  });
});

/**
 * One batch run meets the key the server echoes, three ways: q1's answer spells it (text, logprobs,
 * model name), q2's line is refused with it (400), q3's is a 401 that echoes it, as OpenAI's does.
 */
const echoedKey = shared(async () => {
  const options = ctx.server.options;
  Object.assign(options, { reply: () => `key ${SECRET_KEY}.`, pieceChars: 3, servedModel: `gw/${SECRET_KEY}` });
  options.batches = {
    stepMs: 30,
    lineStatus: (id) => (id.startsWith('2-') ? 400 : id.startsWith('3-') ? 401 : undefined),
    lineMessage: (_id, status) => (status === 401 ? `Incorrect API key provided: ${SECRET_KEY} (HTTP ${status})` : `bad request from key ${SECRET_KEY}`),
  };
  try {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'out.jsonl');
    const report = path.join(ctx.dir, 'report.html');
    const cache = path.join(ctx.dir, 'cache');
    const args = [input, '--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '--param', 'logprobs=true', '--cache-dir', cache];
    const r = await runCli([...args, '-o', out, '--report', report, '--batch-api', '--poll', '0.05']);
    return { r, args, out, report, cache };
  } finally {
    for (const name of ['reply', 'pieceChars', 'servedModel'] as const) delete options[name];
  }
});

describe('--batch-api: a key the server echoes', () => {
  it("is redacted in a failed line's row, as a live run's error is", async () => {
    const { r, out } = await echoedKey();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toContain(SECRET_KEY);
    const text = fs.readFileSync(out, 'utf8');
    expect(text).not.toContain(SECRET_KEY);
    const failed = rowsOf(out).find((row) => row.prompt === 'q3')!;
    expect(failed.error).toMatchObject({ type: 'auth', message: 'Incorrect API key provided: [redacted] (HTTP 401)' });
  });

  it('is [redacted] in a collected answer (text, logprobs, model name): in its row, the report and the cache, as live', async () => {
    const { r, args, out, report, cache } = await echoedKey();
    expect(r.code, r.stderr).toBe(1);
    const [answered, failed] = parseJsonl<Row & { model: string; logprobs: { content: Array<{ token: string; bytes: number[] }> } }>(
      fs.readFileSync(out, 'utf8'),
    ).sort((a, b) => a.prompt.localeCompare(b.prompt));
    expect(answered).toMatchObject({ response: 'key [redacted].', model: 'gw/[redacted]', error: null });
    // The key spread over twelve tokens: none of them, nor their bytes, spells any of it.
    const tokens = answered!.logprobs.content;
    expect(tokens.map((t) => t.token).join('')).toBe('key [redacted].');
    expect(Buffer.from(tokens.flatMap((t) => t.bytes)).toString()).toBe('key');
    expect(failed!.error).toMatchObject({ message: 'bad request from key [redacted]' });
    for (const file of [out, report, ...fs.readdirSync(cache).map((f) => path.join(cache, f))]) {
      expect(fs.readFileSync(file).includes(SECRET_KEY.slice(-8)), file).toBe(false);
    }
    // A live run served from the cache gets the answer as the batch's row has it.
    const options = ctx.server.options;
    Object.assign(options, { reply: () => `key ${SECRET_KEY}.`, pieceChars: 3, servedModel: `gw/${SECRET_KEY}` });
    try {
      const live = path.join(ctx.dir, 'live.jsonl');
      expect((await runCli([...args, '-o', live])).code).toBe(0);
      const hit = parseJsonl<Row>(fs.readFileSync(live, 'utf8')).find((row) => row.prompt === 'q1');
      expect(hit).toMatchObject({ cached: true, response: answered!.response, model: answered!.model, logprobs: answered!.logprobs });
    } finally {
      for (const name of ['reply', 'pieceChars', 'servedModel'] as const) delete options[name];
    }
  });

  it("is redacted in a refused batch's message, its manifest and llm-batch status", async () => {
    ctx.server.options.batches = { stepMs: 30, validate: (_line, n) => (n === 2 ? `bad key ${SECRET_KEY} on this line` : undefined) };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/was refused by the server \(1 problem\): line 2: bad key \[redacted\] on this line/);
    expect(r.stderr).not.toContain(SECRET_KEY);
    expect(fs.readFileSync(`${out}.batch.json`, 'utf8')).not.toContain(SECRET_KEY);
    const status = await runCli(['status', out, '--no-refresh']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/next: refused: line 2: bad key \[redacted\]/);
    expect(status.stdout + status.stderr).not.toContain(SECRET_KEY);
  });
});

describe('--batch-api --overwrite', () => {
  it('keeps the manifest of batches still on the server, whatever the new run meets, and names cancel', async () => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 30, hold: () => holding };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(4));
    const out = path.join(ctx.dir, 'out.jsonl');
    const args = [input, '-o', out, ...batchArgs()];
    expect((await runCli([...args, '--no-wait'])).code).toBe(75);
    const manifest = fs.readFileSync(`${out}.batch.json`, 'utf8');
    const [batchId] = [...ctx.server.batchState.batches.keys()];

    const wrongKey = await runCli([...args, '--no-wait', '--overwrite'], { env: { OPENAI_API_KEY: 'sk-WRONGKEY99xx' } });
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toContain(`not collected yet (${batchId})`);
    expect(wrongKey.stderr).toContain(`llm-batch cancel ${out}`);
    expect(fs.readFileSync(`${out}.batch.json`, 'utf8')).toBe(manifest);
    expect(ctx.server.batchState.counts.uploads).toBe(1);

    // Cancelled, the earlier batches are done with: --overwrite starts again.
    const cancelled = await runCli(['cancel', out, '--base-url', ctx.server.url, '--poll', '0.05']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    holding = false;
    const fresh = await runCli([...args, '--overwrite']);
    expect(fresh.code, fresh.stderr).toBe(0);
    const rows = rowsOf(out);
    expect(rows.map((r) => r.prompt).sort()).toEqual(prompts(4).sort());
    for (const r of rows) expect(r.response).toBe(`ECHO ${r.prompt}`);
  });
});

describe('--batch-api: an exhausted quota', () => {
  it('a quota stop after one batch was made ends as a live stop does: the summary line, the --report, then why', async () => {
    ctx.server.options.batches = { stepMs: 30, createQuota: () => ctx.server.batchState.counts.creates >= 1 };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(4));
    const out = path.join(ctx.dir, 'out.jsonl');
    const report = path.join(ctx.dir, 'r.html');
    const r = await runCli([input, '-o', out, ...batchArgs(), '--batch-size', '2', '--report', report], { timeoutMs: 10_000 });
    expect(r.code, r.stderr).toBe(3);
    const lines = stderrLines(r);
    const stopped = lines.findIndex((line) => /^llm-batch: stopped \(quota\): 0 ok, 0 failed/.test(line));
    const quota = lines.findIndex((line) => /^llm-batch: quota exhausted /.test(line));
    expect(stopped, r.stderr).toBeGreaterThanOrEqual(0);
    expect(quota).toBeGreaterThan(stopped);
    expect(lines).toContainEqual(
      // The batch made is pending; the one whose create was refused was never made (it counted as pending).
      expect.stringMatching(
        /^llm-batch: report of 0 rows written to .*r\.html \(1 batch is still pending, and 1 built but not submitted: it holds the rows collected so far\)$/,
      ),
    );
    expect(fs.existsSync(report)).toBe(true);
  });

  it('cancel after a quota stop deletes the uploaded request file no batch was made from (it stayed in the storage)', async () => {
    ctx.server.options.batches = { stepMs: 30, createQuota: () => true };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs()], { timeoutMs: 10_000 });
    expect(r.code, r.stderr).toBe(3);
    const uploaded = [...ctx.server.batchState.files.keys()];
    expect(uploaded).toHaveLength(1);
    const cancelled = await runCli(['cancel', out, '--base-url', ctx.server.url, '--poll', '0.05']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(ctx.server.batchState.deleted).toEqual(uploaded);
    expect(rowsOf(out).map((row) => row.error?.type)).toEqual(['aborted', 'aborted', 'aborted']);
  });

  it.each([
    [true, /HTTP 429 You exceeded your current quota/],
    ['credits', /HTTP 402 Insufficient credits/],
    ['spend-cap', /HTTP 403 Key limit exceeded/],
  ] as const)('a refusal for want of money (%s) on creating a batch stops the run with exit 3, and --resume goes on once topped up', async (kind, said) => {
    let quota = false;
    ctx.server.options.batches = { stepMs: 30, createQuota: () => !quota && kind };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'out.jsonl');
    const args = [input, '-o', out, ...batchArgs()];
    const r = await runCli(args, { timeoutMs: 10_000 });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/quota exhausted \(creating a batch from file-mock\d+: /);
    expect(r.stderr).toMatch(said);
    // What lifts it: a key past its own cap needs the cap raised; more credit would not do.
    expect(r.stderr).toMatch(
      kind === 'spend-cap'
        ? /\); raise the key's spending limit; when that is fixed, run: llm-batch .* --resume$/m
        : /\); add credit; when that is fixed, run: llm-batch .* --resume$/m,
    );
    expect(r.stderr).not.toMatch(/trying again at the next poll/);
    expect(ctx.server.batchState.counts.creates).toBe(0);

    quota = true;
    const resumed = await runCli([...args, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(
      rowsOf(out)
        .map((row) => row.prompt)
        .sort(),
    ).toEqual(prompts(3).sort());
  });
});

describe('--batch-api: a finished batch whose output file is gone', () => {
  it('says which file is missing and sends its lines again in the same resume', async () => {
    // Held until the --no-wait run is over: on a loaded machine it could otherwise finish (30 ms a
    // step) before that run's first check, which then collects it and exits 0.
    let holding = true;
    ctx.server.options.batches = { stepMs: 30, hold: () => holding };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(4));
    const out = path.join(ctx.dir, 'out.jsonl');
    const args = [input, '-o', out, ...batchArgs()];
    expect((await runCli([...args, '--no-wait'])).code).toBe(75);
    holding = false;
    const [batchId] = [...ctx.server.batchState.batches.keys()];
    // The batch finishes (the mock judges it when read), then its output file is deleted on the server.
    let outputFile: string | null = null;
    await until(() => {
      void fetch(`${ctx.server.url}/batches/${batchId}`)
        .then((res) => res.json())
        .then((b: any) => {
          if (b.status === 'completed') outputFile = b.output_file_id;
        });
      return outputFile !== null;
    }, 'the batch to complete');
    ctx.server.batchState.files.delete(outputFile!);

    const resumed = await runCli([...args, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`its output file ${outputFile} is gone from the server`);
    expect(resumed.stderr).not.toMatch(/does this server offer the Batch API/);
    expect(resumed.stderr).toMatch(/completed with 4 requests not run; resubmitting them as batch 2/);
    const rows = rowsOf(out);
    expect(rows.map((r) => r.prompt).sort()).toEqual(prompts(4).sort());
    for (const r of rows) expect(r.response).toBe(`ECHO ${r.prompt}`);
  });
});

describe('--batch-api: a completed batch that leaves requests without an answer', () => {
  it('resubmits them once; when that batch answers none of them either, they are error rows, not a batch per round for ever', async () => {
    // A server that drops lines 1 and 2 from every batch's output and error file alike.
    ctx.server.options.batches = { stepMs: 30, dropLine: (id) => lineOf({ custom_id: id }) <= 2 };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(5));
    const out = path.join(ctx.dir, 'out.jsonl');
    // The old code created a batch per round for ever: the safety net kills it.
    const r = await runCli([input, '-o', out, ...batchArgs()], { timeoutMs: 20_000 });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(1);
    expect(ctx.server.batchState.counts.creates).toBe(2);
    expect(r.stderr).toMatch(/batch 1\/2 \(batch_mock\d+\): completed with 2 requests not run; resubmitting them as batch 2/);
    expect(r.stderr).toMatch(
      /batch 2\/2 \(batch_mock\d+\): completed without an answer to 2 requests again; not resubmitting them: they are error rows \(bad_response\)/,
    );
    const rows = rowsOf(out);
    expect(rows.map((row) => row.prompt).sort()).toEqual(prompts(5).sort());
    const failed = rows.filter((row) => row.error);
    expect(failed.map((row) => row.prompt).sort()).toEqual(['q1', 'q2']);
    for (const row of failed) {
      expect(row.error!.type).toBe('bad_response');
      expect(row.error!.message).toMatch(
        /^batch batch_mock\d+ completed without an answer to this request \(neither its output file nor its error file had a line for this request\)/,
      );
    }
    // Nothing left for a resume to collect: the manifest's chunks are all closed.
    expect(fs.existsSync(`${out}.batch.d`)).toBe(false);
  });
});

describe('llm-batch cancel after a kill between creating a batch and hearing back', () => {
  it('finds the batch by its metadata and cancels it; the resume submits nothing twice', async () => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 30, hold: () => holding, hang: (step) => step === 'create' && ctx.server.batchState.counts.creates <= 1 };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(4));
    const out = path.join(ctx.dir, 'out.jsonl');
    const args = [input, '-o', out, ...batchArgs()];
    const child = spawnCli(args);
    const exited = waitForExit(child);
    await until(() => ctx.server.batchState.counts.hung === 1, 'the create to hang');
    child.kill('SIGKILL');
    await exited;
    const [batchId] = [...ctx.server.batchState.batches.keys()];
    expect(JSON.parse(fs.readFileSync(`${out}.batch.json`, 'utf8')).chunks[0]).toMatchObject({ status: 'uploaded' });

    const cancelled = await runCli(['cancel', out, '--base-url', ctx.server.url, '--poll', '0.05']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stderr).toContain(`found ${batchId}, created before the last run stopped`);
    expect(ctx.server.batchState.counts.cancels).toBe(1);
    expect(rowsOf(out)).toHaveLength(4);

    holding = false;
    const resumed = await runCli([...args, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    // The batch the killed run created was cancelled, not left running beside the resume's.
    expect(ctx.server.batchState.counts.creates).toBe(2);
    const last = new Map(rowsOf(out).map((r) => [r.prompt, r]));
    expect([...last.keys()].sort()).toEqual(prompts(4).sort());
  });
});

describe('--batch-api: collecting batches whose rows are already in the output', () => {
  it('counts them as already done (exit 0), not as an empty input, and writes no row twice', async () => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 30, hold: () => holding };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(4));
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await runCli([input, '-o', out, ...batchArgs(), '--no-wait'])).code).toBe(75);
    // Rows already there: as a kill between appending a batch's rows and the manifest saying so
    // leaves them, or a live --resume of an older version did (one now refuses pending batches,
    // so the manifest is out of its sight here).
    fs.renameSync(`${out}.batch.json`, `${out}.batch.json.aside`);
    const live = await runCli([input, '-o', out, '--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '--no-cache', '--resume']);
    fs.renameSync(`${out}.batch.json.aside`, `${out}.batch.json`);
    expect(live.code, live.stderr).toBe(0);
    expect(rowsOf(out)).toHaveLength(4);

    holding = false;
    const collected = await runCli([input, '-o', out, ...batchArgs(), '--resume']);
    expect(collected.stderr).not.toMatch(/no prompts in/);
    expect(collected.code, collected.stderr).toBe(0);
    expect(collected.stderr).toMatch(/4 already done/);
    expect(rowsOf(out)).toHaveLength(4);
  });
});

describe('--batch-api: a poll the server holds', () => {
  it("is given up after --idle-timeout and asked again, not after the SDK's 10 minutes: the run finishes", async () => {
    // The first two polls get no answer at all; without a bound of their own each held the run 10 minutes.
    ctx.server.options.batches = { stepMs: 30, hang: (step) => step === 'retrieve' && ctx.server.batchState.counts.retrieves <= 2 };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(3));
    const out = path.join(ctx.dir, 'out.jsonl');
    const run = await runCli([input, '-o', out, ...batchArgs(), '--idle-timeout', '0.3']);
    expect(run.code, run.stderr).toBe(0);
    expect(rowsOf(out).map((r) => r.response !== null)).toEqual([true, true, true]);
    expect(ctx.server.batchState.counts.hung).toBe(2);
  });
});

describe('--batch-api: request files or manifest fields gone by hand', () => {
  /** Four prompts in two batches, both held on the server: a --no-wait run leaves them pending (exit 75). */
  async function pending() {
    const held = { on: true };
    ctx.server.options.batches = { stepMs: 30, hold: () => held.on };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(4));
    const out = path.join(ctx.dir, 'out.jsonl');
    const args = [input, '-o', out, ...batchArgs(), '--batch-size', '2'];
    const first = await runCli([...args, '--no-wait']);
    expect(first.code, first.stderr).toBe(75);
    return { held, out, args, dir: `${out}.batch.d`, manifest: `${out}.batch.json` };
  }

  it("a batch on the server whose files are gone: --resume and cancel say which and what to do (exit 2), not an ENOENT's exit 70; put back, it is collected", async () => {
    const { held, out, args, dir } = await pending();
    fs.renameSync(dir, `${dir}.away`);
    held.on = false;
    const index = path.join(dir, 'chunk-00001.index.jsonl');
    for (const command of [
      [...args, '--resume'],
      ['cancel', out, '--base-url', ctx.server.url],
    ]) {
      const r = await runCli(command);
      expect([r.code, r.stderr]).toEqual([
        2,
        expect.stringMatching(
          new RegExp(
            `^llm-batch: ${index.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is missing: batch 1/2 \\(batch_\\w+\\) cannot be collected without it \\(it says which input line each of its answers belongs to\\)\\. Put ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} back as it was; or, to give up that batch's answers, delete \\S+\\.batch\\.json \\(the next run asks its requests again, and pays again; the batch runs on on the server until it ends\\)\\n$`,
          ),
        ),
      ]);
    }
    expect(ctx.server.batchState.counts.cancels).toBe(0);
    fs.renameSync(`${dir}.away`, dir);
    const resumed = await runCli([...args, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(
      rowsOf(out)
        .map((r) => r.prompt)
        .sort(),
    ).toEqual(prompts(4));
  });

  it('cancel of batches one of whose request files is gone: it reads none, and stops them all (a --resume needs it)', async () => {
    const { out, args, dir } = await pending();
    fs.rmSync(path.join(dir, 'chunk-00001.jsonl'));
    expect((await runCli([...args, '--resume', '--no-wait'])).code).toBe(2);
    const r = await runCli(['cancel', out, '--base-url', ctx.server.url, '--poll', '0.05']);
    expect(r.code, r.stderr).toBe(0);
    expect(ctx.server.batchState.counts.cancels).toBe(2);
    expect(
      rowsOf(out)
        .map((row) => row.prompt)
        .sort(),
    ).toEqual(prompts(4));
  });

  it('a batch never submitted whose request file is gone: stopped, and its lines planned again in the same --resume (nothing of it was paid)', async () => {
    const uploads = { failing: true };
    ctx.server.options.batches = { stepMs: 30, uploadStatus: (n) => (uploads.failing && n >= 2 ? 503 : undefined) };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(4));
    const out = path.join(ctx.dir, 'out.jsonl');
    const args = [input, '-o', out, ...batchArgs(), '--batch-size', '2'];
    expect((await runCli([...args, '--no-wait'])).code).toBe(75);
    const manifest = JSON.parse(fs.readFileSync(`${out}.batch.json`, 'utf8'));
    expect(manifest.chunks.map((c: { status: string }) => c.status)).toEqual([expect.any(String), 'built']);
    fs.rmSync(path.join(`${out}.batch.d`, 'chunk-00002.jsonl'));
    uploads.failing = false;
    const r = await runCli([...args, '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^llm-batch: batch 2\/2 stopped \(its file \S+chunk-00002\.jsonl is gone\): its 2 requests are planned again$/m);
    expect(
      rowsOf(out)
        .map((row) => row.prompt)
        .sort(),
    ).toEqual(prompts(4));
  });

  it("a CSV output whose header was edited while its batches are out: the way on is this file with the run's settings, not a new one (which leaves them paid for)", async () => {
    const held = { on: true };
    ctx.server.options.batches = { stepMs: 30, hold: () => held.on };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(2));
    const out = path.join(ctx.dir, 'out.csv');
    const args = [input, '-o', out, ...batchArgs()];
    expect((await runCli([...args, '--no-wait'])).code).toBe(75);
    const header = fs.readFileSync(out, 'utf8');
    fs.writeFileSync(out, 'id,response\n');
    const r = await runCli([...args, '--resume']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^llm-batch: Output file \S+out\.csv does not start with the llm-batch CSV header \(.*\); appending would mix columns\. Its batch still on the server \(batch_\w+\) is collected into this file by a --resume with the run's own settings \(and the file as the run left it\); a new output file would leave it paid for and uncollected\.\n$/,
    );
    fs.writeFileSync(out, header);
    held.on = false;
    expect((await runCli([...args, '--resume'])).code).toBe(0);
  });

  it('a directory where the batches\' state goes: move it away, not "make a FIFO"', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(1));
    const out = path.join(ctx.dir, 'out.jsonl');
    fs.mkdirSync(`${out}.batch.json`);
    const r = await runCli([input, '-o', out, ...batchArgs()]);
    expect([r.code, r.stderr]).toEqual([
      2,
      `llm-batch: --batch-api -o ${out}: the batches' state goes beside it, in ${out}.batch.json, which is a directory: move it away\n`,
    ]);
  });

  it('manifest fields nothing would end: two chunks of one number, a batch on the server without its id (exit 2); a status this version does not know is asked of the server', async () => {
    const { held, args, manifest } = await pending();
    const saved = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    const write = (edit: (m: any) => void) => {
      const m = structuredClone(saved);
      edit(m);
      fs.writeFileSync(manifest, JSON.stringify(m));
    };
    write((m) => (m.chunks[1].n = 1));
    const twice = await runCli([...args, '--resume']);
    expect([twice.code, twice.stderr]).toEqual([
      2,
      `llm-batch: batch manifest ${manifest} is damaged: chunks[1].n is 1, as chunks[0].n is, expected a number of its own\n`,
    ]);
    write((m) => delete m.chunks[1].batchId);
    const noId = await runCli([...args, '--resume']);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toMatch(/^llm-batch: batch manifest \S+ is damaged: chunks\[1\]\.batchId is missing, expected a batch id \(its status is "\w+"\)\n$/);
    // Before: never polled, pending for ever (exit 75 at every --resume).
    write((m) => (m.chunks[1].status = 'bogus'));
    held.on = false;
    const unknown = await runCli([...args, '--resume']);
    expect(unknown.code, unknown.stderr).toBe(0);
    expect(unknown.stderr).toMatch(/^llm-batch: 4 ok, 0 failed/m);
  });
});
