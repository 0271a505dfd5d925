import type { ReportRow } from './report-row.js';
import type { LatencyFigures } from './report-data.js';
import { niceStep, percentile } from './stats-math.js';

const BINS = 40;

/** Latencies of answered rows (a cached answer has none worth counting). */
export function latenciesOf(rows: readonly ReportRow[]): Float64Array {
  const out: number[] = [];
  for (const r of rows) if (r.errorType === null && !r.cached && r.latencyMs !== null) out.push(r.latencyMs);
  return Float64Array.from(out).sort();
}

/**
 * Percentiles and a histogram of answered rows' latency. The bins run from the fastest answer
 * (rounded down to a bin) to a little past p99: bars of answers that all took 800 to 1,200 ms fill
 * the chart instead of its right fifth, and one stuck request does not squash the rest into the
 * first bin; what lies beyond is counted in the last bin and said so.
 */
export function buildLatency(sorted: Float64Array): LatencyFigures | null {
  if (sorted.length === 0) return null;
  const p99 = percentile(sorted, 99)!;
  const max = sorted[sorted.length - 1]!;
  const min = sorted[0]!;
  const top = Math.max(min + 1, Math.min(max, p99 * 1.25));
  const binWidth = niceStep((top - min) / BINS);
  const binStart = Math.floor(min / binWidth) * binWidth;
  const bins = Math.min(BINS + 10, Math.max(1, Math.ceil((top + 1 - binStart) / binWidth)));
  const counts = new Array<number>(bins).fill(0);
  let overflow = 0;
  let sum = 0;
  for (const v of sorted) {
    sum += v;
    const i = Math.floor((v - binStart) / binWidth);
    if (i >= bins) overflow++;
    counts[Math.min(bins - 1, i)]!++;
  }
  return {
    count: sorted.length,
    mean: Math.round(sum / sorted.length),
    p50: percentile(sorted, 50)!,
    p90: percentile(sorted, 90)!,
    p99,
    max,
    binStart,
    binWidth,
    counts,
    overflow,
  };
}
