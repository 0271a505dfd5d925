import { describe, expect, it } from 'vitest';
import { createPriceLookup } from '../../src/budget/prices.js';
import { buildComparisons } from '../../src/report/build-comparisons.js';
import { buildFigures, runSpans } from '../../src/report/build-figures.js';
import { buildLatency } from '../../src/report/build-latency.js';
import { reportRowFromCsv } from '../../src/report/read-report-rows.js';
import { T0, pricedRow } from '../helpers/report-rows.js';

const row = pricedRow;
const given = (price: string) => {
  const [input, output] = price.split('/').map(Number) as [number, number];
  return { lookup: createPriceLookup({ price: { input, output } }) };
};

describe('report cost', () => {
  it('prices tokens at the run’s --price, not list prices', () => {
    // 3 rows × (1,000 in + 2,000 out) at $1,000 per million each way: $9.
    const f = buildFigures([row(0), row(1), row(2)], 0, given('1000/1000'));
    expect(f.cost?.usd).toBe(9);
    expect(f.cost?.pricesGiven).toBe(true);
    expect(f.cost?.byModel).toEqual([{ model: 'gpt-4o', usd: 9 }]);
    const groups = buildComparisons([row(0), row(1, { model: 'gpt-4o-mini' })], null, given('1000/1000'))[0]!.groups;
    expect(groups.map((g) => g.usd)).toEqual([3, 3]);
  });

  it('says which prices it used, as the run’s summary does: a --prices file that names one model, or none', () => {
    const file = (entries: Record<string, { input: number; output: number }>) => ({
      lookup: createPriceLookup({ file: new Map(Object.entries(entries)) }),
    });
    const rows = [row(0), row(1, { model: 'gpt-4o-mini' })];
    expect(buildFigures(rows, 0, file({ 'gpt-4o': { input: 1, output: 1 }, 'gpt-4o-mini': { input: 1, output: 1 } })).cost).toMatchObject({
      pricesGiven: true,
    });
    expect(buildFigures(rows, 0, file({ 'gpt-4o': { input: 1, output: 1 } })).cost).toMatchObject({ pricesGiven: true, pricesMixed: true });
    const none = buildFigures(rows, 0, file({ gpt4o: { input: 1, output: 1 } })).cost!;
    expect([none.pricesGiven, none.pricesMixed]).toEqual([false, undefined]);
  });

  it('prices Batch API rows (they carry batch_id) at the Batch price, and cached input tokens at the cached price', () => {
    // gpt-4o lists $2.50 in, $10 out, $1.25 cached in, per million.
    const live = buildFigures([row(0)], 0).cost!.usd;
    expect(live).toBe((1000 * 2.5 + 2000 * 10) / 1e6);
    const batch = buildFigures([row(0, { batch_id: 'batch_1' })], 0).cost!;
    expect(batch.usd).toBe(live / 2);
    expect(batch.batchRows).toBe(1);
    const cached = buildFigures([row(0, { usage: { prompt_tokens: 1000, completion_tokens: 2000, cached_tokens: 800 } })], 0).cost!;
    expect(cached.usd).toBe((200 * 2.5 + 800 * 1.25 + 2000 * 10) / 1e6);
    expect(cached.cachedTokens).toBe(800);
  });

  it('a run whose every row failed unbilled (model null) cost $0 at the price of the model it asked for, not an unknown amount', () => {
    const failed = (i: number, extra: Record<string, unknown> = {}) =>
      row(i, { response: null, error: { type: 'http', message: 'HTTP 400', status: 400 }, model: null, usage: null, finish_reason: null, ...extra });
    const list = (runModel: string) => ({ lookup: createPriceLookup({}), runModel });
    expect(buildFigures([failed(0), failed(1)], 0, list('gpt-4o-mini')).cost).toMatchObject({ usd: 0, byModel: [{ model: 'gpt-4o-mini', usd: 0 }] });
    // A model with no known price stays unknown.
    expect(buildFigures([failed(0)], 0, list('my-llama')).cost).toBeNull();
    // One that kept the usage of answers it paid for (a re-ask that failed) is priced as the model asked for.
    const paid = buildFigures([failed(0, { usage: { prompt_tokens: 1000, completion_tokens: 2000 } })], 0, list('gpt-4o')).cost!;
    expect(paid.byModel).toEqual([{ model: 'gpt-4o', usd: (1000 * 2.5 + 2000 * 10) / 1e6 }]);
    expect(paid.usd).toBe((1000 * 2.5 + 2000 * 10) / 1e6);
  });

  it('reads batch_id and cached_tokens from CSV rows too', () => {
    const r = reportRowFromCsv({
      id: 'a',
      response: 'x',
      batch_id: 'batch_9',
      cached_tokens: '12',
      prompt_tokens: '20',
      completion_tokens: '1',
      model: 'gpt-4o',
    });
    expect([r.batchId, r.cachedTokens]).toEqual(['batch_9', 12]);
  });
});

describe('report time', () => {
  it('sums the runs’ spans of a resumed file instead of counting the gap between them', () => {
    const first = [row(0), row(1)]; // 0 → 1.5 s
    const later = [row(0, { id: 'r7', started_at: new Date(T0 + 600_000).toISOString(), finished_at: new Date(T0 + 602_000).toISOString() })];
    const f = buildFigures([...first, ...later], 0);
    expect(f.wallSeconds).toBe(602);
    expect(f.runs).toBe(2);
    expect(f.activeSeconds).toBe(3.5);
    expect(f.rowsPerSecond).toBeCloseTo(3 / 3.5, 2);
  });

  it('splits at this run’s start when nothing was in flight then, however short the gap', () => {
    const iv = (): Array<[number, number]> => [
      [0, 1000],
      [500, 1500],
      [9000, 10_000],
    ];
    expect(runSpans(iv())).toEqual({ runs: 1, ms: 10_000 });
    // The second run timed from its start (8 s), not from its first request (9 s).
    expect(runSpans(iv(), [8000])).toEqual({ runs: 2, ms: 3500 });
    // A start before every row splits nothing, and times nothing from it: it may be an earlier run's.
    expect(runSpans(iv(), [-400])).toEqual({ runs: 1, ms: 10_000 });
    // A start while a request was still in flight is no boundary.
    expect(runSpans(iv(), [700])).toEqual({ runs: 1, ms: 10_000 });
  });

  it('splits at the start of the run a --summary-json sums up: its wall time back from the last answer', () => {
    const first = [row(0), row(1)]; // 0 → 1.5 s
    const later = [row(0, { id: 'r7', started_at: new Date(T0 + 4000).toISOString(), finished_at: new Date(T0 + 6000).toISOString() })];
    // The resume ran 2.1 s (its start, then its one request): a gap of seconds, not minutes.
    // Its 2.1 s counted from its start, not the 2 s of its request: 1.5 + 2.1.
    expect(buildFigures([...first, ...later], 0, undefined, { wallSeconds: 2.1 })).toMatchObject({ runs: 2, activeSeconds: 3.6, wallSeconds: 6 });
    // As the run's own start splits it.
    expect(buildFigures([...first, ...later], 0, undefined, { startedMs: T0 + 3900, wallSeconds: 2.1 })).toMatchObject({ runs: 2, activeSeconds: 3.6 });
    // The summary of a run that wrote the whole file: its start is before the first request, no split.
    expect(buildFigures([...first, ...later], 0, undefined, { wallSeconds: 6.2 })).toMatchObject({ runs: 1, activeSeconds: 6 });
    // A resume that wrote no row: the file's last answer is the first run's, nothing is split or stretched.
    expect(buildFigures([...first], 0, undefined, { wallSeconds: 8.9, rows: 0 })).toMatchObject({ runs: 1, activeSeconds: 1.5 });
  });

  it('times Batch API rows by their batches, not as 0 s of live time', () => {
    const rows = [0, 1, 2].map((i) =>
      row(i, { batch_id: i < 2 ? 'batch_a' : 'batch_b', started_at: '2026-11-30T00:00:00.000Z', finished_at: '2026-11-30T00:05:07.000Z' }),
    );
    const f = buildFigures(rows, 0);
    expect(f.batch).toEqual({ rows: 3, batches: 2, startedAt: '2026-11-30T00:00:00.000Z', finishedAt: '2026-11-30T00:05:07.000Z', seconds: 307 });
    expect(f.wallSeconds).toBeNull();
    expect(f.rowsPerSecond).toBeNull();
  });
});

describe('latency histogram', () => {
  it('starts near the fastest answer, not at 0', () => {
    const lat = buildLatency(Float64Array.from({ length: 100 }, (_, i) => 800 + i * 4))!;
    expect(lat.binStart).toBeGreaterThanOrEqual(700);
    expect(lat.binStart).toBeLessThanOrEqual(800);
    expect(lat.counts.reduce((a, b) => a + b, 0)).toBe(100);
    expect(lat.binStart + lat.binWidth * lat.counts.length).toBeGreaterThan(1196);
  });
});
