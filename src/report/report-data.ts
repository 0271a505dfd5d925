/** What the HTML report embeds as JSON: every figure precomputed from every row, plus the table. */
export interface ReportData {
  version: 1;
  title: string;
  generatedAt: string;
  /**
   * `tornRow`: the file ends with a row cut short (no line end after it), left out of every figure.
   * `beingWritten`: a run held the file's lock, so the report holds only the rows written so far.
   */
  source: { path: string; format: 'jsonl' | 'csv'; bytes: number; tornRow?: boolean; beingWritten?: boolean };
  figures: Figures;
  /** Run-level counts the rows cannot tell (every 429, every retry); present for `--report`. */
  run: RunFigures | null;
  /**
   * Batches of a --batch-api run still on the server when the report was made, whose rows it lacks:
   * the run's own count (`--report`), or its manifest's (`report`, with or without --summary-json).
   */
  pendingBatches: number;
  /**
   * Batches of that run built but never submitted (an upload that failed): on no server, rows it
   * lacks too; counted as pendingBatches is.
   */
  unsubmittedBatches: number;
  /**
   * Batches of a --mock run not collected: they ended with its process, and no command collects
   * them (only --overwrite starts again).
   */
  goneBatches: number;
  latency: LatencyFigures | null;
  timeline: Timeline | null;
  comparisons: Comparison[];
  errors: ErrorGroup[];
  /** Groups past the ones `errors` lists (the largest 200), and their rows; absent when none. */
  errorsNotListed?: { groups: number; rows: number };
  outputFields: OutputField[];
  /** Fields past the ones `outputFields` shows (the first 40 seen): counted, the first few named; absent when none. */
  fieldsNotShown?: OmittedFields;
  table: TableData;
}

/** Structured-output fields the report leaves out of its columns: how many, and the first names. */
export interface OmittedFields {
  count: number;
  names: string[];
}

export interface Figures {
  rows: number;
  /** Earlier rows for the same prompt that a later row replaced (a resumed or retried run). */
  superseded: number;
  ok: number;
  failed: number;
  failedByType: Record<string, number>;
  cached: number;
  /** Attempts summed over rows (every request that led to a row). */
  attempts: number;
  /** Attempts beyond the first. */
  retries: number;
  /** Rows whose last attempt got HTTP 429. */
  rateLimitedRows: number;
  /** Answers cut off (finish_reason "length", or Mistral's "model_length"): in ok, or in failed (type truncated) with --fail-truncated. */
  truncated: number;
  /** Of those, the ones in failed (--fail-truncated; a schema answer cut short). */
  truncatedFailed: number;
  /** Tokens of the answers sent for (rows from the response cache are in `cachedAnswerTokens`), as the summary counts them. */
  promptTokens: number;
  completionTokens: number;
  /** Tokens of the answers served from the response cache: bought by an earlier run, not sent again. */
  cachedAnswerTokens: { prompt: number; completion: number };
  rowsWithoutUsage: number;
  cost: {
    usd: number;
    pricesAsOf: string;
    byModel: Array<{ model: string; usd: number | null }>;
    unpricedTokens: number;
    /** Some answer was priced by the run's --price/--prices (the table only where they say nothing). */
    pricesGiven: boolean;
    /** With pricesGiven: others by the table, as a --prices file that names some models leaves them. */
    pricesMixed?: true;
    /** Rows answered by the Batch API, priced at the Batch price. */
    batchRows: number;
    /** Prompt tokens served from the provider's cache, priced at the cached price. */
    cachedTokens: number;
    /**
     * Priced rows whose file cannot say what the prompt cache served (a CSV without a
     * `cached_tokens` column, from an older llm-batch): their input is priced in full.
     */
    cachedUnknownRows?: number;
    /** Answers whose server named another model (`model`) than the one priced (`as`, the model asked for). */
    pricedAs?: Array<{ model: string; as: string }>;
  } | null;
  /** First attempt start to last attempt end (Batch API rows included); null without timestamps. */
  startedAt: string | null;
  finishedAt: string | null;
  /** Live rows: first request to last answer (a resumed file's gap between runs included). */
  wallSeconds: number | null;
  /** Live rows: the sum of the runs' spans (a resumed file's gaps between runs left out). */
  activeSeconds: number | null;
  /** How many runs the live rows came from (split at gaps with nothing in flight, and at this run's start). */
  runs: number;
  /** Rows answered by the Batch API: their batches' span (whole seconds, as the API reports it). */
  batch: { rows: number; batches: number; startedAt: string | null; finishedAt: string | null; seconds: number | null } | null;
  rowsPerSecond: number | null;
  tokensPerSecond: number | null;
  models: string[];
  samples: number[];
  hasTimestamps: boolean;
  /**
   * Of `run.notRun`, prompts with a row in this report: an earlier failure the stopped resume was
   * to ask again (see notAskedAgain). Absent when none or unknown.
   */
  notAskedAgain?: number;
}

export interface RunFigures {
  requests: number;
  retries: number;
  /** Invalid answers asked again (--json-schema/--json): attempts too, but not retries. */
  reasks?: number;
  rateLimited: number;
  wallSeconds: number;
  requestsPerSecond: number;
  skipped: number;
  stopped: string | null;
  /** After a stop: prompts that got no row, so none in the report (null when unknown, as for stdin). */
  notRun?: number | null;
  /** After a stop: the command that finishes the run (the summary's `resumeHint`), when there is one. */
  resumeHint?: string | null;
  /** Rows this invocation wrote (its summary's `ok` + `failed`): the last ones in the file, when known. */
  rows?: number;
  /** The run asked its failed prompts again (--retry-failed), so its resume does too. */
  retryFailed?: boolean;
  /** When this invocation started (epoch ms), when known. */
  startedMs?: number;
  /** The run's own estimate (this invocation's tokens at its prices), when known. */
  costUsd?: number | null;
  /**
   * Attempts cut off mid-answer and retried (the summary's `attemptsCutOff`): billed for what they
   * generated, which no row holds, so the cost is a lower bound, as the summary says.
   */
  attemptsCutOff?: number;
  /** With --max-cost: the cap and what was spent against it. */
  budget?: { capUsd: number; spentUsd: number } | null;
  /** --batch-api --no-wait (or a stop): batches still running on the server. */
  pendingBatches?: number;
  /** --batch-api: batches built but not submitted (an upload that failed). */
  unsubmittedBatches?: number;
  /** --mock --batch-api: batches not collected, gone with the run's process. */
  goneBatches?: number;
}

/** Batches of a --batch-api run not collected when a report is made, by where they are. */
export interface UncollectedBatches {
  /** On the server (running, or finished and not collected): --resume collects them. */
  pending: number;
  /** Built, never submitted: --resume submits them. */
  unsubmitted: number;
  /** Of a --mock run, gone with its process (with any of its open batches, the rest too): --overwrite starts again. */
  gone: number;
}

export interface LatencyFigures {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Bin i covers [start + i*width, start + (i+1)*width); the last bin also holds everything above. */
  binStart: number;
  binWidth: number;
  counts: number[];
  /** Latencies above the last bin's end, counted in it. */
  overflow: number;
}

export interface Timeline {
  startMs: number;
  bucketMs: number;
  /** Where the series come from: rows (last attempts) or the run's own events (every attempt). */
  source: 'rows' | 'events';
  /** Whether rows had timestamps: without them (files from an older llm-batch) only the run's events are drawn, not answers and errors. */
  rowTimes: boolean;
  sent: number[];
  ok: number[];
  failed: number[];
  rateLimited: number[];
}

export interface GroupFigures {
  key: string;
  rows: number;
  ok: number;
  failed: number;
  cached: number;
  p50: number | null;
  p90: number | null;
  meanLatency: number | null;
  promptTokens: number;
  completionTokens: number;
  meanCompletionTokens: number | null;
  usd: number | null;
  /** Share of rows per latency bin of the overall histogram, for the overlay chart. */
  latencyShare: number[];
}

export interface Comparison {
  by: 'model' | 'sample';
  groups: GroupFigures[];
}

export interface ErrorGroup {
  type: string;
  status: number | null;
  /** The message with numbers and ids masked, which is what rows were grouped by. */
  pattern: string;
  example: string;
  count: number;
  firstLine: number;
  ids: string[];
}

export interface OutputField {
  /** The column's name, as the CSV names it (`output_id` for a field `id`). */
  name: string;
  /** The key the rows' `output` holds it under. */
  property: string;
  /** Most frequent values (when there are few distinct ones), for a glance at the distribution. */
  top: Array<[string, number]> | null;
  distinct: number;
}

/**
 * Table rows as arrays (no repeated keys): see TABLE_COLUMNS. `sampled` says the table holds a
 * subset: the figures and charts above it still count every row.
 */
export interface TableData {
  columns: readonly string[];
  rows: unknown[][];
  total: number;
  sampled: boolean;
  limitRows: number;
  limitChars: number;
}

export const TABLE_COLUMNS = [
  'line',
  'id',
  'error',
  'model',
  'sample',
  'latency',
  'promptTokens',
  'completionTokens',
  'attempts',
  'prompt',
  'response',
  'errorMessage',
  'finishReason',
  'startedMs',
  'cached',
  'output',
  'errorStatus',
] as const;
