/**
 * A result row as the report reads it: the fields every row has, plus what newer runs add (`sample`,
 * `cached`, structured `output`), all optional so that old files and other tools' files still report.
 */
export interface ReportRow {
  id: string;
  line: number;
  prompt: string;
  response: string | null;
  errorType: string | null;
  errorMessage: string | null;
  errorStatus: number | null;
  /** The error's code (`context_length_exceeded`…), where the file has one: whether a resume asks again. */
  errorCode?: string | null;
  attempts: number;
  latencyMs: number | null;
  /** Epoch milliseconds of the last attempt's start and end; null when the file has no timestamps. */
  startedMs: number | null;
  finishedMs: number | null;
  /** The model asked for (`requested_model`), else the one that answered: rows are grouped by it. */
  model: string | null;
  /** `requested_model` as the row has it (runs with several models or --repeat); absent or null otherwise. */
  requestedModel?: string | null;
  /** `model` as the row has it: the name the server reported (an Azure deployment's model, a snapshot). */
  servedModel?: string | null;
  finishReason: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  /** Prompt tokens served from the provider's prompt cache (`usage.cached_tokens`), billed at the cached price. */
  cachedTokens?: number | null;
  /** The file cannot say what the prompt cache served (a CSV without a `cached_tokens` column): input is priced in full. */
  cachedTokensUnknown?: boolean;
  /** The Batch API batch that answered the row: billed at the Batch price, timed by the batch. */
  batchId?: string | null;
  sample: number | null;
  cached: boolean;
  /** Structured output: an object's top-level fields (or a CSV's extra columns). */
  output: Record<string, unknown> | null;
  /**
   * Set when the row's texts were left out to save memory (see `rowSlimmer`): their full length, and
   * the row's place in the file, by which a second read fetches them for the rows the table shows.
   */
  slim?: { chars: number; ordinal: number };
}

/** Longest error message kept in a slim row: enough to group errors and show an example. */
const SLIM_MESSAGE = 2000;

/** Distinct names a slimmer shares at most: past that (a batch id a row, say) each row keeps its own. */
const SHARED_NAMES = 10_000;

/**
 * Makes slim rows: each row without its prompt and answer (and with a shortened error message),
 * since every figure needs the numbers, only the table needs the texts, and only for the rows it
 * shows. A slim row is a fresh object of one fixed shape, not a spread of the parsed row: under
 * Node 20 a spread copy took ~1,000 bytes a row, more than the parsed row it replaced, and held a
 * 1M-row report at 2.1 GB. Its names (model, finish reason, error type, batch) are shared between
 * rows, not one copy each: JSON.parse makes a string of every value longer than a few characters.
 */
export function rowSlimmer(): (row: ReportRow, ordinal: number) => ReportRow {
  const names = new Map<string, string>();
  const shared = <T extends string | null | undefined>(name: T): T => {
    if (typeof name !== 'string') return name;
    const known = names.get(name);
    if (known !== undefined) return known as T;
    if (names.size < SHARED_NAMES) names.set(name, name);
    return name;
  };
  return (row, ordinal) => ({
    id: row.id,
    line: row.line,
    prompt: '',
    response: row.response === null ? null : '',
    errorType: shared(row.errorType),
    errorMessage: row.errorMessage === null ? null : row.errorMessage.slice(0, SLIM_MESSAGE),
    errorStatus: row.errorStatus,
    errorCode: shared(row.errorCode),
    attempts: row.attempts,
    latencyMs: row.latencyMs,
    startedMs: row.startedMs,
    finishedMs: row.finishedMs,
    model: shared(row.model),
    requestedModel: shared(row.requestedModel),
    servedModel: shared(row.servedModel),
    finishReason: shared(row.finishReason),
    promptTokens: row.promptTokens,
    completionTokens: row.completionTokens,
    cachedTokens: row.cachedTokens,
    cachedTokensUnknown: row.cachedTokensUnknown,
    batchId: shared(row.batchId),
    sample: row.sample,
    cached: row.cached,
    output: row.output,
    slim: { chars: textChars(row), ordinal },
  });
}

/** Characters of prompt, answer and error text (the table's size). */
export function textChars(r: ReportRow): number {
  return r.slim ? r.slim.chars : r.prompt.length + (r.response?.length ?? 0) + (r.errorMessage?.length ?? 0);
}
