import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import type { Complete, UserComplete } from '../provider/completion.js';
import type { BatchEvent } from './events.js';
import type { BatchStats } from './stats.js';
import type { ResultRow } from '../types.js';
import { createStats } from './stats.js';
import { DEFAULT_RETRIES } from '../schedule/retry-policy.js';
import { UsageError } from '../errors.js';
import { isPlainObject } from '../util/is-plain-object.js';
import { guardedComplete } from './guarded-complete.js';
import type { StructuredOutput } from '../structured/types.js';
import type { AnswerCache } from './answer-cache.js';
import type { RunBudget } from '../budget/run-budget.js';

/** Answer tokens assumed for a request without max_tokens, in token budgets and estimates. */
export const DEFAULT_COMPLETION_TOKENS = 256;

/** What the engine needs; the CLI builds it from flags, a library user writes it by hand. */
export interface BatchOptions {
  /** Sends one attempt (see `createOpenAIComplete`), or a `complete` of the caller's own. */
  readonly complete: UserComplete;
  /** Model for rows that do not name one. */
  readonly model: string;
  readonly temperature?: number;
  readonly maxTokens?: number;
  /** max_tokens for requests that set none, sent only because --max-cost needs a bound (not part of the cache key). */
  readonly budgetMaxTokens?: number;
  /** Stream answers (lets the idle timeout catch stalls mid-answer). @default true */
  readonly stream?: boolean;
  /** Requests in flight at once. @default 8 */
  readonly concurrency?: number;
  /** Requests-per-minute cap, paced smoothly (no 1 s window ever exceeds rpm/60). */
  readonly rpm?: number;
  /** Tokens-per-minute cap (estimated before sending, corrected by real usage). */
  readonly tpm?: number;
  /** Whole-attempt deadline in ms. @default 600000 */
  readonly timeoutMs?: number;
  /** Longest wait for headers (streamed requests only) or between body chunks, in ms. @default 90000 */
  readonly idleTimeoutMs?: number;
  /** Retries after the first attempt for retryable failures. @default 3 */
  readonly retries?: number;
  /** Row order: as prompts complete, or as they were read (bounded reordering). @default 'completion' */
  readonly order?: 'completion' | 'input';
  /**
   * Answer-token estimate for the TPM budget when a request sets no max_tokens, until 16 answers
   * say how long they run (then their 95th percentile + 10 %); a whole number, 0 to count prompts only. @default 256
   */
  readonly defaultCompletionTokens?: number;
  /** Stop admitting prompts; in-flight ones may finish. Unstarted prompts get no row. */
  readonly stopSignal?: AbortSignal;
  /** Abort in-flight requests too; they get no row, so a resume re-runs them. */
  readonly abortSignal?: AbortSignal;
  readonly onEvent?: (event: BatchEvent) => void;
  /**
   * Each row as the engine makes it, and so counts it (and its tokens) in `stats`: before the consumer
   * takes it, and also when the consumer stopped early and never will (stdout's reader left). What
   * was paid for is tallied here, whether or not its row was written. `model`: the one a request was
   * sent for (a JSONL row's own, or the run's), which a row of a run with one model does not say.
   */
  readonly onRow?: (row: ResultRow, model?: string) => void;
  /**
   * A row onRow saw that the consumer will never take: it stopped early (the output failed, stdout's
   * reader left) while the row waited its turn, or the row was made after. `stats` still counts it;
   * a caller whose counts must be the rows it wrote takes it back out here (see uncountRow).
   */
  readonly onDropped?: (row: ResultRow) => void;
  /** Answers already bought: a hit becomes a row with no request (`cached: true`). */
  readonly cache?: AnswerCache;
  /** A spending cap: every request's worst case is reserved before it is sent (`--max-cost`). */
  readonly budget?: RunBudget;
  /** Emit a `delta` event per streamed chunk (for showing answers live); costly on big runs. @default true */
  readonly deltaEvents?: boolean;
  /** Counters the caller can read while the run goes on (progress bars). */
  readonly stats?: BatchStats;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Request-body fields for every request (seed, top_p, stop…); a record's own extraBody wins. */
  readonly extraBody?: Record<string, unknown>;
  /** Rows whose answer hit the token limit (finish_reason `length`) are failures of type `truncated`. @default false */
  readonly failTruncated?: boolean;
  /** Stop when the first attempts all fail the same endpoint-level way (see CircuitBreaker). @default true */
  readonly circuitBreaker?: boolean;
  /** Answers parsed and validated (and re-asked when invalid): a JSON Schema or JSON mode. `retries` defaults to 2. */
  readonly structured?: Omit<StructuredOutput, 'retries'> & { readonly retries?: number };
}

/** The options left unset unless given: every other one gets its default. */
type OptionalOptions =
  | 'temperature'
  | 'maxTokens'
  | 'budgetMaxTokens'
  | 'rpm'
  | 'tpm'
  | 'stopSignal'
  | 'abortSignal'
  | 'onEvent'
  | 'onRow'
  | 'onDropped'
  | 'extraBody'
  | 'structured'
  | 'cache'
  | 'budget';

export type ResolvedBatchOptions = Required<Omit<BatchOptions, OptionalOptions | 'complete'>> &
  Pick<BatchOptions, Exclude<OptionalOptions, 'structured'>> & { readonly structured?: StructuredOutput; readonly complete: Complete };

/** A value as a message shows it: strings quoted, `undefined` named, an object by its kind. */
export const shown = (value: unknown): string =>
  value === undefined
    ? 'undefined'
    : typeof value === 'string'
      ? JSON.stringify(value)
      : typeof value === 'function'
        ? 'a function'
        : value !== null && typeof value === 'object'
          ? Array.isArray(value)
            ? 'an array'
            : 'an object'
          : String(value);

/** What a run's options and a record's own fields (check-record.ts) must be, checked alike. */
export const isModelName = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
export const isTemperature = (value: unknown): value is number => typeof value === 'number' && value >= 0 && value <= 2;
export const isPositive = (value: unknown, integer: boolean): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value));
export const isWholeNumber = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;

/** A number option, unless unset: a NaN (`Number(process.env.X)` of an unset variable) would switch a cap off. */
function positive(name: string, value: unknown, integer: boolean): void {
  if (value === undefined) return;
  if (!isPositive(value, integer)) {
    throw new UsageError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${shown(value)}`);
  }
}

function wholeNumber(name: string, value: unknown): void {
  if (value !== undefined && !isWholeNumber(value)) {
    throw new UsageError(`${name} must be a whole number >= 0, got ${shown(value)}`);
  }
}

/** A signal the engine listens to: what `addEventListener('abort', …)` and `aborted` work on. */
function signal(name: string, value: unknown): void {
  const usable =
    value !== null &&
    typeof value === 'object' &&
    typeof (value as AbortSignal).addEventListener === 'function' &&
    typeof (value as AbortSignal).removeEventListener === 'function';
  if (value !== undefined && !usable) throw new UsageError(`${name} must be an AbortSignal (an AbortController's signal), got ${shown(value)}`);
}

function callback(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw new UsageError(`${name} must be a function, got ${shown(value)}`);
}

function flag(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') throw new UsageError(`${name} must be true or false, got ${shown(value)}`);
}

/**
 * What a plain-JS caller may leave out or mistype: without these checks the run failed later with a
 * TypeError from deep inside rather than an error with a `code`.
 */
function checkShape(options: unknown): asserts options is BatchOptions {
  if (options === null || typeof options !== 'object') {
    throw new UsageError(`options must be an object with at least complete and model, got ${options === null ? 'null' : shown(options)}`);
  }
  const { complete } = options as { complete: unknown };
  if (typeof complete !== 'function') {
    throw new UsageError(`complete must be a function that sends one request (createOpenAIComplete(…)), got ${shown(complete)}`);
  }
}

/** The options a library user types by hand with nothing else to catch a slip: the CLI's flags check the same. */
function checkRequestOptions(options: BatchOptions): void {
  const { model, temperature, order } = options as { model: unknown; temperature: unknown; order: unknown };
  if (!isModelName(model)) {
    throw new UsageError(`model must be a non-empty string (rows that name no model are sent with it), got ${shown(model)}`);
  }
  if (temperature !== undefined && !isTemperature(temperature)) {
    throw new UsageError(`temperature must be a number from 0 to 2, got ${shown(temperature)}`);
  }
  if (order !== undefined && order !== 'completion' && order !== 'input') {
    throw new UsageError(`order must be "completion" or "input", got ${shown(order)}`);
  }
  // As a record's own is checked (check-record.ts): a string was spread into every body letter by letter.
  const extraBody = (options as { extraBody?: unknown }).extraBody;
  if (extraBody !== undefined && !isPlainObject(extraBody)) {
    throw new UsageError(`extraBody must be an object (request-body fields for every request) or left out, got ${shown(extraBody)}`);
  }
  positive('maxTokens', options.maxTokens, true);
  positive('budgetMaxTokens', options.budgetMaxTokens, true);
}

export function resolveBatchOptions(options: BatchOptions): ResolvedBatchOptions {
  checkShape(options);
  checkRequestOptions(options);
  positive('concurrency', options.concurrency, true);
  positive('rpm', options.rpm, false);
  positive('tpm', options.tpm, false);
  positive('timeoutMs', options.timeoutMs, false);
  positive('idleTimeoutMs', options.idleTimeoutMs, false);
  wholeNumber('retries', options.retries);
  checkStructured(options.structured);
  wholeNumber('defaultCompletionTokens', options.defaultCompletionTokens);
  for (const name of ['stream', 'deltaEvents', 'failTruncated', 'circuitBreaker'] as const) flag(name, options[name]);
  for (const name of ['stopSignal', 'abortSignal'] as const) signal(name, options[name]);
  for (const name of ['onEvent', 'onRow', 'onDropped'] as const) callback(name, options[name]);
  checkParts(options);
  const { structured, ...rest } = options;
  return {
    ...rest,
    complete: guardedComplete(options.complete),
    stream: options.stream ?? true,
    concurrency: options.concurrency ?? 8,
    timeoutMs: options.timeoutMs ?? 600_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 90_000,
    retries: options.retries ?? DEFAULT_RETRIES,
    order: options.order ?? 'completion',
    deltaEvents: options.deltaEvents ?? true,
    defaultCompletionTokens: options.defaultCompletionTokens ?? DEFAULT_COMPLETION_TOKENS,
    stats: options.stats ?? createStats(),
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    failTruncated: options.failTruncated ?? false,
    circuitBreaker: options.circuitBreaker ?? true,
    // A caller from JavaScript may leave `retries` out: without its default, `reasks >= undefined`
    // never held, and an answer that never validated was re-asked (and paid for) without end.
    ...(structured ? { structured: { ...structured, retries: structured.retries ?? STRUCTURED_RETRIES } } : {}),
  };
}

/**
 * The parts a caller makes with our factories (createStats, createAnswerCache, createRunBudget):
 * anything else failed deep inside, `stats` by a run that never ended (its first record was
 * counted outside the guard that settles a record whatever happens).
 */
function checkParts(options: BatchOptions): void {
  const { stats, cache, budget } = options as { stats: unknown; cache: unknown; budget: unknown };
  const has = (value: unknown, names: readonly string[], kind: 'number' | 'function') =>
    value !== null && typeof value === 'object' && names.every((name) => typeof (value as Record<string, unknown>)[name] === kind);
  if (stats !== undefined && !has(stats, ['read', 'ok', 'failed', 'requests'], 'number')) {
    throw new UsageError(`stats must be what createStats() returns, got ${shown(stats)}`);
  }
  if (cache !== undefined && !has(cache, ['keyOf', 'lookup', 'store', 'flush'], 'function')) {
    throw new UsageError(`cache must be what createAnswerCache(…) returns, got ${shown(cache)}`);
  }
  if (budget !== undefined && !has(budget, ['admit', 'settle', 'spentUsd'], 'function')) {
    throw new UsageError(`budget must be what createRunBudget(…) returns, got ${shown(budget)}`);
  }
}

/** StructuredOutput.retries when it is not given. */
const STRUCTURED_RETRIES = 2;

/** `structured`, if given: an object whose `check` is a function (called per answer, after it is paid for). */
function checkStructured(structured: unknown): void {
  if (structured === undefined) return;
  if (structured === null || typeof structured !== 'object') throw new UsageError(`structured must be an object, got ${shown(structured)}`);
  const { check, retries } = structured as Partial<StructuredOutput>;
  if (typeof check !== 'function') throw new UsageError(`structured.check must be a function (an answer's parse and check), got ${shown(check)}`);
  wholeNumber('structured.retries', retries);
}
