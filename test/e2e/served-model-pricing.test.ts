/**
 * A server that answers under another model name than the one asked for (an Azure deployment
 * answers with the model behind it, an alias with its dated snapshot): the prices given for the
 * model asked for price the summary, `--summary-json`, `--report` and `llm-batch report` as they
 * price `--max-cost`'s spend. Spawns the BUILT CLI against the mock behind a rewriting proxy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCachedUsageServer } from '../helpers/cached-usage-server.js';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { startRewritingProxy, type RewritingProxy } from '../helpers/rewriting-proxy.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { reportDataOf } from '../helpers/report-data.js';

const ctx = useServerAndCaseDir('llm-batch-served-model-');
const SERVED = 'gpt-4o-mini-2024-07-18';
let proxy: RewritingProxy;
beforeAll(async () => {
  proxy = await startRewritingProxy(ctx.server.url, (body) => body.replaceAll('"model":"my-deploy"', `"model":"${SERVED}"`));
});
afterAll(() => proxy.close());

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
/** USD of the rows' tokens at $10 in / $30 out per million (times `factor`). */
function givenCost(out: string, factor = 1): number {
  const rows = parseJsonl<{ model: string; usage: { prompt_tokens: number; completion_tokens: number } }>(fs.readFileSync(out, 'utf8'));
  expect(rows.every((r) => r.model === SERVED)).toBe(true);
  return rows.reduce((usd, r) => usd + ((r.usage.prompt_tokens * 10 + r.usage.completion_tokens * 30) / 1e6) * factor, 0);
}

describe('prices given for the model asked for, when the server names another', () => {
  it.each([
    ['live', [] as string[], 1],
    ['--batch-api', ['--batch-api', '--poll', '0.05'], 0.5],
  ])('%s: the summary, --summary-json and both reports price as the budget spends', async (_how, extra, factor) => {
    ctx.server.options.batches = { stepMs: 30 };
    const input = writePrompts(ctx.dir, 'p.txt', ['prompt number 1', 'prompt number 2', 'prompt number 3']);
    const prices = path.join(ctx.dir, 'prices.json');
    fs.writeFileSync(prices, JSON.stringify({ 'my-deploy': { input: 10, output: 30 } }));
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(ctx.dir, 's.json');
    const runReport = path.join(ctx.dir, 'run.html');
    const r = await runCli([
      input,
      '-m',
      'my-deploy',
      '--prices',
      prices,
      '--base-url',
      proxy.url,
      '-o',
      out,
      '--no-cache',
      '--max-cost',
      '1',
      '--summary-json',
      summary,
      '--report',
      runReport,
      ...extra,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const want = givenCost(out, factor);
    const s = readJson(summary);
    expect(s.budget.spentUsd).toBeCloseTo(want, 6);
    expect(s.estimatedCost.usd).toBeCloseTo(want, 6);
    expect(s.estimatedCost.byModel).toEqual([expect.objectContaining({ model: SERVED, requestedModel: 'my-deploy', pricedAs: 'my-deploy' })]);
    expect(r.stderr).toMatch(new RegExp(`at the given prices \\(answers of ${SERVED} priced as my-deploy\\)`));
    expect(reportDataOf(runReport).figures.cost).toMatchObject({ pricesGiven: true, pricedAs: [{ model: SERVED, as: 'my-deploy' }] });
    expect(reportDataOf(runReport).figures.cost.usd).toBeCloseTo(want, 6);

    const later = path.join(ctx.dir, 'later.html');
    const rep = await runInWorker(['report', out, '-o', later, '--prices', prices]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(reportDataOf(later).figures.cost.usd).toBeCloseTo(want, 6);
  });

  it('a reported name the table does not know is still priced by the model asked for', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(ctx.dir, 's.json');
    const odd = await startRewritingProxy(ctx.server.url, (body) => body.replaceAll('"model":"my-deploy"', '"model":"azure-private-7"'));
    try {
      const prices = path.join(ctx.dir, 'prices.json');
      fs.writeFileSync(prices, JSON.stringify({ 'my-deploy': '10/30' }));
      const r = await runCli([input, '-m', 'my-deploy', '--prices', prices, '--base-url', odd.url, '-o', out, '--no-cache', '--summary-json', summary]);
      expect(r.code, r.stderr).toBe(0);
      const rows = parseJsonl<{ usage: { prompt_tokens: number; completion_tokens: number } }>(fs.readFileSync(out, 'utf8'));
      const want = rows.reduce((usd, row) => usd + (row.usage.prompt_tokens * 10 + row.usage.completion_tokens * 30) / 1e6, 0);
      expect(readJson(summary).estimatedCost).toMatchObject({ unpricedTokens: 0, pricesGiven: true });
      expect(readJson(summary).estimatedCost.usd).toBeCloseTo(want, 6);
    } finally {
      await odd.close();
    }
  });
});

describe("a JSONL row's own model", () => {
  it('is priced as that model by the summary, --summary-json and the report, as the budget spends', async () => {
    // 1000 in / 1000 out per answer, reported under the model asked for.
    const server = await startCachedUsageServer({ prompt: 1000, completion: 1000, cached: 0 });
    try {
      const input = path.join(ctx.dir, 'rows.jsonl');
      fs.writeFileSync(input, ['{"prompt":"a"}', '{"prompt":"b","model":"o1"}', '{"prompt":"c"}', ''].join('\n'));
      const prices = path.join(ctx.dir, 'prices.json');
      fs.writeFileSync(prices, JSON.stringify({ 'gpt-4o-mini': '0.15/0.6' }));
      const out = path.join(ctx.dir, 'out.jsonl');
      const summary = path.join(ctx.dir, 's.json');
      const args = ['--base-url', server.url, '-m', 'gpt-4o-mini', '--prices', prices, '--no-cache', '--max-tokens', '1000'];
      const r = await runCli([input, ...args, '-o', out, '--summary-json', summary, '--max-cost', '1']);
      expect(r.code, r.stderr).toBe(0);
      // 2 answers of gpt-4o-mini at the given $0.15/$0.60, 1 of o1 at the table's $15/$60.
      const want = 2 * 0.00075 + 0.075;
      const s = readJson(summary);
      expect(s.budget.spentUsd).toBeCloseTo(want, 9);
      expect(s.estimatedCost.usd).toBeCloseTo(want, 9);
      expect(s.estimatedCost.byModel).toContainEqual(expect.objectContaining({ model: 'o1', pricedAs: 'o1', usd: 0.075 }));
      expect(s.estimatedCost.byModel.find((m: { model: string }) => m.model === 'o1').requestedModel).toBeUndefined();
      // Both kinds of price, said so (a review read "at the given prices" for the table's o1 as wrong).
      expect(r.stderr).toMatch(/est\. \$0\.0765 at the given and 2026-03-01 prices ·/);
      expect(s.estimatedCost).toMatchObject({ pricesGiven: true, pricesMixed: true });
      // Without --prices too: o1 is no answer of gpt-4o-mini.
      const plain = await runCli([
        input,
        ...args.filter((a) => a !== '--prices' && a !== prices),
        '-o',
        path.join(ctx.dir, 'plain.jsonl'),
        '--summary-json',
        summary,
      ]);
      expect(plain.code, plain.stderr).toBe(0);
      expect(readJson(summary).estimatedCost.byModel.find((m: { model: string }) => m.model === 'o1').requestedModel).toBeUndefined();

      const later = path.join(ctx.dir, 'later.html');
      const rep = await runCli(['report', out, '-o', later, '--prices', prices]);
      expect(rep.code, rep.stderr).toBe(0);
      expect(reportDataOf(later).figures.cost.usd).toBeCloseTo(want, 9);
    } finally {
      await server.close();
    }
  });
});
