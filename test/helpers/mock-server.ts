/**
 * An OpenAI-compatible chat completions server for integration tests and benchmarks.
 *
 * It runs inside the test (or bench) process while the CLI under test runs as a child process,
 * so it is built on plain `node:http`, keeps per-request work small (benchmarks push 100k requests
 * through it), and tracks every timer and socket so `close()` leaves nothing behind.
 */
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse, OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { encode } from 'gpt-tokenizer';
import { countBySlices } from '../../src/schedule/token-slices.js';
import { rejectResponseFormat, schemaAnswer, type SchemaAnswerOptions } from './schema-answers.js';
import { createBatchRoutes, type MockBatchOptions, type MockBatchState } from './mock-batches.js';
import { seededRandom } from './seeded-random.js';

export type FaultKind =
  | '500'
  | '502'
  | '503'
  /** llama.cpp's server while its model loads: 503 `Loading model` (its `code` a number). */
  | 'loading'
  /** A 400 whose message quotes the whole request body, as vLLM's and LiteLLM's validation errors do. */
  | 'quoting400'
  | '400'
  /** A 422 in the words of the 400 (FastAPI-based servers answer 422 where OpenAI answers 400). */
  | '422'
  | '401'
  /** A 401 echoing the key escaped: `/` as `\/` (PHP's json_encode), `-` as `\u002d`, and percent-encoded in a URL. */
  | 'escaped-key'
  /**
   * A 400 in vLLM's shape whose message ends with the key after 290 characters, and an OpenAI-shaped
   * one (`key-at-cut-500`) after 490: where llm-batch cuts a server's words (300 and 500 characters).
   */
  | 'key-at-cut'
  | 'key-at-cut-500'
  | '403'
  /** A 403 for the input alone: OpenRouter's moderation flagged it (its `metadata` says so). */
  | 'flagged'
  /** OpenRouter's 400 for a provider's failure: "Provider returned error", the cause in `metadata.raw` only. */
  | 'upstream400'
  /** OpenRouter's 429 for one provider's limit: Groq's words ("tokens per minute (TPM): Limit 600") in `metadata.raw` only. */
  | 'upstream429'
  /** A 403 for the model alone: OpenAI's `model_not_found` for a project without access to it. */
  | 'no-access'
  /** A plain 403, as a server that refuses a key with 403 rather than 401 answers every request. */
  | 'forbidden'
  | '404'
  /** A proxy's refusal of credentials (Proxy-Authenticate), as one in front of the API gives. */
  | '407'
  | '408'
  | '409'
  /** Groq's flex tier at capacity (`capacity_exceeded`): its docs say to retry with jittered backoff. */
  | '498'
  | '429'
  | 'quota'
  /** A LiteLLM proxy's key over its budget: 429 `budget_exceeded` (`budget400`: 400, as older proxies send it). */
  | 'budget'
  | 'budget400'
  | 'reset'
  | 'cut'
  | 'stall'
  | 'hang'
  | 'garbage'
  /** 200 with a web page (text/html), as a --base-url without /v1 or a login portal gives. */
  | 'html'
  /** 200 with an empty body. */
  | 'empty'
  /** A whole JSON answer even when `stream: true` was asked (servers that ignore streaming). */
  | 'nostream'
  /** The normal answer, but finish_reason "length" (cut off at the token limit). */
  | 'length'
  /** The normal answer, but finish_reason "content_filter" (Azure's output filter stopped it). */
  | 'filtered'
  /** The normal answer, but Mistral's finish_reason "model_length" (the model's context filled). */
  | 'modellength'
  /** The normal answer, but vLLM's finish_reason "abort" (its engine aborted the request), then `[DONE]`. */
  | 'abort'
  /** The normal answer, but DeepSeek's finish_reason "insufficient_system_resource" (broken off for want of resources). */
  | 'noresource'
  /** Streamed: the answer and its finish_reason, then the connection closes before usage and `[DONE]`. */
  | 'finclose'
  /** Streamed: the answer and its finish_reason, then nothing (no usage, no `[DONE]`) until stallMs. */
  | 'finstall'
  /** Streamed: the answer, its finish_reason and usage, then nothing (no `[DONE]`) until stallMs. */
  | 'usagestall'
  /** Streamed: as usagestall, but a chunk of no choice every 200 ms after the usage (heartbeats) until stallMs. */
  | 'usagedrip'
  /**
   * Streamed: the answer, its finish_reason and `[DONE]`, without usage (a server that does not send
   * it), then the response is left open until stallMs.
   */
  | 'donestall'
  /** Streamed: the answer with no finish_reason, then `[DONE]`, then the connection is reset. */
  | 'donecut'
  /**
   * OpenRouter's failure inside the choice: part of the answer, then finish_reason "error" with
   * `choices[0].error` (a whole body with them when not streamed), then usage and `[DONE]`.
   */
  | 'choiceerror'
  /** Streamed: the role and one piece, then only SSE comments (`: ping`) every PING_MS until stallMs. */
  | 'pingstall'
  /** 200 labelled text/event-stream with an empty body, streamed or not. */
  | 'emptystream'
  /** 200 labelled text/event-stream whose body is a plain JSON error (no `data:`), streamed or not. */
  | 'errorstream'
  /**
   * vLLM's failure mid-generation: part of the answer, then an error event (`data: {"error": …}`),
   * then `[DONE]`, as its serving_chat.py sends them; not streamed, a 500 with the same error.
   */
  | 'errorevent'
  /** 200 whose body is `{"error": "<words>"}`, streamed or not: LM Studio's answer on a path it does not serve. */
  | 'errorstring'
  /**
   * llama.cpp's server refusing a prompt longer than its context: streamed, its error as an SSE
   * field of its own (`error: {"code": 400, …}`, not `data:`); not streamed, a 400 with the same error.
   */
  | 'errorfield'
  /**
   * TGI's failure mid-generation: part of the answer, then an event whose `error` is a string
   * (`{"error": "Request failed during generation: …", "error_type": "generation"}`); not streamed, a 500 with it.
   */
  | 'texterror'
  /**
   * Ollama's OpenAI-compatible refusal of a prompt past the model's context: not streamed, a 500 whose
   * error has no code (`{"error": {"message": "the input length exceeds the context length", "type":
   * "api_error", "code": null}}`); streamed, that error as the stream's one event, with no status.
   */
  | 'ollamacontext'
  /** The answer streamed even when `"stream": false` was asked (servers that always stream). */
  | 'alwaysstream'
  /**
   * OpenRouter's error once a model was at work: a 200 whose body (not streamed), or whose one event
   * after a `: OPENROUTER PROCESSING` comment (streamed), is `{"error": {"code": 429, "message":
   * "Rate limit exceeded: upstream", …}}`; `router402` the same with a 402 for credits run out.
   */
  | 'routererror'
  | 'router402'
  /** The answer, streamed or not, gzip-compressed though no Accept-Encoding asked for it (a gateway's doing). */
  | 'gzip'
  /** `content-encoding: zstd` on bytes that are not the answer's: a coding llm-batch does not decode. */
  | 'zstd';

export interface RecordedRequest {
  /** performance.now() at arrival (ms); the same instant the rate window uses. */
  t: number;
  /** Content of the LAST user message ('' if none). */
  prompt: string;
  /** 1-based count of requests seen so far for this prompt text. */
  attempt: number;
  /** Parsed JSON body (undefined if unparsable). */
  body: any;
  /** Status sent (0 for reset/hang, and while the response is still pending). */
  status: number;
  fault?: FaultKind;
  /** Prompt tokens counted for this request. */
  tokens: number;
  authorization?: string;
  /** `OpenAI-Organization` and `OpenAI-Project`, when sent. */
  organization?: string;
  project?: string;
}

export interface RateLimitOptions {
  /** Accepted requests allowed in any sliding window of windowMs. */
  requests?: number;
  /** Prompt tokens + max_tokens (or 16 if absent) allowed in any sliding window. */
  tokens?: number;
  /** Default 1000. */
  windowMs?: number;
  /** Send x-ratelimit-* headers (default true). */
  headers?: boolean;
  /** Which retry-after headers to send on 429 (default 'both'). */
  retryAfter?: 'seconds' | 'ms' | 'both' | 'none';
  /** A 429 of the request limit states it in OpenAI's words ("on requests per min (RPM): Limit 180, …"). */
  statesLimit?: boolean;
}

export interface MockServerOptions {
  /** Delay before response headers (default 0). */
  latencyMs?: number;
  /**
   * Spread of `latencyMs`, as a fraction: each request waits uniformly within latencyMs × (1 ± it),
   * drawn from a fixed seed so runs repeat. A real API's answers take each their own time; at one
   * latency for all, a client that sends in waves gets its answers back in waves (bench). @default 0
   */
  latencyJitter?: number;
  /**
   * Answers (after latencyMs) wait for this promise: a test lets them go once it saw what it waits
   * for (a bar drawn while requests are in flight), however slow the machine. See `holdAnswers`.
   * A function holds only the requests it returns a promise for (one slow prompt).
   */
  hold?: Promise<unknown> | ((req: { prompt: string; attempt: number; index: number }) => Promise<unknown> | undefined);
  /** Delay between SSE chunks (default 0: send all chunks in one tick). */
  chunkDelayMs?: number;
  /** Most content events per streamed answer (default 8); Infinity sends one per word, as the API does per token. */
  maxPieces?: number;
  /**
   * Pieces of this many characters instead of words, for streamed events and logprobs tokens alike:
   * a word (an echoed key) spread over several (`sk-`, `tes`, `t-D`…).
   */
  pieceChars?: number;
  /** The model name answers (live, and batch lines) carry, instead of the one asked for. */
  servedModel?: string;
  rateLimit?: RateLimitOptions;
  /** If set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
  /** Default: p => `ECHO ${p}`. */
  reply?: (prompt: string) => string;
  /** index = global 0-based request index; model, the request's. */
  fault?: (req: { prompt: string; attempt: number; index: number; model: string }) => FaultKind | undefined;
  /** How long 'stall' and 'hang' wait before giving up on their own (default 60000). */
  stallMs?: number;
  /** Serve HTTPS with this key and certificate (test/helpers/tls/); fixed at start. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Structured requests (see schema-answers.ts): faults for answers, or a 400 for response_format. */
  schema?: SchemaAnswerOptions;
  /** /v1/files and /v1/batches behaviour (test/helpers/mock-batches.ts). */
  batches?: MockBatchOptions;
  /**
   * Tool calls as some OpenAI-compatible servers send them: `object-arguments`, `arguments` as a
   * JSON object (whole, streamed in one piece per call, and in batch lines); `no-index`, streamed
   * pieces without `index`, the argument fragments without id or name. Default: as OpenAI does.
   */
  toolCallShape?: 'object-arguments' | 'no-index';
  /**
   * A refusal of any request with `stream_options`: a 400 in Azure's words (api-versions before
   * 2024-09-01-preview), or with `'mistral'` Mistral's 422 (FastAPI's list, nested in `message`).
   */
  refuseStreamOptions?: boolean | 'mistral';
  /** OpenAI's 400 for `max_tokens` to a reasoning model ("Use 'max_completion_tokens' instead"). */
  refuseMaxTokens?: boolean;
  /** The `code` of the `choiceerror` fault's error (default 502, as OpenRouter gives an upstream's failure). */
  choiceErrorCode?: unknown;
}

export interface MockServer {
  /** Base URL including /v1, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  port: number;
  /** Every chat completion request in arrival order. */
  requests: RecordedRequest[];
  /** Requests received for that exact prompt text. */
  countFor(prompt: string): number;
  /** Mutable; changes apply to later requests. */
  options: MockServerOptions;
  /** Files and batches held by the Batch API mock, and its request counters. */
  batchState: MockBatchState;
  /** Clear requests, per-prompt counters and rate windows. */
  reset(): void;
  /** Destroys open sockets, clears timers, resolves when closed. */
  close(): Promise<void>;
}

/**
 * The largest number of requests (by t) in any window of windowMs, half-open (t-w, t].
 * Windows ending at a request time are enough: sliding a window's end forward to the next
 * request never loses one.
 */
export function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    const end = sorted[hi]!;
    while (lo <= hi && sorted[lo]! <= end - windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Tokens and replies

/** gpt-tokenizer throws on special tokens like `<|endoftext|>` by default; a mock must not. */
const ENCODE_OPTIONS = { disallowedSpecial: new Set<string>() };

/** In slices as the CLI counts (BPE on a 1 MB unbroken line whole takes hours): exact for ordinary text. */
function countTokens(text: string): number {
  return countBySlices(text, (slice) => encode(slice, ENCODE_OPTIONS).length);
}

/** Text of a message's content: a string, or the text parts of a multimodal array. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    let text = '';
    for (const part of content) {
      if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') {
        text += (part as { text: string }).text;
      }
    }
    return text;
  }
  return '';
}

/** OpenAI's rough chat accounting: content tokens, plus 3 per message, plus 3 for the reply primer. */
function promptTokens(messages: unknown[]): number {
  let total = 3;
  for (const m of messages) {
    total += 3;
    if (m && typeof m === 'object') total += countTokens(contentText((m as { content?: unknown }).content));
  }
  return total;
}

function lastUserPrompt(messages: unknown[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown } | null | undefined;
    if (m && typeof m === 'object' && m.role === 'user') return contentText(m.content);
  }
  return '';
}

const MAX_PIECES = 8;

/** Split a reply into at most `max` word-ish pieces whose concatenation is exactly the reply. */
function splitReply(reply: string, max = MAX_PIECES, chars?: number): string[] {
  if (chars !== undefined) return reply.match(new RegExp(`[^]{1,${chars}}`, 'g')) ?? [];
  const words = reply.match(/\s*\S+|\s+$/g) ?? [];
  if (words.length <= max) return words;
  const per = Math.ceil(words.length / max);
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += per) pieces.push(words.slice(i, i + per).join(''));
  return pieces;
}

// ---------------------------------------------------------------------------------------------
// Prompt directives: [[fault:KIND]], [[fault:KIND*N]], [[latency:MS]]

/**
 * Every fault a prompt directive can ask for, as keys so that `satisfies` makes tsc refuse a
 * FaultKind left out (or one that is not a FaultKind): a new kind cannot be forgotten here.
 */
const FAULT_KIND_KEYS = {
  '500': true,
  '502': true,
  '503': true,
  loading: true,
  quoting400: true,
  '400': true,
  '422': true,
  '401': true,
  '403': true,
  flagged: true,
  'no-access': true,
  upstream400: true,
  upstream429: true,
  forbidden: true,
  '404': true,
  '407': true,
  '408': true,
  '409': true,
  '498': true,
  '429': true,
  quota: true,
  budget: true,
  budget400: true,
  reset: true,
  cut: true,
  stall: true,
  hang: true,
  garbage: true,
  html: true,
  empty: true,
  nostream: true,
  length: true,
  filtered: true,
  modellength: true,
  abort: true,
  noresource: true,
  finclose: true,
  finstall: true,
  usagestall: true,
  usagedrip: true,
  donestall: true,
  donecut: true,
  choiceerror: true,
  pingstall: true,
  emptystream: true,
  errorstream: true,
  errorevent: true,
  errorstring: true,
  errorfield: true,
  texterror: true,
  ollamacontext: true,
  alwaysstream: true,
  routererror: true,
  router402: true,
  gzip: true,
  zstd: true,
  'escaped-key': true,
  'key-at-cut': true,
  'key-at-cut-500': true,
} as const satisfies Record<FaultKind, true>;
export const FAULT_KIND_LIST: readonly FaultKind[] = Object.keys(FAULT_KIND_KEYS) as FaultKind[];
const FAULT_KINDS: ReadonlySet<string> = new Set(FAULT_KIND_LIST);

interface Directives {
  faults: { kind: FaultKind; times: number }[];
  latencyMs?: number;
}

const DIRECTIVE_RE = /\[\[(fault|latency):([^\]]*)\]\]/g;

function parseDirectives(prompt: string): Directives | undefined {
  // Cheap guard: the vast majority of prompts carry no directive.
  if (!prompt.includes('[[')) return undefined;
  let found: Directives | undefined;
  for (const m of prompt.matchAll(DIRECTIVE_RE)) {
    found ??= { faults: [] };
    const arg = (m[2] ?? '').trim();
    if (m[1] === 'latency') {
      const ms = Number(arg);
      if (Number.isFinite(ms) && ms >= 0) found.latencyMs = ms;
      continue;
    }
    const star = arg.indexOf('*');
    const kind = star < 0 ? arg : arg.slice(0, star);
    const times = star < 0 ? 1 : Number(arg.slice(star + 1));
    if (FAULT_KINDS.has(kind) && Number.isFinite(times)) found.faults.push({ kind: kind as FaultKind, times });
  }
  return found;
}

/** The first directive fault whose attempt budget covers this attempt (budgets are independent). */
function directiveFault(d: Directives | undefined, attempt: number): FaultKind | undefined {
  if (!d) return undefined;
  for (const f of d.faults) if (attempt <= f.times) return f.kind;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Errors

function errorBody(message: string, type: string, code: string | null): string {
  return JSON.stringify({ error: { message, type, param: null, code } });
}

const STATUS_FAULTS: Record<string, { status: number; message: string; type: string; code: string }> = {
  '400': { status: 400, message: 'Invalid request (mock fault).', type: 'invalid_request_error', code: 'invalid_request' },
  '422': { status: 422, message: 'Invalid request (mock fault).', type: 'invalid_request_error', code: 'invalid_request' },
  '404': { status: 404, message: 'The model does not exist or you do not have access to it.', type: 'invalid_request_error', code: 'model_not_found' },
  '408': { status: 408, message: 'Request timed out.', type: 'timeout', code: 'request_timeout' },
  '409': { status: 409, message: 'Conflict (mock fault).', type: 'invalid_request_error', code: 'conflict' },
  '498': {
    status: 498,
    message: 'Flex tier capacity exceeded. This is a known issue and we are working on it. Please try again later.',
    type: 'capacity_exceeded',
    code: 'capacity_exceeded',
  },
  '500': { status: 500, message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: 'internal_error' },
  '502': { status: 502, message: 'Bad gateway.', type: 'server_error', code: 'bad_gateway' },
  '503': { status: 503, message: 'The server is overloaded or not ready yet.', type: 'server_error', code: 'service_unavailable' },
};

/**
 * OpenAI-style duration ("250ms", "1s", "1.5s", "1m30s", "2h0m0s"), as sent in x-ratelimit-reset-*.
 * Under a second it uses ms so clients that only parse seconds still see a sub-second figure.
 */
function formatDuration(ms: number): string {
  ms = Math.max(0, Math.ceil(ms));
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000; // up to 3 decimals, trailing zeros dropped by Number→string
  return (h ? `${h}h` : '') + (h || m ? `${m}m` : '') + `${s}s`;
}

// ---------------------------------------------------------------------------------------------
// Sliding rate window

/**
 * Time until an entry made at `t` leaves the window. Written as w - (now - t) rather than
 * t + w - now so an entry made right now reports exactly w (the latter drifts by float error,
 * and the ceil() applied later turns "1000.0000001" into "1.001s").
 */
function expiresIn(t: number, now: number, windowMs: number): number {
  return windowMs - (now - t);
}

/**
 * Accepted requests inside the current window, oldest first. Arrays with a head index keep
 * eviction O(1) amortised; the dead prefix is sliced away once it dominates.
 */
class RateWindow {
  private times: number[] = [];
  private costs: number[] = [];
  private head = 0;
  /** Token cost of the live entries. */
  tokenSum = 0;

  get count(): number {
    return this.times.length - this.head;
  }

  /** Drop entries that left the half-open window (now - windowMs, now]. */
  evict(now: number, windowMs: number): void {
    const cutoff = now - windowMs;
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) {
      this.tokenSum -= this.costs[this.head]!;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.costs = this.costs.slice(this.head);
      this.head = 0;
    }
    if (this.count === 0) this.tokenSum = 0; // shed float drift
  }

  add(now: number, cost: number): void {
    this.times.push(now);
    this.costs.push(cost);
    this.tokenSum += cost;
  }

  /** Time until the oldest live entry leaves the window (0 when empty). */
  resetIn(now: number, windowMs: number): number {
    const oldest = this.times[this.head];
    return oldest === undefined ? 0 : expiresIn(oldest, now, windowMs);
  }

  /** Time until `n` oldest entries have left the window; windowMs if there are not that many. */
  waitForEntries(n: number, now: number, windowMs: number): number {
    if (n <= 0) return 0;
    const t = this.times[this.head + n - 1];
    return t === undefined ? windowMs : expiresIn(t, now, windowMs);
  }

  /** Time until enough token cost has left the window for `cost` more to fit under `limit`. */
  waitForTokens(cost: number, limit: number, now: number, windowMs: number): number {
    let sum = this.tokenSum;
    for (let i = this.head; i < this.times.length; i++) {
      if (sum + cost <= limit) return i === this.head ? 0 : expiresIn(this.times[i - 1]!, now, windowMs);
      sum -= this.costs[i]!;
    }
    // A request costing more than `limit` never fits; answer "a whole window" and keep rejecting it.
    return sum + cost <= limit ? expiresIn(this.times[this.times.length - 1]!, now, windowMs) : windowMs;
  }

  clear(): void {
    this.times = [];
    this.costs = [];
    this.head = 0;
    this.tokenSum = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Server

const DEFAULT_STALL_MS = 60_000;
/** How often 'pingstall' sends its comment. */
const PING_MS = 200;

/** Outcome of the rate limit check: headers to send and, if rejected, how long to wait. */
interface RateDecision {
  headers: OutgoingHttpHeaders;
  rejectedWaitMs?: number;
  /** Rejected as more tokens than the whole window allows: the limit a minute, for OpenAI's "Request too large". */
  tooLargeFor?: number;
}

// Long by choice: one closure over the server's state (options, recorded requests, open sockets,
// rate windows) that every handler inside reads and the returned controls change.
export async function startMockServer(initial: MockServerOptions = {}): Promise<MockServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const counts = new Map<string, number>();
  const rateWindow = new RateWindow();
  const requests: RecordedRequest[] = [];
  let index = 0; // global request index handed to options.fault; reset() restarts it
  let idSeq = 0; // response ids stay unique across reset()
  let closed = false;
  // A fixed sequence of draws, so a jittered run repeats.
  const draw = seededRandom(0x9e3779b9);
  const jittered = (ms: number) => {
    const spread = mock.options.latencyJitter ?? 0;
    return spread > 0 && ms > 0 ? ms * (1 + spread * (2 * draw() - 1)) : ms;
  };
  const batchRoutes = createBatchRoutes(
    () => mock.options.batches ?? {},
    (body, approximate) => {
      const messages = Array.isArray(body?.messages) ? body.messages : [];
      const prompt = lastUserPrompt(messages);
      // A structured line is answered as a live structured request is (schema-answers.ts).
      const structured = schemaAnswer(body, mock.options.schema);
      if (structured)
        return {
          content: structured.content,
          promptTokens: promptTokens(messages),
          completionTokens: countTokens(structured.content),
          finishReason: structured.finishReason,
        };
      const toolCalls = shapedCalls(toolCallsFor({ body, prompt, seq: 0 }));
      if (toolCalls) return { content: '', toolCalls, promptTokens: promptTokens(messages), completionTokens: 10 * toolCalls.length };
      const content = (mock.options.reply ?? defaultReply)(prompt);
      if (approximate) return { content, promptTokens: Math.ceil(prompt.length / 4) + 7, completionTokens: Math.ceil(content.length / 4) };
      // A batch line is answered once: [[fault:length]] cuts it (and [[fault:modellength]], as
      // Mistral's context does), [[fault:filtered]] has the content filter stop it; other faults are live-only.
      const kinds = parseDirectives(prompt)?.faults.map((f) => f.kind) ?? [];
      const finishReason = (['length', 'modellength', 'filtered'] as const).find((k) => kinds.includes(k));
      const cut = finishReason ? { finishReason: { length: 'length', modellength: 'model_length', filtered: 'content_filter' }[finishReason] } : {};
      // As a live answer: its logprobs when asked for, the served model's name when one is set.
      const logprobs =
        body?.logprobs === true
          ? { logprobs: { content: splitReply(content, mock.options.maxPieces, mock.options.pieceChars).map(tokenLogprob), refusal: null } }
          : {};
      const model = mock.options.servedModel !== undefined ? { model: mock.options.servedModel } : {};
      return { content, promptTokens: promptTokens(messages), completionTokens: countTokens(content), ...cut, ...logprobs, ...model };
    },
  );

  /**
   * One pending timer per response; the response's 'close' (client went away, or done) clears it,
   * so aborted stalls/hangs/latencies never keep the event loop alive.
   */
  function scheduler(res: ServerResponse): (ms: number, fn: () => void) => void {
    let timer: NodeJS.Timeout | undefined;
    let hooked = false;
    const cancel = (): void => {
      if (timer) {
        clearTimeout(timer);
        timers.delete(timer);
        timer = undefined;
      }
    };
    return (ms, fn) => {
      if (closed) return;
      if (ms <= 0) return fn();
      if (!hooked) {
        hooked = true;
        res.once('close', cancel);
      }
      cancel();
      const t = setTimeout(() => {
        timers.delete(t);
        timer = undefined;
        if (!closed && !res.destroyed) fn();
      }, ms);
      timer = t;
      timers.add(t);
    };
  }

  function rateCheck(now: number, cost: number, accept: boolean): RateDecision | undefined {
    const rl = mock.options.rateLimit;
    if (!rl || (rl.requests === undefined && rl.tokens === undefined)) return undefined;
    const windowMs = rl.windowMs ?? 1000;
    rateWindow.evict(now, windowMs);

    let wait = 0;
    if (rl.requests !== undefined && rateWindow.count + 1 > rl.requests) {
      wait = Math.max(wait, rateWindow.waitForEntries(rateWindow.count + 1 - rl.requests, now, windowMs));
    }
    if (rl.tokens !== undefined && rateWindow.tokenSum + cost > rl.tokens) {
      wait = Math.max(wait, rateWindow.waitForTokens(cost, rl.tokens, now, windowMs));
    }
    // Live entries all expire strictly in the future, so any shortfall gives wait > 0.
    const rejected = wait > 0;
    if (!rejected && accept) rateWindow.add(now, cost);

    const headers: OutgoingHttpHeaders = {};
    if (rl.headers !== false) {
      const reset = formatDuration(rateWindow.resetIn(now, windowMs));
      if (rl.requests !== undefined) {
        headers['x-ratelimit-limit-requests'] = String(Math.round((rl.requests * 60_000) / windowMs));
        headers['x-ratelimit-remaining-requests'] = String(Math.max(0, rl.requests - rateWindow.count));
        headers['x-ratelimit-reset-requests'] = reset;
      }
      if (rl.tokens !== undefined) {
        headers['x-ratelimit-limit-tokens'] = String(Math.round((rl.tokens * 60_000) / windowMs));
        headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, Math.floor(rl.tokens - rateWindow.tokenSum)));
        headers['x-ratelimit-reset-tokens'] = reset;
      }
    }
    if (!rejected) return { headers };
    const tooLargeFor = rl.tokens !== undefined && cost > rl.tokens ? Math.round((rl.tokens * 60_000) / windowMs) : undefined;
    return { headers, rejectedWaitMs: Math.max(1, Math.ceil(wait)), tooLargeFor };
  }

  /** retry-after / retry-after-ms per `rateLimit.retryAfter` (default both). */
  function retryHeaders(headers: OutgoingHttpHeaders, waitMs: number): void {
    const mode = mock.options.rateLimit?.retryAfter ?? 'both';
    if (mode === 'seconds' || mode === 'both') headers['retry-after'] = String(Math.max(1, Math.ceil(waitMs / 1000)));
    if (mode === 'ms' || mode === 'both') headers['retry-after-ms'] = String(Math.ceil(waitMs));
  }

  function sendJson(res: ServerResponse, rec: RecordedRequest | undefined, status: number, body: string, headers: OutgoingHttpHeaders = {}): void {
    if (rec) rec.status = status;
    if (res.destroyed) return;
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(body);
    res.writeHead(status, headers);
    res.end(body);
  }

  function handleChat(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const now = performance.now();
    const opts = mock.options;
    const seq = ++idSeq;
    const base: OutgoingHttpHeaders = { 'x-request-id': `req_mock_${seq}` };

    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const messages: unknown[] | undefined = body && typeof body === 'object' && Array.isArray(body.messages) ? body.messages : undefined;
    const prompt = messages ? lastUserPrompt(messages) : '';
    const tokens = messages ? promptTokens(messages) : 0;
    const attempt = (counts.get(prompt) ?? 0) + 1;
    counts.set(prompt, attempt);
    const authorization = req.headers.authorization;
    const rec: RecordedRequest = { t: now, prompt, attempt, body, status: 0, tokens, authorization };
    const { 'openai-organization': organization, 'openai-project': project } = req.headers;
    if (typeof organization === 'string') rec.organization = organization;
    if (typeof project === 'string') rec.project = project;
    requests.push(rec);
    const reqIndex = index++;

    // The key check comes before everything else, like the real API.
    if (opts.apiKey !== undefined && authorization !== `Bearer ${opts.apiKey}`) {
      return sendJson(res, rec, 401, unauthorizedBody(authorization), base);
    }
    if (!messages) {
      const message =
        body === undefined
          ? "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)"
          : "Missing required parameter: 'messages'.";
      return sendJson(res, rec, 400, errorBody(message, 'invalid_request_error', body === undefined ? 'invalid_json' : 'missing_required_parameter'), base);
    }
    if (opts.refuseMaxTokens && body.max_tokens !== undefined) {
      const said = "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.";
      return sendJson(
        res,
        rec,
        400,
        JSON.stringify({ error: { message: said, type: 'invalid_request_error', param: 'max_tokens', code: 'unsupported_parameter' } }),
        base,
      );
    }
    if (opts.refuseStreamOptions === 'mistral' && body.stream_options !== undefined) {
      const detail = [{ type: 'extra_forbidden', loc: ['body', 'stream_options', 'include_usage'], msg: 'Extra inputs are not permitted', input: true }];
      return sendJson(res, rec, 422, JSON.stringify({ object: 'error', message: { detail }, type: 'invalid_request_error', param: null, code: null }), base);
    }
    if (opts.refuseStreamOptions && body.stream_options !== undefined) {
      return sendJson(res, rec, 400, errorBody('Unrecognized request argument supplied: stream_options', 'invalid_request_error', null), base);
    }

    const directives = parseDirectives(prompt);
    const latency = directives?.latencyMs ?? jittered(opts.latencyMs ?? 0);
    const later = scheduler(res);
    const ctx: Exchange = { res, rec, body, prompt, tokens, latency, later, seq, headers: base };

    let fault = directiveFault(directives, attempt);
    if (fault === undefined) {
      // Directive-faulted requests bypass the limiter; everything else is counted or rejected here.
      const maxTokens =
        typeof body.max_tokens === 'number' ? body.max_tokens : typeof body.max_completion_tokens === 'number' ? body.max_completion_tokens : 16;
      const decision = rateCheck(now, tokens + maxTokens, true);
      if (decision) Object.assign(base, decision.headers);
      if (decision?.rejectedWaitMs !== undefined) {
        retryHeaders(base, decision.rejectedWaitMs);
        // OpenAI's words for a request larger than the limit itself, which state the limit (a body
        // read even when no x-ratelimit-* header comes).
        const msg =
          decision.tooLargeFor !== undefined
            ? `Request too large for ${String(body.model)} in organization org-mock on tokens per min (TPM): Limit ${decision.tooLargeFor}, Requested ${tokens + maxTokens}. The input or output tokens must be reduced in order to run successfully.`
            : opts.rateLimit?.statesLimit && opts.rateLimit.requests !== undefined
              ? `Rate limit reached for ${String(body.model)} in organization org-mock on requests per min (RPM): Limit ${Math.round((opts.rateLimit.requests * 60_000) / (opts.rateLimit.windowMs ?? 1000))}, Used ${opts.rateLimit.requests}, Requested 1. Please try again in ${formatDuration(decision.rejectedWaitMs)}.`
              : `Rate limit reached for requests. Please try again in ${formatDuration(decision.rejectedWaitMs)}.`;
        return sendJson(res, rec, 429, errorBody(msg, decision.tooLargeFor !== undefined ? 'tokens' : 'requests', 'rate_limit_exceeded'), base);
      }
      fault = opts.fault?.({ prompt, attempt, index: reqIndex, model: String(body.model ?? '') });
    } else {
      const decision = rateCheck(now, 0, false);
      if (decision) Object.assign(base, decision.headers);
    }

    if (fault !== undefined) {
      rec.fault = fault;
      return applyFault(ctx, fault);
    }
    const refusal = rejectResponseFormat(body, opts.schema);
    if (refusal) return later(latency, () => sendJson(res, rec, 400, refusal, base));
    const hold = typeof opts.hold === 'function' ? opts.hold({ prompt, attempt, index: reqIndex }) : opts.hold;
    later(latency, hold !== undefined ? () => void hold.then(() => !res.destroyed && reply(ctx)) : () => reply(ctx));
  }

  function unauthorizedBody(authorization: string | undefined): string {
    if (!authorization) {
      return errorBody(
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        'invalid_request_error',
        'invalid_api_key',
      );
    }
    // Deliberately echo the full key: tests assert the client never prints it.
    const token = authorization.replace(/^Bearer\s+/i, '');
    return errorBody(
      `Incorrect API key provided: ${token}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      'invalid_request_error',
      'invalid_api_key',
    );
  }

  function replyText(ctx: Exchange): string {
    const structured = schemaAnswer(ctx.body, mock.options.schema);
    if (structured) {
      ctx.finish = structured.finishReason;
      return structured.content;
    }
    return (mock.options.reply ?? defaultReply)(ctx.prompt);
  }

  function completionJson(ctx: Exchange, content: string, finish = 'stop'): string {
    const completion = countTokens(content);
    return JSON.stringify({
      id: `chatcmpl-mock-${ctx.seq}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: mock.options.servedModel ?? ctx.body.model ?? 'mock-model',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content },
          ...(ctx.body.logprobs === true
            ? { logprobs: { content: splitReply(content, mock.options.maxPieces, mock.options.pieceChars).map(tokenLogprob), refusal: null } }
            : {}),
          finish_reason: ctx.finish ?? finish,
        },
      ],
      usage: { prompt_tokens: ctx.tokens, completion_tokens: completion, total_tokens: ctx.tokens + completion },
    });
  }

  /** SSE lines for a streamed reply, split so faults can send only a prefix. */
  function streamFrames(ctx: Exchange, content: string, finishReason = 'stop'): { role: string; pieces: string[]; finish: string; usage?: string } {
    const prefix =
      `data: {"id":"chatcmpl-mock-${ctx.seq}","object":"chat.completion.chunk",` +
      `"created":${Math.floor(Date.now() / 1000)},"model":${JSON.stringify(mock.options.servedModel ?? ctx.body.model ?? 'mock-model')},"choices":`;
    const choice = (delta: object, finish: string | null, logprobs?: object): string =>
      `${prefix}${JSON.stringify([{ index: 0, delta, ...(logprobs ? { logprobs } : {}), finish_reason: finish }])}}\n\n`;
    // `logprobs: true`: each piece's chunk carries its own entry, as the API streams them.
    const pieceLogprobs = (p: string) => (ctx.body.logprobs === true ? { content: [tokenLogprob(p)], refusal: null } : undefined);
    const frames: { role: string; pieces: string[]; finish: string; usage?: string } = {
      role: choice({ role: 'assistant', content: '' }, null),
      pieces: splitReply(content, mock.options.maxPieces, mock.options.pieceChars).map((p) => choice({ content: p }, null, pieceLogprobs(p))),
      finish: choice({}, ctx.finish ?? finishReason),
    };
    if (ctx.body.stream_options?.include_usage) {
      const completion = countTokens(content);
      const usage = { prompt_tokens: ctx.tokens, completion_tokens: completion, total_tokens: ctx.tokens + completion };
      frames.usage = `${prefix}[],"usage":${JSON.stringify(usage)}}\n\n`;
    }
    return frames;
  }

  function startStream(ctx: Exchange, status = 200): void {
    ctx.rec.status = status;
    ctx.headers['content-type'] = 'text/event-stream';
    ctx.headers['cache-control'] = 'no-cache';
    ctx.res.writeHead(status, ctx.headers);
  }

  /** Write frames chunkDelayMs apart (all at once when 0), then run `done`. */
  function writeFrames(ctx: Exchange, frames: string[], done: () => void): void {
    const delay = mock.options.chunkDelayMs ?? 0;
    if (delay <= 0) {
      if (frames.length) ctx.res.write(frames.join(''));
      return done();
    }
    let i = 0;
    const next = (): void => {
      if (i >= frames.length) return done();
      ctx.res.write(frames[i++]!);
      if (i >= frames.length) return done();
      ctx.later(delay, next);
    };
    next();
  }

  /**
   * As the real API: a request with `tools` (and `tool_choice` not "none") is answered with a call
   * of each tool (only the first with `parallel_tool_calls: false`), its arguments `{"prompt": …}`.
   */
  function toolCallsFor(
    ctx: Pick<Exchange, 'body' | 'prompt' | 'seq'>,
  ): { id: string; type: string; function: { name: string; arguments: string } }[] | undefined {
    const tools = ctx.body?.tools;
    if (!Array.isArray(tools) || tools.length === 0 || ctx.body.tool_choice === 'none') return undefined;
    const called = ctx.body.parallel_tool_calls === false ? tools.slice(0, 1) : tools;
    return called.map((tool: any, i: number) => ({
      id: `call_mock_${ctx.seq}_${i}`,
      type: 'function',
      function: { name: String(tool?.function?.name ?? 'tool'), arguments: JSON.stringify({ prompt: ctx.prompt }) },
    }));
  }

  /** The calls with `arguments` parsed, under `toolCallShape: 'object-arguments'`. */
  function shapedCalls(calls: ReturnType<typeof toolCallsFor>): object[] | undefined {
    if (!calls || mock.options.toolCallShape !== 'object-arguments') return calls;
    return calls.map((call) => ({ ...call, function: { ...call.function, arguments: JSON.parse(call.function.arguments) } }));
  }

  /** A tool-call answer: whole, or streamed as the API does (id and name first, the arguments in pieces). */
  function replyToolCalls(ctx: Exchange, calls: NonNullable<ReturnType<typeof toolCallsFor>>): void {
    const completion = 10 * calls.length;
    const usage = { prompt_tokens: ctx.tokens, completion_tokens: completion, total_tokens: ctx.tokens + completion };
    const model = mock.options.servedModel ?? ctx.body.model ?? 'mock-model';
    const shape = mock.options.toolCallShape;
    if (ctx.body.stream !== true) {
      const message = { role: 'assistant', content: null, tool_calls: shapedCalls(calls) };
      const json = { id: `chatcmpl-mock-${ctx.seq}`, object: 'chat.completion', model, choices: [{ index: 0, message, finish_reason: 'tool_calls' }], usage };
      return sendJson(ctx.res, ctx.rec, 200, JSON.stringify(json), ctx.headers);
    }
    const frame = (delta: object | null, finish: string | null, extra: object = {}): string =>
      `data: ${JSON.stringify({ id: `chatcmpl-mock-${ctx.seq}`, object: 'chat.completion.chunk', model, choices: delta ? [{ index: 0, delta, finish_reason: finish }] : [], ...extra })}\n\n`;
    const frames = [frame({ role: 'assistant', content: null }, null)];
    if (shape === 'object-arguments') {
      for (const [index, call] of shapedCalls(calls)!.entries()) frames.push(frame({ tool_calls: [{ index, ...call }] }, null));
    } else {
      // `no-index`: the same pieces, none saying which call it belongs to.
      const at = (index: number) => (shape === 'no-index' ? {} : { index });
      calls.forEach((call, index) => {
        frames.push(frame({ tool_calls: [{ ...at(index), id: call.id, type: call.type, function: { name: call.function.name, arguments: '' } }] }, null));
        const args = call.function.arguments;
        const half = Math.ceil(args.length / 2);
        for (const piece of [args.slice(0, half), args.slice(half)])
          frames.push(frame({ tool_calls: [{ ...at(index), function: { arguments: piece } }] }, null));
      });
    }
    frames.push(frame({}, 'tool_calls'));
    if (ctx.body.stream_options?.include_usage) frames.push(frame(null, null, { usage }));
    frames.push('data: [DONE]\n\n');
    startStream(ctx);
    ctx.res.end(frames.join(''));
  }

  /** A token's logprob entry (`logprobs: true`): the piece itself, at a made-up probability. */
  function tokenLogprob(token: string): object {
    return { token, logprob: -0.5, bytes: [...Buffer.from(token, 'utf8')], top_logprobs: [] };
  }

  function reply(ctx: Exchange, finishReason = 'stop'): void {
    const calls = toolCallsFor(ctx);
    if (calls) return replyToolCalls(ctx, calls);
    const content = replyText(ctx);
    if (ctx.body.stream !== true) return sendJson(ctx.res, ctx.rec, 200, completionJson(ctx, content, finishReason), ctx.headers);
    const f = streamFrames(ctx, content, finishReason);
    const frames = [f.role, ...f.pieces, f.finish];
    if (f.usage) frames.push(f.usage);
    frames.push('data: [DONE]\n\n');
    startStream(ctx);
    if ((mock.options.chunkDelayMs ?? 0) <= 0) return void ctx.res.end(frames.join(''));
    writeFrames(ctx, frames, () => ctx.res.end());
  }

  /** Give up on a stalled/hung exchange after stallMs, as a real proxy eventually would. */
  function holdThenDestroy(ctx: Exchange): void {
    ctx.later(mock.options.stallMs ?? DEFAULT_STALL_MS, () => ctx.res.destroy());
  }

  function applyFault(ctx: Exchange, fault: FaultKind): void {
    const { res, rec } = ctx;
    if (fault === 'reset') {
      rec.status = 0;
      res.destroy();
      return;
    }
    if (fault === 'hang') {
      rec.status = 0;
      return holdThenDestroy(ctx);
    }
    ctx.later(ctx.latency, () => {
      const stream = ctx.body.stream === true;
      switch (fault) {
        case '401':
          return sendJson(res, rec, 401, unauthorizedBody(rec.authorization), ctx.headers);
        case 'escaped-key': {
          const token = (rec.authorization ?? '').replace(/^Bearer\s+/i, '');
          const json = token.replaceAll('/', '\\/').replaceAll('-', '\\u002d');
          const url = token.replace(/[^A-Za-z0-9]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
          const body = `{"error":{"message":"Invalid key: ${json}, see https://gw.example/keys/${url}","type":"invalid_request_error","code":"invalid_api_key"}}`;
          return sendJson(res, rec, 401, body, ctx.headers);
        }
        case '403':
          return sendJson(
            res,
            rec,
            403,
            errorBody('Country, region, or territory not supported', 'request_forbidden', 'unsupported_country_region_territory'),
            ctx.headers,
          );
        case 'flagged':
          return sendJson(
            res,
            rec,
            403,
            JSON.stringify({
              error: {
                code: 403,
                message: 'openai/gpt-4o-mini requires moderation on OpenRouter. Your input was flagged for "harassment". No credits were charged.',
                metadata: { reasons: ['harassment'], flagged_input: ctx.prompt.slice(0, 100), provider_name: 'OpenAI', model_slug: 'openai/gpt-4o-mini' },
              },
            }),
            ctx.headers,
          );
        case 'upstream400': {
          const raw = JSON.stringify({
            error: { message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens." },
          });
          const error = { code: 400, message: 'Provider returned error', metadata: { raw, provider_name: 'Mock' } };
          return sendJson(res, rec, 400, JSON.stringify({ error }), ctx.headers);
        }
        case 'upstream429': {
          const raw = JSON.stringify({
            error: {
              message: 'Rate limit reached for model llama-3.3-70b on tokens per minute (TPM): Limit 600, Used 590, Requested 265. Please try again in 1m30s.',
            },
          });
          const error = { code: 429, message: 'Provider returned error', metadata: { raw, provider_name: 'Groq' } };
          return sendJson(res, rec, 429, JSON.stringify({ error }), ctx.headers);
        }
        case 'no-access':
          return sendJson(
            res,
            rec,
            403,
            errorBody(`Project \`proj_mock\` does not have access to model \`${String(ctx.body.model)}\``, 'invalid_request_error', 'model_not_found'),
            ctx.headers,
          );
        case 'forbidden':
          return sendJson(res, rec, 403, JSON.stringify({ error: { message: 'Forbidden', code: 'forbidden' } }), ctx.headers);
        case '407':
          ctx.headers['proxy-authenticate'] = 'Basic realm="test"';
          return sendJson(res, rec, 407, errorBody('Proxy Authentication Required', 'proxy_error', 'proxy_auth_required'), ctx.headers);
        case '429': {
          retryHeaders(ctx.headers, 200); // retry-after: 1, retry-after-ms: 200
          const msg = 'Rate limit reached for requests. Please try again in 200ms.';
          return sendJson(res, rec, 429, errorBody(msg, 'requests', 'rate_limit_exceeded'), ctx.headers);
        }
        case 'quota':
          return sendJson(
            res,
            rec,
            429,
            errorBody('You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota', 'insufficient_quota'),
            ctx.headers,
          );
        case 'budget':
        case 'budget400': {
          const status = fault === 'budget' ? 429 : 400;
          const error = {
            message: 'Budget has been exceeded! Current cost: 10.52, Max budget: 10.0',
            type: 'budget_exceeded',
            param: null,
            code: String(status),
          };
          return sendJson(res, rec, status, JSON.stringify({ error }), ctx.headers);
        }
        case 'html':
          rec.status = 200;
          ctx.headers['content-type'] = 'text/html; charset=utf-8';
          res.writeHead(200, ctx.headers);
          return void res.end('<!doctype html><html><head><title>Welcome to nginx!</title></head><body><h1>Welcome</h1></body></html>\n');
        case 'empty':
          rec.status = 200;
          ctx.headers['content-length'] = 0;
          res.writeHead(200, ctx.headers);
          return void res.end();
        case 'nostream':
          return sendJson(res, rec, 200, completionJson(ctx, replyText(ctx)), ctx.headers);
        case 'length':
          return reply(ctx, 'length');
        case 'filtered':
          return reply(ctx, 'content_filter');
        case 'modellength':
          return reply(ctx, 'model_length');
        case 'abort':
          return reply(ctx, 'abort');
        case 'noresource':
          return reply(ctx, 'insufficient_system_resource');
        case 'garbage':
          if (stream) {
            startStream(ctx);
            return void res.end('data: {"id": not json\n\n');
          }
          rec.status = 200;
          ctx.headers['content-type'] = 'application/json';
          res.writeHead(200, ctx.headers);
          return void res.end('<html>502 Bad Gateway</html>');
        case 'cut':
        case 'stall': {
          const content = replyText(ctx);
          if (stream) {
            const f = streamFrames(ctx, content);
            startStream(ctx);
            const frames = [f.role, ...f.pieces.slice(0, fault === 'cut' ? 2 : 1)];
            return writeFrames(ctx, frames, () => (fault === 'cut' ? res.end() : holdThenDestroy(ctx)));
          }
          // Chunked, no content-length: the body ends "cleanly" but is not valid JSON.
          const json = completionJson(ctx, content);
          rec.status = 200;
          ctx.headers['content-type'] = 'application/json';
          res.writeHead(200, ctx.headers);
          if (fault === 'cut') return void res.end(json.slice(0, json.length >> 1));
          res.write(json.slice(0, json.length >> 2));
          return holdThenDestroy(ctx);
        }
        case 'key-at-cut':
        case 'key-at-cut-500': {
          const token = (rec.authorization ?? '').replace(/^Bearer\s+/i, '');
          const words = (n: number) => 'The key given to this server with --api-key was not the one it expects. '.repeat(10).slice(0, n);
          const body =
            fault === 'key-at-cut'
              ? JSON.stringify({ object: 'error', message: `${words(285)} key ${token}`, type: 'BadRequestError', code: 400 })
              : errorBody(`${words(485)} key ${token}`, 'invalid_request_error', null);
          return sendJson(res, rec, 400, body, ctx.headers);
        }
        case 'quoting400':
          return sendJson(res, rec, 400, errorBody(`1 validation error: input ${JSON.stringify(ctx.body)}`, 'BadRequestError', null), ctx.headers);
        case 'finclose':
        case 'finstall': {
          if (!stream) return reply(ctx);
          const f = streamFrames(ctx, replyText(ctx));
          startStream(ctx);
          // Closed once written: the client reads every byte, then a body cut before its end.
          if (fault === 'finclose') return void res.write([f.role, ...f.pieces, f.finish].join(''), () => res.destroy());
          res.write([f.role, ...f.pieces, f.finish].join(''));
          return holdThenDestroy(ctx);
        }
        case 'usagestall':
        case 'usagedrip': {
          if (!stream) return reply(ctx);
          const f = streamFrames(ctx, replyText(ctx));
          startStream(ctx);
          res.write([f.role, ...f.pieces, f.finish, f.usage ?? ''].join(''));
          if (fault === 'usagedrip') {
            // One timer an exchange (see scheduler): the beats count the stall down themselves.
            let left = mock.options.stallMs ?? DEFAULT_STALL_MS;
            const beat = () => {
              if (res.destroyed || res.writableEnded) return;
              if ((left -= 200) <= 0) return void res.destroy();
              res.write(`data: ${JSON.stringify({ id: 'beat', object: 'chat.completion.chunk', model: 'mock-model', choices: [] })}\n\n`);
              ctx.later(200, beat);
            };
            return ctx.later(200, beat);
          }
          return holdThenDestroy(ctx);
        }
        case 'donestall':
        case 'donecut': {
          if (!stream) return reply(ctx);
          const f = streamFrames(ctx, replyText(ctx));
          startStream(ctx);
          if (fault === 'donecut') return void res.write([f.role, ...f.pieces, 'data: [DONE]\n\n'].join(''), () => res.destroy());
          res.write([f.role, ...f.pieces, f.finish, 'data: [DONE]\n\n'].join(''));
          return holdThenDestroy(ctx);
        }
        case 'choiceerror': {
          const code = mock.options.choiceErrorCode ?? 502;
          const error = { code, message: 'Upstream provider returned error: overloaded', metadata: { provider_name: 'SomeProvider' } };
          if (!stream) {
            const body = JSON.parse(completionJson(ctx, '', 'error'));
            body.choices[0].error = error;
            return sendJson(res, rec, 200, JSON.stringify(body), ctx.headers);
          }
          const f = streamFrames(ctx, replyText(ctx));
          const failed = f.finish.replace('"finish_reason":"stop"', `"finish_reason":"error","error":${JSON.stringify(error)}`);
          startStream(ctx);
          return void res.end([f.role, f.pieces[0], failed, f.usage ?? '', 'data: [DONE]\n\n'].join(''));
        }
        case 'pingstall': {
          if (!stream) return reply(ctx);
          const f = streamFrames(ctx, replyText(ctx));
          startStream(ctx);
          res.write(f.role + f.pieces[0]);
          const until = performance.now() + (mock.options.stallMs ?? DEFAULT_STALL_MS);
          const ping = (): void => {
            if (performance.now() >= until) return void res.destroy();
            res.write(': ping\n\n');
            ctx.later(PING_MS, ping);
          };
          return ctx.later(PING_MS, ping);
        }
        case 'emptystream':
        case 'errorstream':
          startStream(ctx);
          return void res.end(fault === 'errorstream' ? errorBody('model overloaded', 'server_error', null) : '');
        case 'errorevent': {
          const error = { message: 'CUDA error: an illegal memory access was encountered', type: 'InternalServerError', param: null, code: 500 };
          if (!stream) return sendJson(res, rec, 500, JSON.stringify({ error }), ctx.headers);
          const f = streamFrames(ctx, replyText(ctx));
          startStream(ctx);
          return void res.end([f.role, f.pieces[0], `data: ${JSON.stringify({ error })}\n\n`, 'data: [DONE]\n\n'].join(''));
        }
        case 'errorstring':
          return sendJson(res, rec, 200, JSON.stringify({ error: 'Unexpected endpoint or method. (POST /chat/completions)' }), ctx.headers);
        case 'errorfield': {
          const message = 'the request exceeds the available context size, try increasing it';
          const error = { code: 400, message, type: 'exceed_context_size_error', n_prompt_tokens: 5000, n_ctx: 4096 };
          if (!stream) return sendJson(res, rec, 400, JSON.stringify({ error }), ctx.headers);
          startStream(ctx);
          return void res.end(`error: ${JSON.stringify(error)}\n\n`);
        }
        case 'texterror': {
          const error = { error: 'Request failed during generation: Server error: CUDA out of memory.', error_type: 'generation' };
          if (!stream) return sendJson(res, rec, 500, JSON.stringify(error), ctx.headers);
          const f = streamFrames(ctx, replyText(ctx));
          startStream(ctx);
          return void res.end([f.role, f.pieces[0], `data: ${JSON.stringify(error)}\n\n`].join(''));
        }
        case 'ollamacontext': {
          const error = { message: 'the input length exceeds the context length', type: 'api_error', param: null, code: null };
          if (!stream) return sendJson(res, rec, 500, JSON.stringify({ error }), ctx.headers);
          startStream(ctx);
          return void res.end(`data: ${JSON.stringify({ error })}\n\n`);
        }
        case 'alwaysstream': {
          const f = streamFrames(ctx, replyText(ctx));
          startStream(ctx);
          return void res.end([f.role, ...f.pieces, f.finish, 'data: [DONE]\n\n'].join(''));
        }
        case 'gzip':
        case 'zstd': {
          const content = replyText(ctx);
          const f = stream ? streamFrames(ctx, content) : undefined;
          const body = f ? [f.role, ...f.pieces, f.finish, f.usage ?? '', 'data: [DONE]\n\n'].join('') : completionJson(ctx, content);
          ctx.rec.status = 200;
          ctx.headers['content-type'] = stream ? 'text/event-stream' : 'application/json';
          ctx.headers['content-encoding'] = fault;
          res.writeHead(200, ctx.headers);
          return void res.end(fault === 'gzip' ? gzipSync(body) : Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0]));
        }
        case 'routererror':
        case 'router402': {
          const error =
            fault === 'router402'
              ? { code: 402, message: 'Insufficient credits' }
              : { code: 429, message: 'Rate limit exceeded: upstream', metadata: { provider_name: 'SomeProvider' } };
          if (!stream) return sendJson(res, rec, 200, JSON.stringify({ error }), ctx.headers);
          startStream(ctx);
          return void res.end(`: OPENROUTER PROCESSING\n\ndata: ${JSON.stringify({ error })}\n\n`);
        }
        case 'loading':
          return sendJson(res, rec, 503, JSON.stringify({ error: { code: 503, message: 'Loading model', type: 'unavailable_error' } }), ctx.headers);
        default: {
          const spec = STATUS_FAULTS[fault]!;
          return sendJson(res, rec, spec.status, errorBody(spec.message, spec.type, spec.code), ctx.headers);
        }
      }
    });
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    // A client vanishing mid-body or mid-response is normal here (faults provoke it); never crash.
    req.on('error', noop);
    res.on('error', noop);
    const q = req.url?.indexOf('?') ?? -1;
    const path = q < 0 ? req.url : req.url!.slice(0, q);

    if (req.method === 'POST' && path === '/v1/chat/completions') {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (raw += chunk));
      req.on('end', () => {
        try {
          handleChat(req, res, raw);
        } catch (err) {
          // A throwing reply()/fault() callback should fail the request, not the test process.
          if (!res.headersSent) sendJson(res, undefined, 500, errorBody(`mock server error: ${String(err)}`, 'server_error', 'mock_error'));
          else res.destroy();
        }
      });
      return;
    }
    const key = mock.options.apiKey;
    if (key !== undefined && req.headers.authorization !== `Bearer ${key}`) {
      return sendJson(res, undefined, 401, unauthorizedBody(req.headers.authorization));
    }
    if (batchRoutes.handle(req, res, path!)) return;
    if (req.method === 'GET' && path === '/v1/models') {
      return sendJson(res, undefined, 200, MODELS_BODY);
    }
    sendJson(res, undefined, 404, errorBody(`Invalid URL (${req.method} ${req.url})`, 'invalid_request_error', 'not_found'));
    req.resume(); // drain any body so the connection can be reused
  }

  const server = initial.tls ? createHttpsServer(initial.tls, onRequest) : createServer(onRequest);
  // Longer than undici's 4 s client-side idle timeout, so the server never closes a socket the
  // client is about to reuse (that race shows up as sporadic ECONNRESET in benchmarks).
  server.keepAliveTimeout = 10_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const mock: MockServer = {
    url: `${initial.tls ? 'https' : 'http'}://127.0.0.1:${port}/v1`,
    port,
    requests,
    options: initial,
    batchState: batchRoutes.state,
    countFor: (prompt) => counts.get(prompt) ?? 0,
    reset() {
      requests.length = 0; // keep the array identity: callers may hold a reference
      counts.clear();
      rateWindow.clear();
      batchRoutes.reset();
      index = 0;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
        sockets.clear();
      });
      return closing;
    },
  };
  return mock;
}

/** Per-request state shared by the reply and fault paths. */
interface Exchange {
  res: ServerResponse;
  rec: RecordedRequest;
  body: any;
  prompt: string;
  tokens: number;
  latency: number;
  later: (ms: number, fn: () => void) => void;
  /** Numbers both x-request-id and the completion id. */
  seq: number;
  /** Headers for whatever response goes out (x-request-id, x-ratelimit-*, retry-after). */
  headers: OutgoingHttpHeaders;
  /** finish_reason of the reply (a truncated structured answer says `length`). */
  finish?: string;
}

const MODELS_BODY = JSON.stringify({ object: 'list', data: [{ id: 'mock-model', object: 'model' }] });

const defaultReply = (p: string): string => `ECHO ${p}`;

function noop(): void {}
