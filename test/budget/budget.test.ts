/**
 * --max-cost: the cap can never be exceeded, whatever the concurrency, the answer lengths, the
 * failures or the order in which answers come back.
 */
import { describe, expect, it } from 'vitest';
import { createRunBudget } from '../../src/budget/run-budget.js';
import { billedPico, parsePrice, worstCasePico, type TokenPrice } from '../../src/budget/prices.js';
import { SpendCap, toPico } from '../../src/budget/spend-cap.js';
import { predictedText, predictionTokenBound, promptTokenBound } from '../../src/budget/worst-case.js';
import { lineWorstCase } from '../../src/batch/line-budget.js';
import { AttemptError, type Complete, type CompletionRequest } from '../../src/provider/completion.js';
import { runBatch } from '../../src/engine/run-batch.js';
import { runBatch as runLibrary } from '../../src/index.js';
import { createStats } from '../../src/engine/stats.js';
import { asyncFrom as from } from '../helpers/collect.js';
import type { PromptRecord, ResultRow } from '../../src/types.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { encode } from 'gpt-tokenizer';

const PRICE: TokenPrice = { input: 2, output: 8, cachedInput: 0.5 };

function records(n: number, random: () => number): PromptRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const prompt = `question ${i} ${'word '.repeat(Math.floor(random() * 200))}`;
    return { id: `r${i}`, line: i + 1, source: 't', prompt, messages: [{ role: 'user', content: prompt }], params: {} };
  });
}

describe('SpendCap', () => {
  it('never lets spent + reserved pass the cap while settlements stay within their reservations, over 100,000 random steps', () => {
    const random = seededRandom(7);
    const cap = new SpendCap(1_000_000);
    let violations = 0;
    const open: Array<ReturnType<SpendCap['tryReserve']> & object> = [];
    for (let i = 0; i < 100_000; i++) {
      if (random() < 0.55) {
        const r = cap.tryReserve(Math.floor(random() * 50_000));
        if (r) open.push(r);
      } else if (open.length) {
        const r = open.splice(Math.floor(random() * open.length), 1)[0]!;
        cap.settle(r, Math.floor(random() * (r.amount + 1)));
      }
      if (cap.spent + cap.reserved > cap.cap) violations++;
    }
    expect(violations).toBe(0);
    expect(cap.spent).toBeLessThanOrEqual(cap.cap);
    expect(cap.overruns).toBe(0);
  });

  it('charges usage above a reservation in full, counts the excess, and admits nothing once the spend passed the cap', () => {
    const random = seededRandom(11);
    const cap = new SpendCap(1_000_000);
    let charged = 0;
    let excess = 0;
    let overruns = 0;
    let admittedAfterPassing = 0;
    const open: Array<ReturnType<SpendCap['tryReserve']> & object> = [];
    for (let i = 0; i < 100_000; i++) {
      if (random() < 0.55) {
        const passed = cap.passed;
        const r = cap.tryReserve(Math.floor(random() * 50_000));
        if (r && passed) admittedAfterPassing++;
        if (r) open.push(r);
      } else if (open.length) {
        const r = open.splice(Math.floor(random() * open.length), 1)[0]!;
        // A few overrun (a server ignoring max_tokens): up to three times the reservation.
        const actual = Math.floor(random() * r.amount * (random() < 0.02 ? 3 : 1));
        if (actual > r.amount) {
          overruns++;
          excess += actual - r.amount;
        }
        charged += actual;
        cap.settle(r, actual);
      }
    }
    for (const r of open) {
      charged += r.amount;
      cap.settle(r, r.amount);
    }
    expect(cap.spent).toBe(charged);
    expect(cap.overruns).toBe(overruns);
    expect(cap.overrun).toBe(excess);
    // What is left reserved and overrun by one: past the cap.
    const last = cap.tryReserve(cap.cap - cap.spent)!;
    cap.settle(last, last.amount + 1);
    expect(cap.spent).toBe(cap.cap + 1);
    expect(cap.passed).toBe(true);
    expect(admittedAfterPassing).toBe(0);
    expect(cap.tryReserve(0)).toBeUndefined();
  });

  it('settles a reservation once', () => {
    const cap = new SpendCap(100);
    const r = cap.tryReserve(60)!;
    cap.settle(r, 10);
    cap.settle(r, 50);
    expect(cap.spent).toBe(10);
    expect(cap.reserved).toBe(0);
  });
});

describe('prices', () => {
  it.each([
    ['0.15/0.60', { input: 0.15, output: 0.6 }],
    ['2/8/0.5', { input: 2, output: 8, cachedInput: 0.5 }],
    ['0.15', undefined],
    ['a/b', undefined],
    ['-1/2', undefined],
    ['1/2/3/4', undefined],
    // Each part a plain decimal, as --max-cost and the other decimal flags take it.
    ['.15/.60', { input: 0.15, output: 0.6 }],
    [' .15 / 2. /.075', { input: 0.15, output: 2, cachedInput: 0.075 }],
    ['1e3/2', undefined],
    ['0x10/1', undefined],
    ['1/Infinity', undefined],
    ['./1', undefined],
    [`1${'0'.repeat(400)}/1`, undefined],
  ])('parsePrice(%s)', (text, expected) => {
    expect(parsePrice(text)).toEqual(expected);
  });

  it('bills cached prompt tokens at the cached price and halves the Batch API', () => {
    const usage = { prompt_tokens: 1000, completion_tokens: 100, cached_tokens: 600 };
    // 400 × $2/M + 600 × $0.5/M + 100 × $8/M = 0.0008 + 0.0003 + 0.0008 = $0.0019
    expect(billedPico(PRICE, usage)).toBe(toPico(0.0019));
    expect(billedPico(PRICE, usage, true)).toBe(toPico(0.00095));
    expect(billedPico({ input: 2, output: 8 }, usage)).toBe(toPico(0.0028)); // no cached price: full input
  });

  it('the prompt bound is at least the real token count (byte-level BPE)', () => {
    const random = seededRandom(3);
    const alphabet = ['a', ' ', 'é', '字', '🙂', '\n', 'the ', '{"x":1}'];
    for (let i = 0; i < 200; i++) {
      const text = Array.from({ length: Math.floor(random() * 400) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const messages = [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: text },
      ];
      const real = 3 + messages.reduce((n, m) => n + 3 + encode(m.content).length, 0);
      expect(promptTokenBound(messages)).toBeGreaterThanOrEqual(real);
    }
  });
});

describe('--max-cost in the engine', () => {
  /**
   * 400 requests in flight at once, 5,000 prompts, answers of random length up to max_tokens, 5 %
   * cut streams (billed in full, as we cannot know less) and 5 % HTTP 500s (not billed), in random
   * order. The billed total, counted by the fake provider itself, must stay within the cap.
   */
  it.each([1, 2, 3])('holds under high concurrency (seed %i)', async (seed) => {
    const random = seededRandom(seed);
    const capUsd = 0.5;
    let billed = 0;
    const complete: Complete = async (request: CompletionRequest) => {
      await new Promise((r) => setTimeout(r, Math.floor(random() * 4)));
      const roll = random();
      const promptTokens = promptTokenBound(request.messages) - Math.floor(random() * 20);
      if (roll < 0.05) throw new AttemptError('http', 'server error', { status: 500 });
      const completion = Math.floor(random() * (request.max_tokens! + 1));
      if (roll < 0.1) {
        billed += worstCasePico(PRICE, promptTokens, completion);
        throw new AttemptError('connection', 'stream ended before the answer finished');
      }
      const usage = { prompt_tokens: promptTokens, completion_tokens: completion, ...(random() < 0.3 ? { cached_tokens: Math.floor(promptTokens / 2) } : {}) };
      billed += billedPico(PRICE, usage);
      return { text: 'ok', finishReason: 'stop', usage, model: request.model, headers: null };
    };
    const budget = createRunBudget({ capUsd, prices: () => PRICE });
    const stats = createStats();
    const gen = runBatch(from(records(5000, random)), {
      complete,
      model: 'm',
      maxTokens: 300,
      concurrency: 400,
      retries: 0,
      rpm: 1e9,
      random: () => 0,
      budget,
      stats,
    });
    const rows: ResultRow[] = [];
    let step = await gen.next();
    while (!step.done) {
      rows.push(step.value);
      step = await gen.next();
    }
    expect(step.value.stopped).toBe('budget');
    expect(billed).toBeLessThanOrEqual(toPico(capUsd));
    expect(toPico(budget.spentUsd())).toBeGreaterThanOrEqual(billed);
    expect(budget.spentUsd()).toBeLessThanOrEqual(capUsd);
    // It used the budget, not stopped at the first sign of pressure: within one worst case of the cap.
    expect(capUsd - budget.spentUsd()).toBeLessThan((300 * 8 + 2000 * 2) / 1e6);
    expect(rows.length).toBeLessThan(5000);
  });

  it("the library's runBatch sends max_tokens 4096 under a budget, as --max-cost does, and holds the cap", async () => {
    const sent: Array<number | undefined> = [];
    // A server that writes as long as it is let: 20,000 tokens, or max_tokens.
    const complete: Complete = async (request) => {
      sent.push(request.max_tokens);
      const usage = { prompt_tokens: 10, completion_tokens: Math.min(20_000, request.max_tokens ?? 20_000) };
      return { text: 'long', finishReason: 'stop', usage, model: request.model, headers: null };
    };
    const price: TokenPrice = { input: 0.15, output: 0.6 };
    const budget = createRunBudget({ capUsd: 0.01, prices: () => price });
    const rows: ResultRow[] = [];
    for await (const row of runLibrary(from(records(50, Math.random)), { complete, model: 'm', budget, retries: 0, concurrency: 1 })) rows.push(row);
    expect(new Set(sent)).toEqual(new Set([4096]));
    expect(budget.passed()).toBe(false);
    expect(budget.spentUsd()).toBeLessThanOrEqual(0.01);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('a model with no price fails its row with a message, sends nothing', async () => {
    let sent = 0;
    const complete: Complete = async () => {
      sent++;
      return { text: 'x', finishReason: 'stop', usage: null, model: null, headers: null };
    };
    const budget = createRunBudget({ capUsd: 1, prices: () => undefined });
    const gen = runBatch(from(records(2, Math.random)), { complete, model: 'mystery', maxTokens: 10, budget, rpm: 1e9 });
    const rows: ResultRow[] = [];
    for await (const row of gen) rows.push(row);
    expect(sent).toBe(0);
    expect(rows.map((r) => r.error?.message)).toEqual([expect.stringMatching(/no price known for model mystery/), expect.stringMatching(/no price/)]);
  });

  it.each(['tools', 'functions', 'response_format'])("counts a row's own %s in the worst case, as a Batch line's", async (field) => {
    const messages = [{ role: 'user' as const, content: 'hi' }];
    // 20 kB of definitions: billed as prompt, ~8 times the messages' whole worst case here.
    // `functions`: the form `tools` replaced, still sent (and billed) when a row or --param gives it.
    const big =
      field === 'tools'
        ? [{ type: 'function', function: { name: 'f', description: 'd'.repeat(20_000) } }]
        : field === 'functions'
          ? [{ name: 'f', description: 'd'.repeat(20_000) }]
          : { type: 'json_schema', json_schema: { name: 'x', description: 'd'.repeat(20_000) } };
    const request = { model: 'm', messages, max_tokens: 100, extraBody: { [field]: big } };
    const alone = worstCasePico(PRICE, promptTokenBound(messages), 100);
    const budget = createRunBudget({ capUsd: (alone * 2) / 1e12, prices: () => PRICE });
    const admission = await budget.admit(request, new AbortController().signal);
    expect(admission.kind).toBe('full');
    expect(budget.refused?.worstUsd).toBeCloseTo((lineWorstCase(() => PRICE, { ...request.extraBody, model: 'm', messages, max_tokens: 100 })! / 1e12) * 2, 10);
  });

  it('reserves a prediction (Predicted Outputs) as answer tokens besides max_tokens: unused, they are billed at the output price', async () => {
    const messages = [{ role: 'user' as const, content: 'fix the typo' }];
    const content = 'const answer = 42;\n'.repeat(200); // 3,800 bytes
    const plain = { model: 'm', messages, max_tokens: 100 };
    const predicted = { ...plain, extraBody: { prediction: { type: 'content', content } } };
    const alone = worstCasePico(PRICE, promptTokenBound(messages), 100);
    // A cap the request fits without its prediction: with it, its worst case does not.
    const fits = createRunBudget({ capUsd: (alone * 2) / 1e12, prices: () => PRICE });
    expect((await fits.admit(plain, new AbortController().signal)).kind).toBe('admitted');
    const budget = createRunBudget({ capUsd: (alone * 2) / 1e12, prices: () => PRICE });
    expect((await budget.admit(predicted, new AbortController().signal)).kind).toBe('full');
    expect(budget.refused).toEqual({
      model: 'm',
      worstUsd: worstCasePico(PRICE, promptTokenBound(messages), 100 + 3800) / 1e12,
      maxTokens: 100,
      predictionTokens: 3800,
      promptUsd: worstCasePico(PRICE, promptTokenBound(messages), 0) / 1e12,
    });
    expect(fits.refused).toBeUndefined();
  });

  it.each([
    ['a string', { type: 'content', content: 'héllo' }, 'héllo', 6],
    [
      'text parts',
      {
        type: 'content',
        content: [
          { type: 'text', text: 'ab' },
          { type: 'text', text: 'cd' },
        ],
      },
      'abcd',
      4,
    ],
    ['none', undefined, '', 0],
    ['no content', { type: 'content' }, '', 0],
  ])("a prediction's text and its bound in tokens: %s", (_, prediction, text, bound) => {
    expect(predictedText(prediction)).toBe(text);
    expect(predictionTokenBound(prediction)).toBe(bound);
  });

  it('a request whose worst case alone exceeds the cap is never sent', async () => {
    let sent = 0;
    const complete: Complete = async () => {
      sent++;
      return { text: 'x', finishReason: 'stop', usage: null, model: null, headers: null };
    };
    const budget = createRunBudget({ capUsd: 0.001, prices: () => PRICE });
    const gen = runBatch(from(records(3, Math.random)), { complete, model: 'm', maxTokens: 1000, budget, rpm: 1e9 });
    let step = await gen.next();
    while (!step.done) step = await gen.next();
    expect(step.value.stopped).toBe('budget');
    expect(sent).toBe(0);
  });
});
