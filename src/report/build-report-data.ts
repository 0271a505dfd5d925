import { buildComparisons } from './build-comparisons.js';
import { buildErrorGroups } from './build-error-groups.js';
import { buildFigures } from './build-figures.js';
import { buildLatency, latenciesOf } from './build-latency.js';
import { buildOutputFields } from './build-output-fields.js';
import { buildTable, type LoadTexts } from './build-table.js';
import { buildTimeline, type RunEvents } from './build-timeline.js';
import type { OmittedFields, ReportData, RunFigures, UncollectedBatches } from './report-data.js';
import type { ReportRow } from './report-row.js';
import type { ReportPricing } from './row-cost.js';
import { paidCarrier, stampOf } from '../output/carried-usage.js';

export interface ReportInput {
  rows: readonly ReportRow[];
  title: string;
  source: ReportData['source'];
  /** From a live run (`--report`): what only the run saw. */
  run?: RunFigures;
  /** Structured fields in the schema's order (see buildOutputFields). */
  fieldOrder?: readonly string[] | undefined;
  /** A --batch-api run's batches not collected, when known apart from `run` (see ReportData.pendingBatches). */
  batches?: UncollectedBatches;
  events?: RunEvents;
  now?: Date;
  tableLimits?: { rows: number; chars: number };
  /** The run's prices (--price, --prices); list prices without them. */
  pricing?: ReportPricing;
  /** For slim rows: fetches the texts of the rows the table shows. */
  loadTexts?: LoadTexts;
}

/**
 * The last row per prompt, as `--compact` keeps it: a resumed run or `--retry-failed` appends a new
 * row for a prompt that already had one. Prompts are (id, sample) and, when rows name several
 * models, the model too; there, a failed row that names no model cannot be told apart from the
 * other models' rows, so it is always kept. A superseded row's tokens are added to the row that
 * replaces it (see usageCarrier): a resumed file not compacted yet reports what compacting it keeps.
 */
export function latestRows(rows: readonly ReportRow[]): { rows: ReportRow[]; superseded: number } {
  const models = new Set<string>();
  for (const r of rows) if (r.model !== null) models.add(r.model);
  const byModel = models.size > 1;
  const last = new Map<string, number>();
  const keyOf = (r: ReportRow, i: number) => (byModel && r.model === null ? `\u0001${i}` : `${r.id}\u0000${r.sample ?? ''}\u0000${byModel ? r.model : ''}`);
  rows.forEach((r, i) => {
    last.set(keyOf(r, i), i);
  });
  if (last.size === rows.length) return { rows: [...rows], superseded: 0 };
  // A superseded row's tokens were paid for: they go to the row that replaces it, as --compact's do;
  // by when it was asked and what it spent, so one row copied twice (and a copy of the kept row) is one spend.
  const carrier = paidCarrier<Tokens>(addTokens);
  const kept: ReportRow[] = [];
  const askedAt = (r: ReportRow) =>
    r.startedMs !== null && r.finishedMs !== null ? stampOf(r.startedMs, r.finishedMs, r.promptTokens, r.completionTokens) : undefined;
  rows.forEach((r, i) => {
    const key = keyOf(r, i);
    if (last.get(key) !== i) {
      if (!r.cached && (r.promptTokens !== null || r.completionTokens !== null)) carrier.drop(key, askedAt(r), r);
      return;
    }
    const earlier = carrier.take(key, askedAt(r));
    kept.push(earlier && !r.cached ? { ...r, ...addTokens(earlier, r) } : r);
  });
  return { rows: kept, superseded: rows.length - last.size };
}

type Tokens = Pick<ReportRow, 'promptTokens' | 'completionTokens' | 'cachedTokens'>;

function addTokens(a: Tokens | null, b: Tokens): Tokens {
  const sum = (x: number | null | undefined, y: number | null | undefined) => (x === null || x === undefined ? (y ?? null) : x + (y ?? 0));
  return {
    promptTokens: sum(a?.promptTokens, b.promptTokens),
    completionTokens: sum(a?.completionTokens, b.completionTokens),
    cachedTokens: sum(a?.cachedTokens, b.cachedTokens),
  };
}

/**
 * A plain run's rows carry no `sample`, and count as sample 0 (as `--resume`, `--compact` and merge
 * count them): so a file continued with `--resume --repeat N` compares sample 0 with the others.
 */
export function withSampleZero(rows: readonly ReportRow[]): readonly ReportRow[] {
  if (!rows.some((r) => r.sample !== null)) return rows;
  return rows.map((r) => (r.sample === null ? { ...r, sample: 0 } : r));
}

/** Every figure and chart series from every row, and the table (sampled beyond its limits). */
export async function buildReportData(input: ReportInput): Promise<ReportData> {
  const { rows, superseded } = latestRows(withSampleZero(input.rows));
  const latency = buildLatency(latenciesOf(rows));
  const errors = buildErrorGroups(rows);
  const omitted: OmittedFields = { count: 0, names: [] };
  const outputFields = buildOutputFields(rows, omitted, input.fieldOrder);
  return {
    version: 1,
    title: input.title,
    generatedAt: (input.now ?? new Date()).toISOString(),
    source: input.source,
    figures: buildFigures(rows, superseded, input.pricing, input.run),
    run: input.run ?? null,
    pendingBatches: input.batches?.pending ?? input.run?.pendingBatches ?? 0,
    unsubmittedBatches: input.batches?.unsubmitted ?? input.run?.unsubmittedBatches ?? 0,
    goneBatches: input.batches?.gone ?? input.run?.goneBatches ?? 0,
    latency,
    // Batch API rows carry their batch's times in whole seconds: no time chart of requests from them.
    timeline: buildTimeline(
      rows.filter((r) => !r.batchId),
      input.events,
    ),
    comparisons: buildComparisons(rows, latency, input.pricing),
    errors: errors.groups,
    // Past the groups listed: said under them, so the failed rows they count add up to the card's.
    ...(errors.more.groups > 0 ? { errorsNotListed: errors.more } : {}),
    outputFields,
    ...(omitted.count > 0 ? { fieldsNotShown: omitted } : {}),
    table: await buildTable(rows, outputFields, input.tableLimits, input.loadTexts),
  };
}
