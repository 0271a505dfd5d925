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
   * Set when the row's texts were left out to save memory (see `slimRow`): their full length, and
   * the row's place in the file, by which a second read fetches them for the rows the table shows.
   */
  slim?: { chars: number; ordinal: number };
}

/** Longest error message kept in a slim row: enough to group errors and show an example. */
const SLIM_MESSAGE = 2000;

/**
 * The row without its prompt and answer (and with a shortened error message): every figure needs
 * the numbers, only the table needs the texts, and only for the rows it shows.
 */
export function slimRow(row: ReportRow, ordinal: number): ReportRow {
  const chars = row.prompt.length + (row.response?.length ?? 0) + (row.errorMessage?.length ?? 0);
  return {
    ...row,
    prompt: '',
    response: row.response === null ? null : '',
    errorMessage: row.errorMessage === null ? null : row.errorMessage.slice(0, SLIM_MESSAGE),
    slim: { chars, ordinal },
  };
}

/** Characters of prompt, answer and error text (the table's size). */
export function textChars(r: ReportRow): number {
  return r.slim ? r.slim.chars : r.prompt.length + (r.response?.length ?? 0) + (r.errorMessage?.length ?? 0);
}
