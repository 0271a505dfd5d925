import { picoToUsd } from '../budget/spend-cap.js';
import { LIST_PRICING, rowCostPico, type ReportPricing } from './row-cost.js';
import type { ReportRow } from './report-row.js';
import type { Comparison, GroupFigures, LatencyFigures } from './report-data.js';
import { percentile } from './stats-math.js';

/** The label of rows without a model: llm-batch names the model only in answered rows. */
export const NO_MODEL = '(failed, no model)';

/**
 * Side-by-side figures per model and per sample, when the rows hold more than one of either.
 * Latency shares use the overall histogram's bins, so the groups' curves overlay on one chart.
 */
export function buildComparisons(rows: readonly ReportRow[], latency: LatencyFigures | null, pricing: ReportPricing = LIST_PRICING): Comparison[] {
  const out: Comparison[] = [];
  const models = new Set(rows.map((r) => r.model).filter((m) => m !== null));
  if (models.size > 1) out.push({ by: 'model', groups: groupBy(rows, (r) => r.model ?? NO_MODEL, latency, pricing) });
  // A plain run's rows (no sample) are sample 0 by now (withSampleZero).
  const samples = new Set(rows.map((r) => r.sample ?? 0));
  if (samples.size > 1) out.push({ by: 'sample', groups: groupBy(rows, (r) => String(r.sample ?? 0), latency, pricing) });
  return out;
}

function groupBy(rows: readonly ReportRow[], keyOf: (r: ReportRow) => string, latency: LatencyFigures | null, pricing: ReportPricing): GroupFigures[] {
  const byKey = new Map<string, ReportRow[]>();
  for (const r of rows) {
    const key = keyOf(r);
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(r);
  }
  const keys = [...byKey.keys()].sort((a, b) => (a === NO_MODEL ? 1 : b === NO_MODEL ? -1 : a.localeCompare(b, 'en', { numeric: true })));
  return keys.map((key) => figuresOf(key, byKey.get(key)!, latency, pricing));
}

function figuresOf(key: string, rows: ReportRow[], latency: LatencyFigures | null, pricing: ReportPricing): GroupFigures {
  const lat: number[] = [];
  let ok = 0,
    cached = 0,
    promptTokens = 0,
    completionTokens = 0,
    answeredWithUsage = 0,
    answeredTokens = 0;
  let usd: number | null = null;
  for (const r of rows) {
    if (r.errorType === null) {
      ok++;
      if (!r.cached && r.latencyMs !== null) lat.push(r.latencyMs);
    }
    if (r.cached) cached++;
    if (r.promptTokens !== null || r.completionTokens !== null) {
      // Tokens sent for, as the summary counts them per model; a cached answer's length still tells how long answers are.
      if (!r.cached) {
        promptTokens += r.promptTokens ?? 0;
        completionTokens += r.completionTokens ?? 0;
      }
      if (r.errorType === null) {
        answeredWithUsage++;
        answeredTokens += r.completionTokens ?? 0;
      }
      const cost = rowCostPico(r, pricing);
      if (cost !== undefined) usd = (usd ?? 0) + cost;
    }
  }
  const sorted = Float64Array.from(lat).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const latencyShare: number[] = [];
  if (latency) {
    const counts = new Array<number>(latency.counts.length).fill(0);
    for (const v of sorted) counts[Math.min(counts.length - 1, Math.floor((v - latency.binStart) / latency.binWidth))]!++;
    for (const c of counts) latencyShare.push(sorted.length ? c / sorted.length : 0);
  }
  return {
    key,
    rows: rows.length,
    ok,
    failed: rows.length - ok,
    cached,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    meanLatency: sorted.length ? Math.round(sum / sorted.length) : null,
    promptTokens,
    completionTokens,
    meanCompletionTokens: answeredWithUsage ? Math.round((answeredTokens / answeredWithUsage) * 10) / 10 : null,
    usd: usd === null ? null : picoToUsd(usd),
    latencyShare,
  };
}
