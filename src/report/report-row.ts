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
  model: string | null;
  finishReason: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  sample: number | null;
  cached: boolean;
  /** Structured output: an object's top-level fields (or a CSV's extra columns). */
  output: Record<string, unknown> | null;
}
