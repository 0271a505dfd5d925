import type { ChatMessage, ErrorType, HeaderSource, Logprobs, ToolCall, Usage } from '../types.js';

/** How the answer-length cap is named on the wire (see request-body.ts). */
export type TokenLimitField = 'max_tokens' | 'max_completion_tokens';

export interface CompletionRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  max_tokens?: number;
  /**
   * `max_tokens` is --max-cost's default cap, not asked for: the response cache keys the request
   * without it (a re-run with or without --max-cost finds the same answer).
   */
  budgetCap?: true;
  extraBody?: Record<string, unknown>;
  /** Structured outputs or JSON mode (see structured/). */
  response_format?: Record<string, unknown>;
  stream: boolean;
  /**
   * false: a streamed request without `stream_options`, for a server that refused it (sdk-complete.ts);
   * its answer then carries no usage.
   */
  streamUsage?: false;
}

export interface CompletionResult {
  text: string;
  finishReason: string | null;
  usage: Usage | null;
  model: string | null;
  headers: HeaderSource | null;
  /** Structured outputs: the model declined to answer (OpenAI's `refusal`, content empty). */
  refusal?: string;
  /** The function calls the model made (a request with `tools`); absent when none. */
  toolCalls?: ToolCall[];
  /** The choice's logprobs (a request with `logprobs`); absent when the server sent none. */
  logprobs?: Logprobs;
  /**
   * A reasoning model's thinking, sent beside the answer (`reasoning_content`: DeepSeek, vLLM's
   * reasoning parsers; `reasoning`: OpenRouter, Ollama); absent when the server sent none.
   */
  reasoning?: string;
}

export interface AttemptContext {
  signal: AbortSignal;
  /**
   * Called when response headers arrive and on every body chunk (feeds the idle timeout). Called
   * with `'whole'` as a request without streaming leaves: its headers come only with the whole
   * answer, so until anything comes its silence is the model at work, bounded by the attempt's
   * deadline (--timeout), not by the idle timeout. With `'headers'` when they come: the response
   * began, but a whole answer's body may still be that far off (a server that sends its headers at
   * once), and the idle timeout waits for it too.
   */
  onActivity: (what?: 'whole' | 'headers') => void;
  /** Streamed text as it arrives. (`| undefined`: a library user's `exactOptionalPropertyTypes` takes ours.) */
  onDelta?: ((text: string) => void) | undefined;
  /**
   * Given by the engine: the signal's abort told to watchers, as `abort` listeners on the signal
   * would be, without adding one. Node's EventTarget cost ~4-5 µs of CPU a request to add
   * and remove a listener (issue 16). A `complete` of one's own may ignore it: the signal aborts all
   * the same.
   */
  aborts?: AbortWatch;
  /**
   * Given by the engine, which sends a request the server refused for a field (see FieldSwitch) again
   * itself, as an attempt of its own: paced, under a deadline of its own. `true` for a request as
   * asked; the refusal's switch for its resend. Without it the transport sends it again at once.
   */
  resend?: FieldSwitch | true;
}

/**
 * How to send again a request the server refused for a field it does not take (sdk-complete.ts):
 * a streamed one without `stream_options`, or the cap under its other name. The transport's own,
 * handed back as it came in the refusal's AttemptErrorInfo.resend.
 */
export interface FieldSwitch {
  readonly streamUsage: boolean;
  readonly limitField: TokenLimitField;
  /** The switches made for this request so far (a server may refuse both fields, one after the other). */
  readonly tried: number;
}

/** Told when an attempt's signal aborts, once (an EventListener object's shape). */
export interface AbortWatcher {
  handleEvent(): void;
}

/** Whether an attempt was aborted, and why: an AbortSignal says so, and so does the engine's AbortWatch without making one. */
export interface AbortState {
  readonly aborted: boolean;
  readonly reason: unknown;
}

/**
 * Where a transport leaves its watchers of the attempt's abort (one a request in flight) and takes
 * them back. It watches `signal` only: a `complete` that wraps another and hands it a signal of its
 * own (`AbortSignal.any`) passes the context's `aborts` along with it, and that one is not watched
 * this way (see {@link abortsOf}).
 */
export interface AbortWatch extends AbortState {
  /** The attempt's signal. The engine's is made when first read: its own transports never read it. */
  readonly signal: AbortSignal;
  watch(watcher: AbortWatcher): void;
  unwatch(watcher: AbortWatcher): void;
}

/** What a transport hears an attempt's abort from: the engine's watch or, without one, the signal. */
export type AbortSource = AbortWatch | AbortSignal;

/** The source's AbortSignal (the engine's watch makes it then): for code that must listen to one, a proxy's request. */
export const signalOf = (source: AbortSource): AbortSignal => ('watch' in source ? source.signal : source);

/** The engine's own AbortWatch, with the attempt's activity callback (see {@link WatchedContext}). */
export interface AttemptWatch extends AbortWatch {
  readonly onActivity: AttemptContext['onActivity'];
}

/**
 * The engine's context for one attempt: `aborts` is the attempt's own watch, and the signal is made
 * only if something reads it. An AbortSignal (an EventTarget and its listener map) per attempt, alive
 * while the request is, was ~10 % of what survived a scavenge at 100,000 short prompts (issue 16); the
 * lean transport hears of an abort from the watch and never reads it. A wrapper that spreads a
 * context (`{ ...ctx }`) copies own fields only: ours give it `signal` themselves.
 */
export class WatchedContext implements AttemptContext {
  readonly onActivity: AttemptContext['onActivity'];
  constructor(
    readonly aborts: AttemptWatch,
    readonly onDelta: ((text: string) => void) | undefined,
    readonly resend: FieldSwitch | true = true,
  ) {
    this.onActivity = aborts.onActivity;
  }

  get signal(): AbortSignal {
    return this.aborts.signal;
  }
}

/** One attempt at one completion. Throws `AttemptError`, or anything else for the classifier. */
export type Complete = ((request: CompletionRequest, context: AttemptContext) => Promise<CompletionResult>) & {
  /** Optional one-time preparation before the first paced request. */
  warmUp?: () => Promise<void>;
  /** Closes its connections once the run is over (see `AgentPool.close`). */
  close?: () => Promise<void>;
};

/**
 * What a library user's `complete` may resolve to: a CompletionResult that may leave out
 * `finishReason`, `usage`, `model` and `headers`, and give `headers` as a plain object of strings
 * (README: As a library). The engine fills them in (guarded-complete.ts) before anything reads them.
 */
export type CompletionReply = Omit<CompletionResult, 'finishReason' | 'usage' | 'model' | 'headers'> & {
  finishReason?: string | null;
  usage?: Usage | null;
  model?: string | null;
  headers?: HeaderSource | Record<string, string> | null;
};

/** A `complete` as a library user writes one (exported as `Complete`); ours are {@link Complete}s. */
export type UserComplete = ((request: CompletionRequest, context: AttemptContext) => Promise<CompletionReply>) & {
  warmUp?: () => Promise<void>;
  close?: () => Promise<void>;
};

/** Our own completes: they settle as their signal aborts and always return a result. */
const trusted = new WeakSet<Complete>();

/** Marks `complete` as one of ours: the engine then calls it as it is, with nothing around it. */
export function trustedComplete<T extends Complete>(complete: T): T {
  trusted.add(complete);
  return complete;
}

export const isTrustedComplete = (complete: UserComplete): complete is Complete => trusted.has(complete as Complete);

export interface AttemptErrorInfo {
  status?: number;
  code?: string;
  headers?: HeaderSource;
  /**
   * Run-stopping failures: a rejected key, a proxy that refuses us, or a quota that waiting will not
   * restore. @default the type's, for `auth` and `quota` (README: they stop the run)
   */
  stop?: 'auth' | 'proxy' | 'quota' | 'unreachable';
  /** A timeout before any response headers came (see CircuitBreaker). */
  noResponse?: boolean;
  /**
   * `status` is the code an error event inside a stream gave (vLLM's 500, llama.cpp's 400), not a
   * response's: the answer may have been generated, and billed, up to it.
   */
  inStream?: boolean;
  /**
   * The server refused a field the request can go without (a context with `resend` only): sent
   * again with this as the context's `resend`, it goes so. Not a failure of the prompt.
   */
  resend?: FieldSwitch;
}

/**
 * A failed attempt, already classified. One of type `auth` or `quota` stops the run unless its
 * `info.stop` says otherwise: a caller's own `complete` throwing one, as README says to, stopped
 * nothing, and every prompt got the same row.
 */
export class AttemptError extends Error {
  override readonly name = 'AttemptError';
  readonly info: AttemptErrorInfo;
  constructor(
    readonly type: ErrorType,
    message: string,
    info: AttemptErrorInfo = {},
  ) {
    super(message);
    this.info = info.stop === undefined && (type === 'auth' || type === 'quota') ? { ...info, stop: type } : info;
  }
}

/** The context's AbortWatch when it watches the context's own signal, else none (listen to the signal). */
export function abortsOf(ctx: Pick<AttemptContext, 'signal' | 'aborts'>): AbortWatch | undefined {
  const { aborts } = ctx;
  if (aborts === undefined) return undefined;
  // The engine's own context watches its own signal: not made just to compare it.
  if (Object.getPrototypeOf(ctx) === WatchedContext.prototype) return aborts;
  return aborts.signal === ctx.signal ? aborts : undefined;
}

/** Where a transport hears of the attempt's abort (see {@link AbortSource}). */
export const abortSourceOf = (ctx: Pick<AttemptContext, 'signal' | 'aborts'>): AbortSource => abortsOf(ctx) ?? ctx.signal;
