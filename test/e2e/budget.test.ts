/**
 * --max-cost end to end: the built CLI against the mock server, 50 requests in flight. The answers'
 * own usage, priced as the budget prices it, must stay within the cap; a resume with a larger cap
 * finishes the rest.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const ctx = useServerAndCaseDir('llm-batch-budget-');

interface Row {
  id: string;
  error: { type: string; message: string } | null;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  finish_reason?: string | null;
}

/** $1,000 per million tokens both ways: a dollar buys a thousand tokens. */
const PRICE = ['--price', '1000/1000'];
const costOf = (rows: readonly Row[]) => rows.reduce((sum, r) => sum + (r.usage ? (r.usage.prompt_tokens + r.usage.completion_tokens) * 0.001 : 0), 0);

describe('--max-cost', () => {
  it('stops within the cap with 50 in flight, exit 3, and --resume with a new cap finishes', async () => {
    const prompts = Array.from({ length: 400 }, (_, i) => `budget prompt number ${i}`);
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summaryFile = path.join(ctx.dir, 's.json');
    const args = [input, '--base-url', ctx.server.url, '-o', out, '-c', '50', '--max-tokens', '20', ...PRICE];
    const first = await runCli([...args, '--max-cost', '1', '--summary-json', summaryFile]);
    expect(first.code, first.stderr).toBe(3);
    expect(first.stderr).toMatch(/budget reached: \$0\.\d{4} of \$1\.00/);
    const rows = parseJsonl<Row>(fs.readFileSync(out, 'utf8'));
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(400);
    expect(rows.every((r) => r.error === null)).toBe(true);
    expect(costOf(rows)).toBeLessThanOrEqual(1);
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    expect(summary.stopped).toBe('budget');
    expect(summary.budget.capUsd).toBe(1);
    expect(summary.budget.spentUsd).toBeCloseTo(costOf(rows), 6);
    expect(ctx.server.requests).toHaveLength(rows.length);

    // A new cap is not "a different run": no --force-resume needed.
    const second = await runCli([...args, '--max-cost', '100', '--resume']);
    expect(second.code, second.stderr).toBe(0);
    const all = parseJsonl<Row>(fs.readFileSync(out, 'utf8'));
    expect(all).toHaveLength(400);
    expect(new Set(all.map((r) => r.id)).size).toBe(400);
  });

  it('a spent budget stops the requests, not the cache: every prompt already answered there gets its row, free', async () => {
    // The budget stop ended the input's read: 4,283 cached answers of 5,000 were left "not run",
    // and no resume could reach them without paying for the next new prompt first.
    const old = Array.from({ length: 300 }, (_, i) => `cached budget prompt ${i}`);
    const fresh = Array.from({ length: 30 }, (_, i) => `new budget prompt ${i}`);
    const cacheDir = path.join(ctx.dir, 'cache');
    const common = ['--base-url', ctx.server.url, '--cache-dir', cacheDir, '-c', '4', '--max-tokens', '20', ...PRICE];
    const warm = await runCli([writePrompts(ctx.dir, 'old.txt', old), ...common, '-o', path.join(ctx.dir, 'warm.jsonl')]);
    expect(warm.code, warm.stderr).toBe(0);
    // The new prompts first: the cap is spent before any cached one is read.
    const input = writePrompts(ctx.dir, 'p.txt', [...fresh, ...old]);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summaryFile = path.join(ctx.dir, 's.json');
    const sentBefore = ctx.server.requests.length;
    const run = await runCli([input, ...common, '-o', out, '--max-cost', '0.2', '--summary-json', summaryFile]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/budget reached: \$0\.\d{4} of \$0\.20/);
    const rows = parseJsonl<Row & { cached?: boolean }>(fs.readFileSync(out, 'utf8'));
    expect(rows.filter((r) => r.cached)).toHaveLength(300);
    const paid = rows.filter((r) => !r.cached);
    expect(paid.length).toBeGreaterThan(0);
    expect(paid.length).toBeLessThan(30);
    expect(ctx.server.requests.length - sentBefore).toBe(paid.length);
    expect(costOf(paid)).toBeLessThanOrEqual(0.2);
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    expect(summary).toMatchObject({ stopped: 'budget', exitCode: 3, fromCache: 300, notRun: 30 - paid.length });
    // The rest are asked by a resume with room for them.
    const rest = await runCli([input, ...common, '-o', out, '--max-cost', '100', '--resume']);
    expect(rest.code, rest.stderr).toBe(0);
    expect(new Set(parseJsonl<Row>(fs.readFileSync(out, 'utf8')).map((r) => r.id)).size).toBe(330);
  });

  it('an answer whose usage exceeds its reservation is charged in full: nothing sent after the spend passed the cap, one line says by how much, exit 3', async () => {
    // A server that ignores max_tokens: ~3,000 answer tokens ($3 at this price) where 10 were allowed.
    ctx.server.options.reply = (prompt) => (prompt.includes('LONG') ? 'word '.repeat(3000) : 'ok');
    try {
      const prompts = ['first', 'second LONG', ...Array.from({ length: 8 }, (_, i) => `after ${i}`)];
      const input = writePrompts(ctx.dir, 'p.txt', prompts);
      const out = path.join(ctx.dir, 'out.jsonl');
      const summaryFile = path.join(ctx.dir, 's.json');
      const result = await runCli([
        input,
        '--base-url',
        ctx.server.url,
        '-o',
        out,
        '-c',
        '1',
        '--max-tokens',
        '10',
        ...PRICE,
        '--max-cost',
        '1',
        '--summary-json',
        summaryFile,
      ]);
      expect(result.code, result.stderr).toBe(3);
      const rows = parseJsonl<Row>(fs.readFileSync(out, 'utf8'));
      expect(rows.map((r) => r.id)).toHaveLength(2);
      expect(ctx.server.requests.map((r) => r.prompt)).toEqual(['first', 'second LONG']);
      const spent = costOf(rows);
      expect(spent).toBeGreaterThan(2.5);
      const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
      // The budget's spend is what the answers cost, as the summary's estimate says it.
      expect(summary.budget).toEqual({ capUsd: 1, spentUsd: Number(spent.toFixed(6)) });
      expect(summary.estimatedCost.usd).toBeCloseTo(spent, 6);
      expect(summary.stopped).toBe('budget');
      const said = result.stderr.split('\n').filter((line) => line.includes('usage exceeded what was reserved'));
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(
        /budget passed: \$3\.\d\d spent of \$1\.00, \$2\.\d\d over: usage exceeded what was reserved by \$2\.\d\d \(1 answer billed beyond its worst case/,
      );
      expect(said[0]).toMatch(/no prompt was sent once the spend passed the cap/);
      expect(summary.error).toBe(said[0]!.replace(/^llm-batch: /, ''));
    } finally {
      delete ctx.server.options.reply;
    }
  });

  it('a Batch-format line asking n answers is an input row, never sent: one answer would be reserved, n billed', async () => {
    const line = (id: string, n?: number) =>
      JSON.stringify({
        custom_id: id,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: id }], max_tokens: 20, ...(n === undefined ? {} : { n }) },
      });
    const input = path.join(ctx.dir, 'n.jsonl');
    fs.writeFileSync(input, `${line('five', 5)}\n${line('one', 1)}\n`);
    const out = path.join(ctx.dir, 'out.jsonl');
    const result = await runCli([input, '--base-url', ctx.server.url, '-o', out, ...PRICE, '--max-cost', '1']);
    expect(result.code, result.stderr).toBe(1);
    const rows = parseJsonl<Row>(fs.readFileSync(out, 'utf8'));
    expect(rows.find((r) => r.id === 'five')).toMatchObject({ prompt: 'five' });
    expect(rows.find((r) => r.id === 'five')?.error).toMatchObject({
      type: 'input',
      message: expect.stringMatching(/"body\.n" must be 1 \(got 5\).*--repeat N/),
    });
    expect(rows.find((r) => r.id === 'one')?.error).toBeNull();
    expect(ctx.server.requests.map((r) => r.prompt)).toEqual(['one']);
  });

  it('answers without usage: the summary says the cost is unknown, one line says the spend is their worst case', async () => {
    // A server that refuses stream_options: every streamed answer comes without usage.
    ctx.server.options.refuseStreamOptions = true;
    try {
      const input = writePrompts(
        ctx.dir,
        'p.txt',
        Array.from({ length: 8 }, (_, i) => `prompt ${i}`),
      );
      const summaryFile = path.join(ctx.dir, 's.json');
      const r = await runCli([
        input,
        '--base-url',
        ctx.server.url,
        '-o',
        path.join(ctx.dir, 'out.jsonl'),
        '-c',
        '1',
        '--max-tokens',
        '20',
        ...PRICE,
        '--max-cost',
        '0.1',
        '--summary-json',
        summaryFile,
      ]);
      expect(r.code, r.stderr).toBe(3);
      const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
      expect(summary.rowsWithoutUsage).toBeGreaterThan(0);
      expect(summary.estimatedCost).toMatchObject({ usd: 0, atLeast: true });
      expect(r.stderr).toMatch(/answers? without usage\) · cost unknown \(no usage reported\) ·/);
      expect(r.stderr).not.toMatch(/est\. \$0\.00/);
      const said = r.stderr.split('\n').filter((line) => line.includes('is the worst case charged for'));
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(/\$0\.\d+ of the \$0\.\d+ spent is the worst case charged for \d+ answers? without usage; --no-stream answers carry usage/);
    } finally {
      ctx.server.options.refuseStreamOptions = false;
    }
  });

  it('a model without a known price is a usage error before anything is sent', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    const result = await runCli([input, '--base-url', ctx.server.url, '-m', 'my-finetune', '--max-cost', '5']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--max-cost: no price known for model my-finetune; give --price/);
    expect(ctx.server.requests).toHaveLength(0);
  });

  it.each(['constructor', '__proto__'])('a model named %s has no price either (not NaN, which admitted every request)', async (model) => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    const result = await runInWorker([input, '--base-url', ctx.server.url, '-m', model, '--max-cost', '5']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`--max-cost: no price known for model ${model}; give --price`);
    expect(ctx.server.requests).toHaveLength(0);
  });

  it("--mock's own model is free: --mock --max-cost runs, live and --batch-api, and spends $0", async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two', 'three']);
    // Live and --batch-api, with or without a cap: every prompt answered; under the cap the budget
    // spends $0, and either way the summary costs a mock run $0.00, at list prices (none was given).
    for (const [i, extra] of [[], ['--max-cost', '0.01'], ['--batch-api'], ['--batch-api', '--max-cost', '0.01']].entries()) {
      const out = path.join(ctx.dir, `mock-cost${i}.jsonl`);
      const summaryFile = path.join(ctx.dir, `mock-cost${i}.json`);
      const result = await runCli([input, '--mock', ...extra, '-o', out, '--overwrite', '--summary-json', summaryFile]);
      expect(result.code, result.stderr).toBe(0);
      expect(
        parseJsonl<Row>(fs.readFileSync(out, 'utf8')).map((r) => r.error),
        extra.join(' '),
      ).toEqual([null, null, null]);
      const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
      if (extra.includes('--max-cost')) expect(summary.budget, extra.join(' ')).toEqual({ capUsd: 0.01, spentUsd: 0 });
      expect(summary.estimatedCost, extra.join(' ')).toMatchObject({ usd: 0, unpricedTokens: 0, byModel: [{ model: 'mock-model', usd: 0 }] });
      expect(summary.estimatedCost.pricesGiven).toBeUndefined();
      expect(summary.budget?.spentUsd ?? 0).toBe(summary.estimatedCost.usd);
      expect(result.stderr).toMatch(/ · est\. \$0\.00 at \d{4}-\d{2}-\d{2} prices · /);
    }
    // And its dry run estimates the same $0.00, not an unknown cost.
    const dry = await runCli([input, '--mock', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^ {4}est\. cost \$0\.00 \(/m);
    expect(dry.stdout).toMatch(/^ {2}Estimated cost: \$0\.00 \(/m);
    // Only --mock's model: a real server's model of that name is as unpriced as any other.
    const real = await runInWorker([input, '--base-url', ctx.server.url, '-m', 'mock-model', '--max-cost', '5']);
    expect(real.code).toBe(2);
    expect(real.stderr).toMatch(/--max-cost: no price known for model mock-model; give --price/);
    expect(ctx.server.requests).toHaveLength(0);
  });

  it('--mock stops its answers at --max-tokens, as a model does: a budget run on it spends no more than it reserved', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two', 'three']);
    for (const extra of [[], ['--no-stream'], ['--batch-api']]) {
      const out = path.join(ctx.dir, `mock-capped${extra.join('')}.jsonl`);
      const r = await runCli([input, '--mock', '-m', 'gpt-4o', '--max-tokens', '10', '--max-cost', '0.01', '-o', out, '--overwrite', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('beyond its worst case');
      const rows = parseJsonl<Row>(fs.readFileSync(out, 'utf8'));
      expect(
        rows.map((row) => [row.finish_reason, row.usage?.completion_tokens]),
        extra.join(' '),
      ).toEqual(Array(3).fill(['length', 10]));
    }
  });

  it('a prices file prices the model; its errors name the file and the model', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    const prices = path.join(ctx.dir, 'prices.json');
    fs.writeFileSync(prices, JSON.stringify({ 'my-finetune': { input: 0.3, output: 1.2 } }));
    const ok = await runCli([input, '--base-url', ctx.server.url, '-m', 'my-finetune', '--max-cost', '5', '--prices', prices, '-f', 'jsonl']);
    expect(ok.code, ok.stderr).toBe(0);
    fs.writeFileSync(prices, JSON.stringify({ 'my-finetune': { input: 'cheap' } }));
    const bad = await runInWorker([input, '--base-url', ctx.server.url, '-m', 'my-finetune', '--max-cost', '5', '--prices', prices]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--prices .*prices\.json: "my-finetune": expected \{"input": N, "output": N\}/);
  });

  it('a prices file saved with a UTF-8 BOM (Notepad, PowerShell 5) is read as the JSON it holds', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    const prices = path.join(ctx.dir, 'bom-prices.json');
    fs.writeFileSync(prices, `\uFEFF${JSON.stringify({ 'my-finetune': '1/2' })}`);
    const r = await runInWorker([input, '-m', 'my-finetune', '--prices', prices, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Estimated cost: \$/);
  });

  it('without --max-tokens, requests go out with max_tokens 4096 (the worst case needs a bound)', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    await runCli([input, '--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '--max-cost', '5', '-f', 'jsonl']);
    expect(ctx.server.requests[0]?.body.max_tokens).toBe(4096);
  });

  it('--price must be IN/OUT or IN/OUT/CACHED, and says both', async () => {
    for (const value of ['0.15', '1/2/3/4']) {
      const result = await runInWorker(['x.txt', '--price', value]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/Expected IN\/OUT or IN\/OUT\/CACHED in USD per million tokens, e\.g\. 0\.15\/0\.60 or 0\.15\/0\.60\/0\.075\./);
    }
  });
});
