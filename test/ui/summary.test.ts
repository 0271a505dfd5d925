import { describe, expect, it } from 'vitest';
import { PRICES, PRICES_AS_OF } from '../../src/pricing.js';
import { createStats, type BatchStats } from '../../src/engine/stats.js';
import type { ResultRow } from '../../src/types.js';
import { compact, count, duration, rate, usd } from '../../src/ui/number-format.js';
import { wrapParts } from '../../src/ui/reporter.js';
import { textWidth } from '../../src/ui/terminal-text.js';
import { UsageTally, buildSummary, costOf, formatSummaryLine } from '../../src/ui/summary.js';
import { createPriceLookup } from '../../src/budget/prices.js';

function stats(over: Partial<BatchStats> = {}): BatchStats {
  return { ...createStats(0), ...over };
}

const row = (model: string | null, prompt: number, completion: number): ResultRow => ({
  id: 'x',
  line: 1,
  prompt: 'p',
  response: 'r',
  error: null,
  attempts: 1,
  latency_ms: 1,
  model,
  finish_reason: 'stop',
  usage: { prompt_tokens: prompt, completion_tokens: completion },
});

const ESC = /\x1b\[/;

describe('format helpers', () => {
  it.each([
    [0.4, '1s'],
    [45, '45s'],
    [100, '1m40s'],
    [3600 + 5 * 60, '1h05m'],
    [-1, '?'],
    [Infinity, '?'],
  ])('duration(%d) = %s', (s, text) => expect(duration(s)).toBe(text));

  it('duration keeps a decimal for short wall times when asked', () => {
    expect(duration(12.34, true)).toBe('12.3s');
    expect(duration(125, true)).toBe('2m05s');
  });

  it.each([
    [0, '$0.00'],
    [0.00004, '$0.000040'],
    [0.000051, '$0.000051'],
    [0.0000001234, '$0.00000012'],
    [0.01234, '$0.0123'],
    // Rounding carries into the next unit: not `$1.0000`.
    [0.99999, '$1.00'],
    [12.345, '$12.35'],
    [1234.5, '$1,234.50'],
  ])('usd(%d) = %s', (x, text) => expect(usd(x)).toBe(text));

  it('counts, rates and compact figures', () => {
    expect(count(1234567)).toBe('1,234,567');
    expect(rate(38.24)).toBe('38.2');
    expect(rate(1234.5)).toBe('1,234.5');
    expect(compact(950)).toBe('950');
    expect(compact(1234)).toBe('1.2k');
    expect(compact(2_500_000)).toBe('2.5M');
  });
});

describe('buildSummary', () => {
  const base = stats({
    startedAt: 0,
    ok: 98,
    failed: 2,
    failedByType: { timeout: 1, http: 1 },
    requests: 120,
    retries: 20,
    rateLimited: 3,
    promptTokens: 100_000,
    completionTokens: 50_000,
  });

  it('carries the counts, throughput and the cost at the run model', () => {
    const s = buildSummary(base, 10_000, undefined, null, 'gpt-4o-mini');
    const { input, output } = PRICES['gpt-4o-mini']!;
    expect(s).toMatchObject({
      ok: 98,
      failed: 2,
      failedByType: { timeout: 1, http: 1 },
      retries: 20,
      rateLimited: 3,
      requests: 120,
      promptTokens: 100_000,
      completionTokens: 50_000,
      wallSeconds: 10,
      requestsPerSecond: 12,
      tokensPerSecond: 15_000,
      model: 'gpt-4o-mini',
      stopped: null,
      resumeHint: null,
    });
    expect(s.estimatedCost).toMatchObject({ estimate: true, pricesAsOf: PRICES_AS_OF, unpricedTokens: 0 });
    expect(s.estimatedCost!.usd).toBeCloseTo((100_000 * input + 50_000 * output) / 1e6, 6);
    expect(s.estimatedCost!.byModel).toEqual([
      expect.objectContaining({ model: 'gpt-4o-mini', pricedAs: 'gpt-4o-mini', promptTokens: 100_000, completionTokens: 50_000 }),
    ]);
  });

  it('has no cost for an unknown model, or without a model', () => {
    expect(buildSummary(base, 10_000, undefined, null, 'llama3.2').estimatedCost).toBeNull();
    expect(buildSummary(base, 10_000, undefined, null).estimatedCost).toBeNull();
  });

  it('no answer with usage (an old Ollama streaming without it): every model of a -m A,B run listed at zero, not the first alone', () => {
    const price = createPriceLookup({ price: { input: 1, output: 2 } });
    const cost = costOf(stats({}), 'aa', new UsageTally().byModel, price, false, ['aa', 'bb'])!;
    expect(cost.byModel.map((m) => [m.model, m.promptTokens, m.usd])).toEqual([
      ['aa', 0, 0],
      ['bb', 0, 0],
    ]);
    expect(costOf(stats({}), 'aa', new UsageTally().byModel, price)!.byModel.map((m) => m.model)).toEqual(['aa']);
  });

  it('prices each model the rows reported, dated snapshots by family, and counts unpriced tokens apart', () => {
    const tally = new UsageTally();
    tally.add(row('gpt-4o-mini-2024-07-18', 1000, 100));
    tally.add(row('gpt-4o-mini-2024-07-18', 1000, 100));
    tally.add(row('gpt-4o-2024-08-06', 500, 50));
    tally.add(row('llama3.2', 300, 30));
    tally.add({ ...row(null, 0, 0), usage: null, error: { type: 'timeout', message: 't' }, response: null });
    const s = stats({ promptTokens: 2800, completionTokens: 280 });
    // No run model: nothing to price llama3.2's answers by (a -m gpt-4o-mini run prices them as gpt-4o-mini).
    const cost = costOf(s, undefined, tally.byModel)!;
    const mini = PRICES['gpt-4o-mini']!;
    const big = PRICES['gpt-4o']!;
    expect(cost.usd).toBeCloseTo((2000 * mini.input + 200 * mini.output + 500 * big.input + 50 * big.output) / 1e6, 6);
    expect(cost.unpricedTokens).toBe(330);
    expect(cost.byModel.map((m) => [m.model, m.pricedAs, m.usd === null])).toEqual([
      ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini', false],
      ['gpt-4o-2024-08-06', 'gpt-4o', false],
      ['llama3.2', null, true],
    ]);
  });

  it('prices a failed row that kept the usage it paid for (model null) as the model it asked for', () => {
    const tally = new UsageTally('gpt-4o-mini');
    tally.add(row('gpt-4o-mini', 500, 50));
    tally.add({ ...row(null, 1000, 100), error: { type: 'http', message: 'a re-ask failed' }, response: 'not json' });
    const cost = costOf(stats({ promptTokens: 1500, completionTokens: 150 }), 'gpt-4o-mini', tally.byModel)!;
    const mini = PRICES['gpt-4o-mini']!;
    expect(cost.byModel).toEqual([expect.objectContaining({ model: 'gpt-4o-mini', promptTokens: 1500, completionTokens: 150 })]);
    expect(cost.usd).toBeCloseTo((1500 * mini.input + 150 * mini.output) / 1e6, 6);
  });

  it("--batch-api: the Batch discount before rounding, so the total is the report's (a rounded total halved was 1e-6 off)", () => {
    const tally = new UsageTally();
    tally.add(row('m', 1, 0));
    // One token at $5,180.76 a million: $0.00518076, half $0.00259038. Rounded first (0.005181 at
    // micro-dollars), then halved and rounded again, it read 0.002591 where the report said 0.00259.
    const price = createPriceLookup({ price: { input: 5180.76, output: 0 } });
    const s = stats({ promptTokens: 1, completionTokens: 0 });
    expect(costOf(s, 'm', tally.byModel, price, true)!.usd).toBe(0.00259038);
    expect(costOf(s, 'm', tally.byModel, price)!.usd).toBe(0.00518076);
  });

  it('an amount under $0.00001 keeps its digits: $0.00000129 read 1e-6 (and printed $0.0000010) at micro-dollars', () => {
    const tally = new UsageTally();
    tally.add(row('m', 9, 39));
    const price = createPriceLookup({ price: { input: 0.1, output: 0.01 } });
    expect(costOf(stats({ promptTokens: 9, completionTokens: 39 }), 'm', tally.byModel, price)!.usd).toBe(0.00000129);
  });

  it("prices cached prompt tokens at their own price, at the table's or the given prices", () => {
    const tally = new UsageTally();
    tally.add({ ...row('gpt-4o-mini', 1000, 10), usage: { prompt_tokens: 1000, completion_tokens: 10, cached_tokens: 900 } });
    const s = stats({ promptTokens: 1000, completionTokens: 10 });
    const mini = PRICES['gpt-4o-mini']!;
    expect(costOf(s, 'gpt-4o-mini', tally.byModel)!.usd).toBeCloseTo((100 * mini.input + 900 * mini.cachedInput! + 10 * mini.output) / 1e6, 6);
    const given = costOf(s, 'gpt-4o-mini', tally.byModel, createPriceLookup({ price: { input: 1000, output: 1000, cachedInput: 100 } }))!;
    expect(given.usd).toBeCloseTo(0.2, 9);
  });

  it('says which prices it used: given, the table (a --prices file that named no model of the run), or both', () => {
    const tally = new UsageTally();
    tally.add(row('gpt-4o-mini', 1000, 10));
    tally.add(row('o1', 1000, 10));
    const s = stats({ promptTokens: 2000, completionTokens: 20 });
    const file = (entries: Record<string, { input: number; output: number }>) => createPriceLookup({ file: new Map(Object.entries(entries)) });
    const price = { input: 1, output: 1 };
    expect(costOf(s, 'm', tally.byModel, file({ 'gpt-4o-mini': price, o1: price }))).toMatchObject({ pricesGiven: true });
    expect(costOf(s, 'm', tally.byModel, file({ 'gpt-4o-mini': price, o1: price }))!.pricesMixed).toBeUndefined();
    expect(costOf(s, 'm', tally.byModel, file({ 'gpt-4o-mini': price }))).toMatchObject({ pricesGiven: true, pricesMixed: true });
    const none = costOf(s, 'm', tally.byModel, file({ gpt4o_mini: price }))!;
    expect([none.pricesGiven, none.pricesMixed]).toEqual([undefined, undefined]);
  });

  it('is JSON-safe (what --summary-json writes)', () => {
    const s = buildSummary(base, 10_000, 'quota', 'llm-batch p.txt -o out.jsonl --resume', 'gpt-4o');
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});

describe('formatSummaryLine', () => {
  it('says ok / failed by type, retries, 429s, tokens, cost, wall time and throughput', () => {
    const s = buildSummary(
      stats({
        startedAt: 0,
        ok: 1190,
        failed: 10,
        failedByType: { timeout: 7, http: 3 },
        skipped: 5,
        requests: 1300,
        retries: 14,
        rateLimited: 3,
        promptTokens: 123_456,
        completionTokens: 7890,
      }),
      12_300,
      undefined,
      null,
      'gpt-4o-mini',
    );
    const line = formatSummaryLine(s);
    expect(line).toMatch(/^1,190 ok, 10 failed \(timeout 7, http 3\), 5 already done, 14 retries, 3 × 429 · /);
    expect(line).toMatch(/ · 123,456 tokens in \/ 7,890 out · /);
    expect(line).toMatch(new RegExp(` · est\\. \\$0\\.\\d{4} at ${PRICES_AS_OF} prices · `));
    expect(line).toMatch(/ · 12\.3s · 105\.7 req\/s, 10,679 tokens\/s$/);
    expect(line).not.toMatch(ESC);
  });

  it('"nothing sent, nothing spent" for answers all from the cache, not once batches are on the server', () => {
    const s = buildSummary(stats({ ok: 6, cached: 6, requests: 0 }), 1000, undefined, null, 'gpt-4o-mini');
    expect(formatSummaryLine(s)).toMatch(/^6 ok \(6 from cache\), 0 failed · nothing sent, nothing spent/);
    expect(formatSummaryLine({ ...s, pendingBatches: 2 })).not.toMatch(/nothing sent/);
  });

  it('shows tokens only for an unknown model, and notes answers without usage', () => {
    const line = formatSummaryLine(
      buildSummary(stats({ ok: 3, promptTokens: 30, completionTokens: 60, rowsWithoutUsage: 1 }), 1000, undefined, null, 'llama3.2'),
    );
    expect(line).toMatch(/^3 ok, 0 failed · 30 tokens in \/ 60 out \(1 answer without usage\) · /);
    expect(line).not.toMatch(/\$|est\./);
  });

  it("says what cut the truncated answers: the token limit, the model's context length (Mistral's model_length), or both", () => {
    const line = (truncated: number, truncatedAtContext: number) =>
      formatSummaryLine(buildSummary(stats({ ok: 5, truncated, truncatedAtContext }), 1000, undefined, null)).split(' · ')[0];
    expect(line(2, 0)).toBe('5 ok, 0 failed, 2 truncated at the token limit');
    expect(line(2, 2)).toBe("5 ok, 0 failed, 2 truncated at the model's context length");
    expect(line(3, 1)).toBe("5 ok, 0 failed, 3 truncated (2 at the token limit, 1 at the model's context length)");
    expect(buildSummary(stats({ truncated: 3, truncatedAtContext: 1 }), 1000, undefined, null)).toMatchObject({ truncated: 3, truncatedAtContext: 1 });
  });

  it('colours only through the style it is given', () => {
    const s = buildSummary(stats({ ok: 2, failed: 1, failedByType: { http: 1 } }), 1000, undefined, null);
    const styled = formatSummaryLine(s, { ok: (x) => `\x1b[32m${x}\x1b[39m`, failed: (x) => `\x1b[31m${x}\x1b[39m` });
    expect(styled).toContain('\x1b[32m2 ok\x1b[39m');
    expect(styled).toContain('\x1b[31m1 failed (http 1)\x1b[39m');
    expect(formatSummaryLine(s)).not.toMatch(ESC);
  });
});

describe('names from outside in the summary line', () => {
  it('shows escape sequences and bidirectional controls of the file name and the served model as \ufffd', () => {
    const tally = new UsageTally('my-deploy');
    tally.add(row('gpt-4o\x1b]0;pwned\x07', 100, 50));
    const s = buildSummary(
      stats({ ok: 1, promptTokens: 100, completionTokens: 50 }),
      1000,
      undefined,
      null,
      'my-deploy',
      tally.byModel,
      createPriceLookup({ file: new Map([['my-deploy', { input: 1, output: 1 }]]) }),
    );
    const line = formatSummaryLine({ ...s, input: 'q\u202etxt.csv\x1b[2J' });
    expect(line).toContain('(answers of gpt-4o\ufffd]0;pwned\ufffd priced as my-deploy)');
    expect(line).toMatch(/ · q\ufffdtxt\.csv\ufffd\[2J$/);
    expect(line).not.toMatch(/[\x00-\x1f\u202a-\u202e]/);
  });
});

describe('a file name with a line break or tab in the summary line', () => {
  it('shows them as \ufffd: the line stays one line (a second would read as a line of its own)', () => {
    const s = buildSummary(stats({ ok: 1 }), 1000, undefined, null);
    const line = formatSummaryLine({ ...s, input: 'nl\nname\tx\r.txt' });
    expect(line).toMatch(/ · nl\ufffdname\ufffdx\ufffd\.txt$/);
    expect(line).not.toMatch(/[\n\r\t]/);
  });
});

describe('wrapParts (the summary on a narrow terminal)', () => {
  it('breaks between parts, never inside one, and indents under the prefix', () => {
    const line = '5 ok, 0 failed · 115 tokens in / 272 out · 0.7s · 7.5 req/s, 582 tokens/s';
    expect(wrapParts(line, 60)).toBe('5 ok, 0 failed · 115 tokens in / 272 out · 0.7s ·\n           7.5 req/s, 582 tokens/s');
    expect(wrapParts(line, 200)).toBe(line);
    for (const row of wrapParts(line, 30).split('\n')) expect(row.trim()).not.toMatch(/^·/);
  });

  // Columns each row takes on the terminal: the first follows the `llm-batch: ` prefix, the rest are indented under it.
  const shownWidths = (wrapped: string) => wrapped.split('\n').map((r, i) => textWidth(i === 0 ? `llm-batch: ${r}` : r));

  it('measures by terminal columns: a CJK file name takes two columns a character', () => {
    const name = '提示词文件提示词文件提示词文件.csv';
    const line = formatSummaryLine({ ...buildSummary(stats({ ok: 5 }), 700, undefined, null), input: name });
    // The reporter is given the terminal's measure (create-reporter.ts): ICU loads only on a terminal.
    const wrapped = wrapParts(line, 60, textWidth);
    expect(wrapped.split('\n').at(-1)).toBe(`           ${name}`);
    for (const w of shownWidths(wrapped)) expect(w).toBeLessThanOrEqual(60);
  });

  it('breaks a message between words by terminal columns', () => {
    const wrapped = wrapParts('cannot read 日本語のファイル名です.csv line 3: 名前の列がありません', 40, textWidth);
    expect(wrapped.split('\n').length).toBeGreaterThan(1);
    for (const w of shownWidths(wrapped)) expect(w).toBeLessThanOrEqual(40);
  });

  it('measures coloured text by what shows', () => {
    const line = '\x1b[32m5 ok\x1b[39m, 0 failed · 115 tokens';
    expect(wrapParts(line, 11 + 30)).toBe(line);
  });

  const P3 = '3 ok, 0 failed · 21 tokens in / 113 out · est. $0.00 at 2026-03-01 prices · 1.1s · 2.8 req/s, 125 tokens/s · p3.txt';
  const FAULTS =
    '0 ok, 17 failed (http 6, timeout 4, server 3, network 2, rate_limit 2), 17 × 429 · 0 tokens in / 0 out · 2.1s · 8.1 req/s, 0 tokens/s · /srv/batches/2026-03-01/faults.txt';

  it('never leaves a `·` alone or first on a row, cuts no word and keeps rows within the width, at any width', () => {
    for (const line of [P3, FAULTS, '\x1b[32m3 ok\x1b[39m, 0 failed · 21 tokens in / 113 out · 1.1s']) {
      // What is never broken: a word, with the ` ·` after it.
      const units = line
        .split(' · ')
        .flatMap((part, i, parts) => part.split(' ').map((w, j, ws) => (i < parts.length - 1 && j === ws.length - 1 ? `${w} ·` : w)));
      const lengths = units.map((w) => w.replace(/\x1b\[\d+m/g, '').length);
      for (let width = 12; width <= 130; width++) {
        const rows = wrapParts(line, width).split('\n');
        // The words, in order, none cut: the rows joined give the line back.
        expect(rows.map((r) => r.trim()).join(' ')).toBe(line);
        const indents = new Set(rows.slice(1).map((r) => r.length - r.trimStart().length));
        expect(indents.size).toBeLessThanOrEqual(1);
        expect([...indents].every((n) => n === 0 || n === 11)).toBe(true);
        rows.forEach((row, i) => {
          expect(row.trim()).not.toMatch(/^·/);
          const shown = (i === 0 ? `llm-batch: ${row}` : row).replace(/\x1b\[\d+m/g, '');
          // Only a word wider than a row on its own may overflow it (the terminal wraps a long path).
          if (shown.length > width) expect(row.trim().split(' ').length).toBe(1);
        });
        // The indent goes only on a narrow terminal, where it keeps a word from fitting.
        if (width - 11 < 20 && lengths.some((n) => n > width - 11 && n <= width)) expect(indents).not.toContain(11);
        else expect(indents).not.toContain(0);
      }
    }
  });

  it('keeps the `·` after a first part that fills the row exactly', () => {
    const first = `${'x'.repeat(40)} ${'y'.repeat(48)}`; // 89 columns: 100 with the prefix
    expect(wrapParts(`${first} · 1,234 tokens in / 0 out · 1.2s`, 100)).toBe(
      `${'x'.repeat(40)}\n           ${'y'.repeat(48)} · 1,234 tokens in / 0 out · 1.2s`,
    );
    expect(wrapParts(`${first} · 1.2s`, 100)).toBe(`${'x'.repeat(40)}\n           ${'y'.repeat(48)} · 1.2s`);
    expect(wrapParts(first, 100)).toBe(first);
  });

  it('breaks between words on narrow terminals rather than leaving it to the terminal (25 and 30 columns)', () => {
    expect(wrapParts(P3, 30).split('\n')).toEqual([
      '3 ok, 0 failed ·',
      '           21 tokens in / 113',
      '           out ·',
      '           est. $0.00 at',
      '           2026-03-01 prices ·',
      '           1.1s ·',
      '           2.8 req/s, 125',
      '           tokens/s · p3.txt',
    ]);
    expect(wrapParts(P3, 25).split('\n').slice(0, 3)).toEqual(['3 ok, 0', '           failed ·', '           21 tokens in /']);
  });

  it('starts continuation rows at the edge only where the indent keeps a word from fitting (20 columns)', () => {
    // `2026-03-01` takes 10 columns; 9 are left after the indent.
    expect(wrapParts(P3, 20).split('\n')).toEqual([
      '3 ok, 0',
      'failed ·',
      '21 tokens in / 113',
      'out ·',
      'est. $0.00 at',
      '2026-03-01 prices ·',
      '1.1s ·',
      '2.8 req/s, 125',
      'tokens/s · p3.txt',
    ]);
    // Wider, a word too wide for the room after the indent (a path, a URL) is the terminal's to wrap: the indent stays.
    const url = `https://example.com/${'v'.repeat(30)}`;
    expect(wrapParts(`cannot reach ${url}: connection refused`, 60)).toBe(`cannot reach\n           ${url}:\n           connection refused`);
  });

  it('breaks a message between words on a narrow terminal too', () => {
    expect(wrapParts('no prompts on stdin (it was empty or only blank lines): nothing was sent', 28).split('\n')).toEqual([
      'no prompts on',
      '           stdin (it was',
      '           empty or only',
      '           blank lines):',
      '           nothing was sent',
    ]);
  });
});

describe('the summary of a stopped run', () => {
  it('says interrupted first, and how many were not run (or that the rest of stdin was not)', () => {
    const s = buildSummary(stats({ ok: 2, failed: 0 }), 1000, 'interrupted', 'llm-batch p.txt -o o.jsonl --resume');
    expect(formatSummaryLine({ ...s, notRun: 38 })).toMatch(/^interrupted: 2 ok, 0 failed, 38 not run · /);
    expect(formatSummaryLine(s)).toMatch(/^interrupted: 2 ok, 0 failed, the rest not run · /);
    expect(formatSummaryLine({ ...s, stopped: 'quota', notRun: 5 })).toMatch(/^stopped \(quota\): 2 ok, 0 failed, 5 not run · /);
    expect(formatSummaryLine(buildSummary(stats({ ok: 2 }), 1000, undefined, null))).toMatch(/^2 ok, 0 failed · /);
  });
});

describe('answers without usage', () => {
  it('make the estimate a lower bound, or unknown when none reported usage', () => {
    const tally = new UsageTally('gpt-4o-mini');
    tally.add(row('gpt-4o-mini', 1000, 1000));
    const some = buildSummary(
      stats({ ok: 2, requests: 2, promptTokens: 1000, completionTokens: 1000, rowsWithoutUsage: 1 }),
      1000,
      undefined,
      null,
      'gpt-4o-mini',
      tally.byModel,
    );
    expect(some.estimatedCost).toMatchObject({ atLeast: true });
    expect(formatSummaryLine(some)).toMatch(/\(1 answer without usage\) · est\. ≥ \$0\.00075 at /);
    const none = buildSummary(stats({ ok: 2, requests: 2, rowsWithoutUsage: 2 }), 1000, undefined, null, 'gpt-4o-mini', new UsageTally('gpt-4o-mini').byModel);
    expect(formatSummaryLine(none)).toMatch(/\(2 answers without usage\) · cost unknown \(no usage reported\) · /);
    const all = buildSummary(stats({ ok: 1, requests: 1, promptTokens: 1000, completionTokens: 1000 }), 1000, undefined, null, 'gpt-4o-mini', tally.byModel);
    expect(all.estimatedCost?.atLeast).toBeUndefined();
  });
});
