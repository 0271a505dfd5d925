/**
 * Cost figures and the cache under issue 15's acceptance review, from the built CLI: cached input
 * tokens priced as billed, one source of prices (--price/--prices) for every figure, --max-cost's own
 * answer cap outside the cache key, an unusable cache directory, and what dry runs and summaries say
 * when everything comes from the cache.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCachedUsageServer, type CachedUsageServer } from '../helpers/cached-usage-server.js';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { reportDataOf } from '../helpers/report-data.js';

const ctx = useServerAndCaseDir('llm-batch-cost-');
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

describe('cached input tokens (usage.prompt_tokens_details.cached_tokens)', () => {
  let server: CachedUsageServer;
  beforeAll(async () => {
    // 1000 prompt tokens of which 900 cached, 10 out: at 1000/1000/100 per 1M that bills $0.2, not $1.01.
    server = await startCachedUsageServer({ prompt: 1000, completion: 10, cached: 900 });
  });
  afterAll(() => server.close());

  it.each([
    ['streamed (lean path)', []],
    ['not streamed', ['--no-stream']],
    ['through the SDK (-v)', ['-v']],
  ])('prices them at the cached price everywhere: %s', async (_how, extra) => {
    const input = writePrompts(ctx.dir, 'p.txt', ['what']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(ctx.dir, 'a.json');
    const r = await runCli([
      input,
      '--base-url',
      server.url,
      '--price',
      '1000/1000/100',
      '--max-cost',
      '100',
      '--summary-json',
      summary,
      '-o',
      out,
      '--no-cache',
      ...extra,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = readJson(summary);
    expect(s.budget.spentUsd).toBeCloseTo(0.2, 9);
    expect(s.estimatedCost.usd).toBeCloseTo(0.2, 9);
    expect(r.stderr).toMatch(/est\. \$0\.20/);
    // The row keeps what was cached, so anything pricing from rows later can price it.
    expect(parseJsonl(fs.readFileSync(out, 'utf8'))[0].usage).toEqual({ prompt_tokens: 1000, completion_tokens: 10, cached_tokens: 900 });
  });

  it('per-model figures price them too', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['what']);
    const summary = path.join(ctx.dir, 'a.json');
    const r = await runCli([
      input,
      '--base-url',
      server.url,
      '-m',
      'a,b',
      '--price',
      '1000/1000/100',
      '--summary-json',
      summary,
      '-o',
      path.join(ctx.dir, 'o.jsonl'),
      '--no-cache',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = readJson(summary);
    expect(s.byModel.map((m: { estimatedUsd: number }) => m.estimatedUsd)).toEqual([0.2, 0.2]);
    expect(s.estimatedCost.usd).toBeCloseTo(0.4, 9);
  });
});

describe('reasoning tokens', () => {
  it.each([
    ["OpenAI's shape (inside completion_tokens), streamed", false, []],
    ["OpenAI's shape, --no-stream", false, ['--no-stream']],
    ["xAI's shape (apart, in total_tokens), streamed", true, []],
    ["xAI's shape, --no-stream", true, ['--no-stream']],
  ])('are billed as output: %s', async (_how, apart, extra) => {
    // 100 in, 10 answer tokens and 900 of reasoning: 1000 out in OpenAI's count, 10 + 900 apart in xAI's.
    const server = await startCachedUsageServer({ prompt: 100, completion: apart ? 10 : 910, cached: 0, reasoning: 900, reasoningApart: apart });
    try {
      const input = writePrompts(ctx.dir, 'p.txt', ['why']);
      const out = path.join(ctx.dir, 'out.jsonl');
      const summary = path.join(ctx.dir, 's.json');
      const r = await runCli([
        input,
        '--base-url',
        server.url,
        '--price',
        '1/10',
        '--max-cost',
        '1',
        '--max-tokens',
        '2000',
        '-o',
        out,
        '--summary-json',
        summary,
        '--no-cache',
        ...(extra as string[]),
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(parseJsonl(fs.readFileSync(out, 'utf8'))[0].usage).toEqual({ prompt_tokens: 100, completion_tokens: 910 });
      const s = readJson(summary);
      // 100 at $1 and 910 at $10 per 1M.
      expect(s.estimatedCost.usd).toBeCloseTo(0.0092, 9);
      expect(s.budget.spentUsd).toBeCloseTo(0.0092, 9);
    } finally {
      await server.close();
    }
  });
});

describe('one source of prices', () => {
  it('per-model lines and byModel use --price, as estimatedCost and the budget do', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['alpha beta', 'gamma']);
    const summary = path.join(ctx.dir, 's.json');
    const r = await runCli([
      input,
      '--base-url',
      ctx.server.url,
      '-m',
      'my-llama,gpt-4o-mini',
      '--price',
      '1000/1000',
      '--summary-json',
      summary,
      '-o',
      path.join(ctx.dir, 'o.jsonl'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = readJson(summary);
    const byRows = new Map<string, number>(s.estimatedCost.byModel.map((m: { model: string; usd: number }) => [m.model, m.usd]));
    for (const m of s.byModel as Array<{ model: string; estimatedUsd: number }>) {
      expect(m.estimatedUsd, m.model).toBeGreaterThan(0);
      expect(m.estimatedUsd, m.model).toBeCloseTo(byRows.get(m.model)!, 9);
    }
    expect(r.stderr).toMatch(/my-llama: 2 ok, 0 failed · [\d,]+ tokens in \/ [\d,]+ out · est\. \$0\.\d+/);
    expect(r.stderr).not.toMatch(/<\$0\.0001/);
  });

  it.each([
    ['a dated snapshot', 'gpt-4o-mini', 'gpt-4o-mini-2024-07-18'],
    ['an openai/ name', 'gpt-4o', 'openai/gpt-4o'],
  ])('a --prices entry prices %s, budget and summary alike, and --dry-run', async (_how, entry, model) => {
    const server = await startCachedUsageServer({ prompt: 1000, completion: 1000, cached: 0 });
    try {
      const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b']);
      const prices = path.join(ctx.dir, 'prices.json');
      fs.writeFileSync(prices, JSON.stringify({ [entry]: '1/4' }));
      const summary = path.join(ctx.dir, 's.json');
      const args = [input, '--base-url', server.url, '-m', model, '--prices', prices, '--max-tokens', '1000', '--no-cache'];
      const r = await runCli([...args, '--max-cost', '1', '-o', path.join(ctx.dir, 'o.jsonl'), '--summary-json', summary]);
      expect(r.code, r.stderr).toBe(0);
      const s = readJson(summary);
      // 2 answers of 1000 in at $1 and 1000 out at $4 per 1M.
      expect(s.estimatedCost.usd).toBeCloseTo(0.01, 9);
      expect(s.budget.spentUsd).toBeCloseTo(0.01, 9);
      expect(r.stderr).not.toMatch(/--prices/);
      const dry = await runInWorker([...args, '--dry-run']);
      expect(dry.stdout).toMatch(/at \$1\.00 \/ \$4\.00 per 1M/);
    } finally {
      await server.close();
    }
  });

  it("a JSONL row's own model that has no price is unpriced in the summary, as --dry-run and --max-cost take it: not billed as -m's", async () => {
    const input = path.join(ctx.dir, 'own.jsonl');
    fs.writeFileSync(input, '{"id":"a","prompt":"one","model":"llama-3-8b-local"}\n{"id":"b","prompt":"two"}\n');
    const summary = path.join(ctx.dir, 's.json');
    const r = await runCli([input, '--base-url', ctx.server.url, '-m', 'gpt-4o', '--no-cache', '-o', path.join(ctx.dir, 'o.jsonl'), '--summary-json', summary]);
    expect(r.code, r.stderr).toBe(0);
    const cost = readJson(summary).estimatedCost;
    const own = cost.byModel.find((m: { model: string }) => m.model === 'llama-3-8b-local');
    expect(own).toMatchObject({ pricedAs: null, usd: null });
    expect(own).not.toHaveProperty('requestedModel');
    expect(cost.unpricedTokens).toBe(own.promptTokens + own.completionTokens);
    expect(cost.byModel.find((m: { model: string }) => m.model === 'gpt-4o')).toMatchObject({ pricedAs: 'gpt-4o', usd: expect.any(Number) });
    expect(r.stderr).toMatch(/\(\+[\d,]+ tokens of unpriced models\)/);
    expect(r.stderr).not.toMatch(/priced as gpt-4o/);
    const dry = await runInWorker([input, '--base-url', ctx.server.url, '-m', 'gpt-4o', '--no-cache', '--dry-run']);
    expect(dry.stdout).toMatch(/llama-3-8b-local: 1 request .*\n\s+est\. cost unknown: no price for this model/);
  });

  it('says once when a --prices entry matched no model of the run and the table priced it', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b']);
    const prices = path.join(ctx.dir, 'prices.json');
    fs.writeFileSync(prices, JSON.stringify({ 'gpt4o-mini': '1/4' }));
    const r = await runCli([input, '--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '--prices', prices, '-o', path.join(ctx.dir, 'o.jsonl')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/--prices .*prices\.json: no model of the run matched "gpt4o-mini"; gpt-4o-mini priced at the [\d-]+ list prices/g)).toHaveLength(1);
  });

  it('--price beside --prices: the file prices its models, --price the others, by model in --summary-json; an entry that matched none is said', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b']);
    const prices = path.join(ctx.dir, 'prices-and-flat.json');
    fs.writeFileSync(prices, JSON.stringify({ 'gpt-4o': '1000/0', 'gpt4o-mini': '5/5' }));
    const summary = path.join(ctx.dir, 'flat.json');
    const r = await runCli([
      input,
      '--base-url',
      ctx.server.url,
      '-m',
      'gpt-4o,gpt-4o-mini',
      '--price',
      '0/1000',
      '--prices',
      prices,
      '--no-cache',
      '-o',
      path.join(ctx.dir, 'flat.jsonl'),
      '--summary-json',
      summary,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const byModel = readJson(summary).estimatedCost.byModel as { model: string; promptTokens: number; completionTokens: number; usd: number }[];
    const of = (model: string) => byModel.find((m) => m.model === model)!;
    // gpt-4o: input at the file's $1000 a million, output free; gpt-4o-mini: the flat --price, output only.
    expect(of('gpt-4o').usd).toBeCloseTo((of('gpt-4o').promptTokens * 1000) / 1e6, 9);
    expect(of('gpt-4o-mini').usd).toBeCloseTo((of('gpt-4o-mini').completionTokens * 1000) / 1e6, 9);
    expect(r.stderr.match(/--prices .*prices-and-flat\.json: no model of the run matched "gpt4o-mini"; gpt-4o-mini priced at --price/g)).toHaveLength(1);
  });

  it('--dry-run estimates at --price', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['alpha']);
    const r = await runCli([input, '--base-url', ctx.server.url, '-m', 'my-llama', '--price', '1000/1000', '--max-tokens', '10', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/est\. cost \$0\.\d+ .* at \$1000\.00 \/ \$1000\.00 per 1M/);
    expect(r.stdout).toMatch(/Estimated cost: .*the given prices/);
  });

  it("--dry-run counts a row's own tools and --param tools as prompt tokens", async () => {
    const tools = [{ type: 'function', function: { name: 'lookup', description: 'look the order up in the shop system '.repeat(100) } }];
    const input = path.join(ctx.dir, 'tools.jsonl');
    fs.writeFileSync(input, `${JSON.stringify({ prompt: 'hi', tools })}\n`);
    const plain = writePrompts(ctx.dir, 'p.txt', ['hi']);
    const promptTokens = (stdout: string) => Number(/1 request · ([\d,]+) prompt tokens/.exec(stdout)![1]!.replace(/,/g, ''));
    const args = ['--base-url', ctx.server.url, '-m', 'gpt-4o', '--dry-run'];
    const bare = await runInWorker([plain, ...args]);
    const own = await runInWorker([input, ...args]);
    const param = await runInWorker([plain, ...args, '--param', `tools=${JSON.stringify(tools)}`]);
    for (const r of [bare, own, param]) expect(r.code, r.stderr).toBe(0);
    // ~700 tokens of definitions: billed with every request, so in the estimate.
    expect(promptTokens(own.stdout)).toBeGreaterThan(promptTokens(bare.stdout) + 500);
    expect(promptTokens(param.stdout)).toBe(promptTokens(own.stdout));
  });

  it('--dry-run counts a prediction (Predicted Outputs) as answer tokens besides max_tokens', async () => {
    // Predicted tokens the answer does not use are billed as completion tokens: up to all of them.
    const input = path.join(ctx.dir, 'predict.jsonl');
    fs.writeFileSync(input, `${JSON.stringify({ prompt: 'fix it', prediction: { type: 'content', content: 'word '.repeat(300).trim() } })}\n`);
    const r = await runInWorker([input, '--base-url', ctx.server.url, '-m', 'gpt-4o', '--price', '1/10', '--max-tokens', '100', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /1 request · [\d,]+ prompt tokens · at most 400 answer tokens \(max_tokens \+ 300 predicted, billed as answer tokens when unused\)/,
    );
    // 400 answer tokens at $10 per 1M.
    expect(r.stdout).toMatch(/answers \$0\.0040 /);
  });

  it('--batch-api prices at --price, halved by the Batch discount', async () => {
    ctx.server.options.batches = { stepMs: 30 };
    const input = writePrompts(ctx.dir, 'p.txt', ['alpha', 'beta']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(ctx.dir, 's.json');
    const r = await runCli([
      input,
      '-o',
      out,
      '--base-url',
      ctx.server.url,
      '-m',
      'my-llama',
      '--batch-api',
      '--poll',
      '0.05',
      '--price',
      '1000/1000',
      '--summary-json',
      summary,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rows = parseJsonl<{ usage: { prompt_tokens: number; completion_tokens: number } }>(fs.readFileSync(out, 'utf8'));
    const tokens = rows.reduce((n, row) => n + row.usage.prompt_tokens + row.usage.completion_tokens, 0);
    const s = readJson(summary);
    expect(s.estimatedCost.pricesGiven).toBe(true);
    expect(s.estimatedCost.usd).toBeCloseTo((tokens * 1000 * 0.5) / 1e6, 6);
    expect(r.stderr).toMatch(/at the given prices/);
  });
});

describe('--max-cost and the response cache', () => {
  const cacheArgs = () => ['--base-url', ctx.server.url, '--cache-dir', path.join(ctx.dir, 'cache'), '-m', 'gpt-4o-mini'];

  it('a run under --max-cost hits what a plain run stored, and the reverse; --dry-run --max-cost sees the hits', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const plain = await runCli([input, ...cacheArgs(), '-o', path.join(ctx.dir, 'a.jsonl')]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(2);
    // The budget's cap is still sent (it bounds the worst case)…
    expect(ctx.server.requests[0]!.body.max_tokens).toBeUndefined();

    const dry = await runCli([input, ...cacheArgs(), '--max-cost', '1', '--dry-run']);
    expect(dry.stdout).toMatch(/2 of 2 requests would come from the response cache/);

    const capped = await runCli([input, ...cacheArgs(), '--max-cost', '1', '-o', path.join(ctx.dir, 'b.jsonl')]);
    expect(capped.code, capped.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(2);
    expect(capped.stderr).toMatch(/2 ok \(2 from cache\)/);

    // …and answers bought under the cap serve a plain run.
    const more = writePrompts(ctx.dir, 'q.txt', ['three']);
    await runCli([more, ...cacheArgs(), '--max-cost', '1', '-o', path.join(ctx.dir, 'c.jsonl')]);
    expect(ctx.server.requests).toHaveLength(3);
    expect(ctx.server.requests[2]!.body.max_tokens).toBe(4096);
    const again = await runCli([more, ...cacheArgs(), '-o', path.join(ctx.dir, 'd.jsonl')]);
    expect(again.code, again.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(3);
  });

  it('--batch-api --max-cost looks up and fills the cache under the same key as a plain run', async () => {
    ctx.server.options.batches = { stepMs: 30 };
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    await runCli([input, ...cacheArgs(), '-o', path.join(ctx.dir, 'a.jsonl')]);
    expect(ctx.server.requests).toHaveLength(2);
    const both = writePrompts(ctx.dir, 'q.txt', ['one', 'two', 'three']);
    const batch = await runCli([both, ...cacheArgs(), '--batch-api', '--poll', '0.05', '--max-cost', '1', '-o', path.join(ctx.dir, 'b.jsonl')]);
    expect(batch.code, batch.stderr).toBe(0);
    expect(batch.stderr).toMatch(/2 from cache/);
    const uploaded = ctx.server.batchState.uploaded.flatMap((f) => f.bytes.toString('utf8').trim().split('\n')).map((l) => JSON.parse(l));
    expect(uploaded.map((l) => l.body.messages.at(-1).content)).toEqual(['three']);
    // The collected answer, bought under the cap, serves a plain live run.
    const live = await runCli([both, ...cacheArgs(), '-o', path.join(ctx.dir, 'c.jsonl')]);
    expect(live.stderr).toMatch(/3 ok \(3 from cache\)/);
    expect(ctx.server.requests).toHaveLength(2);
  });

  it('an answer cut at the budget cap is not stored (a run without the cap would get a cut answer)', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['long']);
    ctx.server.options.fault = () => 'length';
    const capped = await runCli([input, ...cacheArgs(), '--max-cost', '1', '-o', path.join(ctx.dir, 'a.jsonl')]);
    expect(capped.code, capped.stderr).toBe(0);
    ctx.server.options.fault = undefined;
    const plain = await runCli([input, ...cacheArgs(), '-o', path.join(ctx.dir, 'b.jsonl')]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(ctx.server.requests).toHaveLength(2);
  });

  it('an explicit --max-tokens stays part of the key', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    await runCli([input, ...cacheArgs(), '-o', path.join(ctx.dir, 'a.jsonl')]);
    await runCli([input, ...cacheArgs(), '--max-cost', '1', '--max-tokens', '4096', '-o', path.join(ctx.dir, 'b.jsonl')]);
    expect(ctx.server.requests).toHaveLength(2);
  });
});

describe('a cache directory that cannot be made', () => {
  it.each([
    ['--cache-dir', (dir: string) => ({ args: ['--cache-dir', dir], env: {} })],
    ['XDG_CACHE_HOME', (dir: string) => ({ args: [], env: { XDG_CACHE_HOME: dir, LLM_BATCH_CACHE_DIR: undefined } })],
  ])('%s under /proc: an answer, not a spin', async (how, place) => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    const { args, env } = place('/proc/llm-batch-nope');
    const r = await runCli([input, '--base-url', ctx.server.url, '-o', path.join(ctx.dir, 'o.jsonl'), ...args], { env, timeoutMs: 20_000 });
    expect(r.signal).toBeNull();
    if (how === '--cache-dir') {
      // A directory the user chose: the documented usage error, one line, before anything is sent.
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--cache-dir \/proc\/llm-batch-nope: cannot create directory/);
      expect(ctx.server.requests).toHaveLength(0);
    } else {
      // The default place: the run goes on without a cache, after one line.
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/cannot open the response cache in \/proc\/llm-batch-nope\/llm-batch: .*running without it/);
    }
  });

  it('cache stats says a directory is not there rather than "0 answers"', async () => {
    const r = await runCli(['cache', 'stats', '--cache-dir', '/proc/llm-batch-nope'], { timeoutMs: 20_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/no response cache there: the directory does not exist/);
    expect(r.stdout).not.toMatch(/0 answers/);
  });
});

describe('everything from the cache', () => {
  const cacheArgs = () => ['--base-url', ctx.server.url, '--cache-dir', path.join(ctx.dir, 'cache')];
  beforeEach(() => {
    ctx.server.options.fault = undefined;
  });

  it('--dry-run says $0 when all would come from the cache, and lists only requests it would send', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    await runCli([input, ...cacheArgs(), '-o', path.join(ctx.dir, 'a.jsonl')]);
    const all = await runCli([input, ...cacheArgs(), '--dry-run']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/Estimated cost: \$0: all 2 requests would come from the response cache/);
    expect(all.stdout).not.toMatch(/First/);
    // The headline counts what the run sends: nothing.
    expect(all.stdout).toMatch(/^ {2}2 records: 0 to send, 2 answered from the cache, 0 bad$/m);

    const more = writePrompts(ctx.dir, 'q.txt', ['one', 'two', 'three']);
    const some = await runCli([more, ...cacheArgs(), '--dry-run']);
    expect(some.stdout).toMatch(/First request, exactly as/);
    expect(some.stdout).toMatch(/"content": "three"/);
    expect(some.stdout).not.toMatch(/"content": "one"/);
    expect(some.stdout).toMatch(/^ {2}3 records: 1 to send, 2 answered from the cache, 0 bad$/m);
  });

  it('--dry-run counts a prompt repeated in the input once, as the run asks it: the repeats come from the cache', async () => {
    const input = writePrompts(ctx.dir, 'dup.txt', ['same', 'same', 'other', 'same']);
    const dry = await runCli([input, ...cacheArgs(), '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^ {2}4 records: 2 to send, 2 answered from the cache, 0 bad$/m);
    expect(dry.stdout).toMatch(/Estimate for 2 requests/);
    const run = await runCli([input, ...cacheArgs(), '-o', path.join(ctx.dir, 'dup.jsonl')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/4 ok \(2 from cache\)/);
    expect(ctx.server.requests).toHaveLength(2);
    // Without the cache the run asks each: so does the dry run (in the worker: --no-cache opens no cache).
    expect((await runInWorker([input, ...cacheArgs(), '--no-cache', '--dry-run'])).stdout).toMatch(/Estimate for 4 requests/);
  });

  it('the summary says nothing was sent, without rates; per-model lines too', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    await runCli([input, ...cacheArgs(), '-m', 'a,b', '-o', path.join(ctx.dir, 'a.jsonl')]);
    const r = await runCli([input, ...cacheArgs(), '-m', 'a,b', '-o', path.join(ctx.dir, 'b.jsonl')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/4 ok \(4 from cache\), 0 failed · nothing sent, nothing spent/);
    expect(r.stderr).not.toMatch(/req\/s|tokens in/);
    expect(r.stderr).toMatch(/^llm-batch: a: 2 ok \(2 from cache\), 0 failed · nothing sent$/m);
  });
});

describe('review 2 of session 9: tiny costs and a server that names another model', () => {
  it('the summary line shows a sub-$0.0001 estimate as a figure, not <$0.0001', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['tiny']);
    const summary = path.join(ctx.dir, 'tiny.json');
    const r = await runCli([
      input,
      '--base-url',
      ctx.server.url,
      '--price',
      '1/1',
      '--no-cache',
      '--summary-json',
      summary,
      '-o',
      path.join(ctx.dir, 't.jsonl'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const usd = readJson(summary).estimatedCost.usd as number;
    expect(usd).toBeGreaterThan(0);
    expect(usd).toBeLessThan(0.0001);
    expect(r.stderr).not.toMatch(/<\$0\.0001/);
    // Two significant digits, the same figure as --summary-json's.
    const shown = /est\. \$(0\.0000\d+) at the given prices/.exec(r.stderr)?.[1];
    expect(shown, r.stderr).toBeDefined();
    expect(Math.abs(Number(shown) - usd)).toBeLessThanOrEqual(usd * 0.05);
  });

  describe('-m my-deploy answered as gpt-4o-mini-2024-07-18 (an Azure deployment)', () => {
    let server: CachedUsageServer;
    beforeAll(async () => {
      server = await startCachedUsageServer({ prompt: 1000, completion: 10, cached: 900 }, 'gpt-4o-mini-2024-07-18');
    });
    afterAll(() => server.close());

    it.each([
      ['--price', (_dir: string) => ['--price', '1000/1000/100']],
      [
        '--prices FILE',
        (dir: string) => {
          const file = path.join(dir, 'prices.json');
          fs.writeFileSync(file, JSON.stringify({ 'my-deploy': { input: 1000, output: 1000, cached_input: 100 } }));
          return ['--prices', file];
        },
      ],
    ])('%s for my-deploy prices the summary, --summary-json, the budget and the report (JSONL and CSV) alike', async (how, prices) => {
      const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
      const given = prices(ctx.dir);
      for (const out of ['d.jsonl', 'd.csv']) {
        const file = path.join(ctx.dir, out);
        const summary = path.join(ctx.dir, `${out}.json`);
        const html = path.join(ctx.dir, `${out}.html`);
        const r = await runCli([
          input,
          '--base-url',
          server.url,
          '-m',
          'my-deploy',
          ...given,
          '--max-cost',
          '100',
          '--no-cache',
          '--summary-json',
          summary,
          '--report',
          html,
          '-o',
          file,
        ]);
        expect(r.code, r.stderr).toBe(0);
        // Two answers of 100 uncached + 900 cached input and 10 out, at 1000/1000/100 per 1M: $0.40.
        const s = readJson(summary);
        expect(s.estimatedCost.usd).toBeCloseTo(0.4, 9);
        expect(s.budget.spentUsd).toBeCloseTo(0.4, 9);
        expect(s.estimatedCost.byModel).toEqual([
          expect.objectContaining({ model: 'gpt-4o-mini-2024-07-18', requestedModel: 'my-deploy', pricedAs: 'my-deploy' }),
        ]);
        expect(r.stderr).toMatch(/est\. \$0\.4000 at the given prices \(answers of gpt-4o-mini-2024-07-18 priced as my-deploy\)/);
        const html2 = path.join(ctx.dir, `${out}.again.html`);
        // One `report` as a child process (through bin/), the rest in the worker.
        const report = how === '--price' && out === 'd.jsonl' ? runCli : runInWorker;
        const again = await report(['report', file, '-o', html2, ...given]);
        expect(again.code, again.stderr).toBe(0);
        for (const page of [html, html2]) {
          const data = reportDataOf(page);
          expect(data.figures.cost, `${out} ${page}`).toMatchObject({
            usd: 0.4,
            pricesGiven: true,
            pricedAs: [{ model: 'gpt-4o-mini-2024-07-18', as: 'my-deploy' }],
          });
        }
      }
    });
  });
});
