/**
 * --max-cost when an answer's usage is larger than its reservation (a server that ignores
 * max_tokens, media nothing bounds): the usage is charged in full, so spentUsd is what the answers
 * cost; once the spend passes the cap no prompt is admitted, and requests in flight still finish.
 */
import { describe, expect, it } from 'vitest';
import { createRunBudget, unboundedMediaLine } from '../../src/budget/run-budget.js';
import { billedPico, createPriceLookup, type TokenPrice } from '../../src/budget/prices.js';
import { toUsd } from '../../src/budget/spend-cap.js';
import type { Complete } from '../../src/provider/completion.js';
import { runBatch } from '../../src/engine/run-batch.js';
import type { ChatMessage, PromptRecord, ResultRow } from '../../src/types.js';
import { asyncFrom as from } from '../helpers/collect.js';

/** $1,000 per million tokens: a token is a tenth of a cent. */
const PRICE: TokenPrice = { input: 1000, output: 1000 };

const record = (i: number, prompt = `question ${i}`): PromptRecord => ({
  id: `r${i}`,
  line: i + 1,
  source: 't',
  prompt,
  messages: [{ role: 'user', content: prompt }],
  params: {},
});

describe('usage above its reservation', () => {
  it('is charged in full, stops admitting once the spend passes the cap, and lets requests in flight finish', async () => {
    const sent: string[] = [];
    let billed = 0;
    let allSent!: () => void;
    const three = new Promise<void>((resolve) => (allSent = resolve));
    let answered!: () => void;
    const r1Answered = new Promise<void>((resolve) => (answered = resolve));
    const complete: Complete = async (request) => {
      const prompt = String(request.messages.at(-1)!.content);
      sent.push(prompt);
      if (sent.length === 3) allSent();
      // r1 answers with 5,000 tokens (max_tokens 10) once three are in flight; r0 and r2 finish after it.
      await three;
      if (prompt === 'question 1') setImmediate(answered);
      else await r1Answered;
      const usage = { prompt_tokens: 10, completion_tokens: prompt === 'question 1' ? 5000 : 5 };
      billed += billedPico(PRICE, usage);
      return { text: 'ok', finishReason: 'stop', usage, model: request.model, headers: null };
    };
    const budget = createRunBudget({ capUsd: 1, prices: () => PRICE });
    const gen = runBatch(from(Array.from({ length: 20 }, (_, i) => record(i))), {
      complete,
      model: 'm',
      maxTokens: 10,
      concurrency: 3,
      retries: 0,
      rpm: 1e9,
      random: () => 0,
      budget,
    });
    const rows: ResultRow[] = [];
    let step = await gen.next();
    while (!step.done) {
      rows.push(step.value);
      step = await gen.next();
    }
    expect(step.value.stopped).toBe('budget');
    // The three in flight when r1's usage came back all got their answer; nothing was sent after.
    expect(sent.sort()).toEqual(['question 0', 'question 1', 'question 2']);
    expect(rows.filter((r) => r.error === null)).toHaveLength(3);
    expect(budget.spentUsd()).toBe(toUsd(billed));
    expect(budget.spentUsd()).toBeGreaterThan(budget.capUsd);
    expect(budget.passed()).toBe(true);
    const overrun = budget.overrun();
    expect(overrun.answers).toBe(1);
    // r1's bill less its reservation (its prompt bound and 10 answer tokens).
    expect(overrun.usd).toBeGreaterThan(4.9);
    expect(overrun.usd).toBeLessThan(5.01);
  });

  it('refuses the next prompt at once once passed, without waiting for requests in flight', async () => {
    const budget = createRunBudget({ capUsd: 1, prices: () => PRICE });
    const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: 10 };
    const signal = new AbortController().signal;
    const first = await budget.admit(request, signal);
    const second = await budget.admit(request, signal);
    if (first.kind !== 'admitted' || second.kind !== 'admitted') throw new Error('both fit');
    budget.settle(first.ticket, request, { usage: { prompt_tokens: 10, completion_tokens: 2000 } });
    // `second` is still in flight: before, a refused prompt waited for it to settle.
    expect(await budget.admit(request, signal)).toEqual({ kind: 'full', message: 'budget reached' });
    expect(budget.spentUsd()).toBeCloseTo(2.01, 10);
  });

  it('within the cap: charged in full and counted, still admitting', async () => {
    const budget = createRunBudget({ capUsd: 100, prices: () => PRICE });
    const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: 10 };
    const signal = new AbortController().signal;
    const first = await budget.admit(request, signal);
    if (first.kind !== 'admitted') throw new Error('fits');
    budget.settle(first.ticket, request, { usage: { prompt_tokens: 10, completion_tokens: 1000 } });
    expect(budget.spentUsd()).toBeCloseTo(1.01, 10);
    expect(budget.overrun().answers).toBe(1);
    expect(budget.passed()).toBe(false);
    expect((await budget.admit(request, signal)).kind).toBe('admitted');
  });
});

describe('media --max-cost cannot bound', () => {
  it('is said once per model, before the request is sent', async () => {
    const lines: string[] = [];
    const budget = createRunBudget({ capUsd: 100, prices: () => ({ input: 0.1, output: 0.1 }) });
    budget.say = (line) => lines.push(line);
    const content = [
      { type: 'text', text: 'what is it?' },
      { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
    ] as unknown as ChatMessage['content'];
    const signal = new AbortController().signal;
    for (const model of ['my-vlm', 'my-vlm', 'gpt-4o', 'other-vlm'])
      await budget.admit({ model, messages: [{ role: 'user', content }], max_tokens: 10 }, signal);
    expect(lines).toEqual([unboundedMediaLine('my-vlm', 'image_url'), unboundedMediaLine('other-vlm', 'image_url')]);
    expect(lines[0]).toMatch(
      /^--max-cost cannot bound the tokens of an image sent to my-vlm \(no known vision pricing for that model\): each such part is reserved at 10,000 prompt tokens/,
    );
  });
});

describe('what an attempt is settled at', () => {
  const request = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: 10 };
  const signal = new AbortController().signal;
  const admitted = async (budget: ReturnType<typeof createRunBudget>) => {
    const admission = await budget.admit(request, signal);
    if (admission.kind !== 'admitted') throw new Error('fits');
    return admission.ticket;
  };

  it('an answer under another name (a dated snapshot) at the price the summary gives it: the given one for that name', async () => {
    // Prices given for the snapshot only, as a user copies them from a bill; the table has the alias.
    const prices = createPriceLookup({ file: new Map([['gpt-4o-mini-2024-07-18', { input: 10, output: 20 }]]) });
    const budget = createRunBudget({ capUsd: 100, prices });
    budget.settle(await admitted(budget), request, { usage: { prompt_tokens: 100_000, completion_tokens: 0 }, model: 'gpt-4o-mini-2024-07-18' });
    expect(budget.spentUsd()).toBeCloseTo(1, 10);
  });

  it('a request that never left (a refused connection) at nothing; a reset at its worst case', async () => {
    const budget = createRunBudget({ capUsd: 100, prices: () => PRICE });
    budget.settle(await admitted(budget), request, { failedWithStatus: false, neverSent: true });
    expect(budget.spentUsd()).toBe(0);
    budget.settle(await admitted(budget), request, { failedWithStatus: false });
    expect(budget.spentUsd()).toBeGreaterThan(0);
  });
});

it('once a model answered under another name, its next requests are reserved at the price that answer got', async () => {
  // Prices given for the dated snapshot only: the alias asked for is reserved at the table's price
  // until an answer names the snapshot; from then on at the given one, as settle charges it.
  const prices = createPriceLookup({ file: new Map([['gpt-4o-mini-2024-07-18', { input: 10, output: 20 }]]) });
  const budget = createRunBudget({ capUsd: 100, prices });
  const request = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: 10 };
  const signal = new AbortController().signal;
  const reserved = async () => {
    const admission = await budget.admit(request, signal);
    if (admission.kind !== 'admitted') throw new Error('fits');
    return admission.ticket;
  };
  const first = await reserved();
  budget.settle(first, request, { usage: { prompt_tokens: 1, completion_tokens: 1 }, model: 'gpt-4o-mini-2024-07-18' });
  const second = await reserved();
  // 20 against 0.60 a million answer tokens: over 30 times the worst case.
  expect(second.amount).toBeGreaterThan(30 * first.amount);
});

describe('worstCharged', () => {
  it('counts attempts charged at their worst case: answers without usage and cut-off attempts, not HTTP errors', async () => {
    const budget = createRunBudget({ capUsd: 10, prices: createPriceLookup({ price: { input: 1000, output: 1000 } }) });
    const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: 10 };
    const admit = async () => {
      const a = await budget.admit(request, new AbortController().signal);
      if (a.kind !== 'admitted') throw new Error(a.kind);
      return a.ticket;
    };
    const t1 = await admit();
    budget.settle(t1, request, { usage: null });
    const t2 = await admit();
    budget.settle(t2, request, { failedWithStatus: false });
    budget.settle(await admit(), request, { failedWithStatus: true });
    budget.settle(await admit(), request, { usage: { prompt_tokens: 1, completion_tokens: 1 } });
    const charged = budget.worstCharged!();
    expect(charged).toMatchObject({ noUsage: 1, cut: 1 });
    expect(charged.usd).toBeCloseTo((t1.amount + t2.amount) / 1e12, 12);
  });
});
