/** A chat message as sent to `/chat/completions`. Content is usually a string; multimodal parts pass through. */
export interface ChatMessage {
  role: string;
  content: unknown;
  [key: string]: unknown;
}

/** Per-request parameters a row may override. */
export interface RequestParams {
  model?: string;
  temperature?: number;
  max_tokens?: number;
}

/** Where the elements of a `.json` array begin in its file: `lineOf(position)`, a 1-based line. */
export interface ElementLineFinder {
  lineOf(position: number): number;
}

/** Why an input record could not become a request. The record still yields a result row. */
export interface RecordProblem {
  message: string;
  /** The field (column, JSON key, template placeholder) at fault, when there is one. */
  field?: string;
}

/** One unit of work read from the input: everything needed to send it and to report it. */
export interface PromptRecord {
  /** Stable across runs: the id field, or for rows without one, `<line>-<content hash>`. */
  id: string;
  /** Set when `id` came from the input: only such ids can repeat. */
  idGiven?: true;
  /** 1-based line in the source where the record starts; a `.json` element's position in its array. */
  line: number;
  /** File path, or `<stdin>`. */
  source: string;
  /** A `.json` input's: the file line each element begins on, which its messages name (see placeOf). */
  elementLines?: ElementLineFinder;
  /** The rendered user prompt (what the result row shows). */
  prompt: string;
  /** The full message list to send, system message included. */
  messages: ChatMessage[];
  /** Row-level overrides of the run's model, temperature and max_tokens. */
  params: RequestParams;
  /** Extra request-body fields from an OpenAI Batch API line (`body`), minus messages/model/stream. */
  extraBody?: Record<string, unknown>;
  /**
   * The row's own fields (CSV cells, JSON keys), kept only for --keep-fields; a JSON number a double
   * cannot hold, or a minus zero, is kept as written, as in {@link ResultRow.output}.
   */
  fields?: Record<string, unknown>;
  /** Which of `--repeat N` answers this is (0 without it); part of the cache key. */
  sample?: number;
  /** A matrix cell of a record that names its own model (see ownModelAlias): true. */
  ownModel?: true;
  /** Set when the record is malformed; it is reported as an `input` error row and never sent. */
  problem?: RecordProblem;
  /**
   * Answers it already had elsewhere (a Batch API line whose answer failed validation): `messages`
   * is then the re-ask conversation, and the row counts those attempts, re-asks and tokens too.
   */
  earlier?: { attempts: number; reasks: number; usage: Usage | null };
}

/**
 * Stable error kinds that end up in result rows.
 * - `timeout`: the attempt's deadline or idle timeout passed.
 * - `rate_limit`: HTTP 429 (not quota) after the last retry.
 * - `quota`: 429 `insufficient_quota`, 402 (out of credits), a LiteLLM proxy's `budget_exceeded`; the run stops.
 * - `http`: any other HTTP error status.
 * - `connection`: reset, refused, DNS, or a stream cut before it finished.
 * - `bad_response`: a body that could not be parsed or had no answer.
 * - `auth`: 401/403; the run stops. A 403 for one model or one flagged input is `http` (see classifyError).
 * - `input`: the input record was malformed; nothing was sent.
 * - `aborted`: the run was interrupted while this prompt was in flight.
 * - `truncated`: the answer hit the token limit (finish_reason `length`, or `model_length`); only with --fail-truncated.
 * - `invalid_output`: with a schema or --json, no answer parsed and validated (after the re-asks).
 */
export type ErrorType =
  | 'timeout'
  | 'rate_limit'
  | 'quota'
  | 'http'
  | 'connection'
  | 'bad_response'
  | 'auth'
  | 'input'
  | 'aborted'
  | 'truncated'
  | 'invalid_output';

export interface RowError {
  type: ErrorType;
  message: string;
  status?: number;
  code?: string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  /** Of `prompt_tokens`, those the provider served from its prompt cache (billed lower); rows keep it when reported. */
  cached_tokens?: number;
}

/** A function call the model asked for (`tools`), as OpenAI's `message.tool_calls` holds it. */
export interface ToolCall {
  id: string;
  type: string;
  function: { name: string; arguments: string };
}

/**
 * A choice's `logprobs` as the server sent it (`{content: […], refusal: …}`); a streamed answer's
 * arrays are the chunks' arrays joined.
 */
export type Logprobs = Record<string, unknown>;

/** One line of output: a success and a failure have the same shape. */
export interface ResultRow {
  id: string;
  line: number;
  prompt: string;
  response: string | null;
  error: RowError | null;
  attempts: number;
  latency_ms: number | null;
  /**
   * When the row's last attempt was sent and when it ended (ISO 8601, UTC, milliseconds); null for a
   * record that was never sent. Absent in older files (a CSV in the legacy layout has no such columns).
   */
  started_at?: string | null;
  finished_at?: string | null;
  model: string | null;
  finish_reason: string | null;
  usage: Usage | null;
  /** The function calls of an answer to a request with `tools`; absent when it made none. */
  tool_calls?: ToolCall[];
  /** The answer's token log probabilities, when the request asked for `logprobs`; absent otherwise. */
  logprobs?: Logprobs;
  /** A reasoning model's thinking, when the server sent it beside the answer; absent otherwise (JSONL only). */
  reasoning?: string;
  /**
   * With a schema or --json: the parsed answer (null on a failed row); absent otherwise. A number a
   * double cannot hold exactly (an ID above 2^53), or a minus zero, is kept as written: a
   * `JSON.rawJSON` value on Node >= 22 (`.rawJSON` is the digits), a lossless-json `LosslessNumber`
   * on Node 20 (`.toString()`).
   */
  output?: unknown;
  /** Input fields carried over by --keep-fields (absent without it); numbers kept as written as in `output`. */
  input?: Record<string, unknown>;
  /** Set on rows collected from an OpenAI Batch API batch (`--batch-api`). */
  batch_id?: string;
  /** Runs with several models or --repeat: the model asked for (`model` is the one that answered). */
  requested_model?: string;
  /** Runs with several models or --repeat: which answer of (id, requested_model) this is, from 0. */
  sample?: number;
  /** Present (true) on an answer taken from the response cache: no request, no cost. */
  cached?: true;
}

/** Response headers as the provider hands them over (a fetch `Headers` fits); read by the rate limiter. */
export interface HeaderSource {
  get(name: string): string | null;
  /**
   * Whether any header's name starts with `prefix` (lower case), where a source can tell without
   * making strings: the rate limiter then skips the six lookups of `x-ratelimit-*` a server that
   * sends none (vLLM, Ollama) answers no to, on every response (issue 16).
   */
  hasPrefix?(prefix: string): boolean;
}

/**
 * A refusal (OpenAI's `refusal`, content empty) is no answer: a failed row that keeps its text in
 * `response`, with the message a structured run's refusal has (src/structured/judge-answer.ts).
 */
export function refusedError(refusal: string): RowError {
  return { type: 'invalid_output', message: `the model refused to answer: ${refusal}` };
}

const CUT_OFF_AT = 'the answer was cut off at ';

/**
 * --fail-truncated's error: the answer stopped at the token limit (`maxTokens` when the request set
 * one), or at the model's context length (Mistral's finish_reason `model_length`).
 */
export function truncatedError(maxTokens?: number, finishReason = 'length'): RowError {
  if (finishReason === 'model_length') return { type: 'truncated', message: `${CUT_OFF_AT}the model's context length (finish_reason "model_length")` };
  const cap = maxTokens ? ` of ${maxTokens}` : '';
  return { type: 'truncated', message: `${CUT_OFF_AT}the token limit${cap} (finish_reason "length")` };
}

/**
 * A `truncated` row whose answer was whole otherwise (it validated): its message is
 * {@link truncatedError}'s. One that also failed its schema says what failed instead.
 */
export const cutOffOnly = (error: RowError): boolean => error.type === 'truncated' && error.message.startsWith(CUT_OFF_AT);
