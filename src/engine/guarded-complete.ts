import {
  AttemptError,
  isTrustedComplete,
  trustedComplete,
  type Complete,
  type CompletionReply,
  type CompletionResult,
  type UserComplete,
} from '../provider/completion.js';
import type { ErrorType, Usage } from '../types.js';

/**
 * A caller's own `complete`, held to what the engine relies on: its attempt ends when its signal
 * aborts (a deadline, the run's abort) even if it ignores the signal, what it resolves to is a
 * result with a `text`, and its deltas stop with its attempt. Otherwise one that never looks at its
 * signal held its slot for ever, past `timeoutMs`, and one that resolved to nothing made a success
 * row without an answer. Ours (`createOpenAIComplete`) are used as they are: they do all that, and
 * the hot path pays for nothing.
 */
export function guardedComplete(complete: UserComplete): Complete {
  if (isTrustedComplete(complete)) return complete;
  const guarded: Complete = (request, context) => {
    const { signal } = context;
    if (signal.aborted) return Promise.reject(signal.reason);
    let settled = false;
    const { onDelta } = context;
    // A late delta would reach onEvent under an attempt that is over (or a run that ended). And a
    // `complete` that calls onDelta, as README says it gets one, gets one whether or not anyone
    // listens (no onEvent, or deltaEvents false): else every attempt failed with "onDelta is not a function".
    const own = {
      ...context,
      // By name: the engine's context has it as a getter, which a spread does not copy.
      signal,
      // Not asked of a caller's own: one wrapping ours that throws an error of its own would lose the
      // switch a refusal hands back, and the row fail. Without it ours sends the request again itself.
      resend: undefined,
      onDelta: (text: string) => {
        if (!settled) onDelta?.(text);
      },
    };
    return new Promise<CompletionResult>((resolve, reject) => {
      const onAbort = () => {
        settled = true;
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        settled = true;
        signal.removeEventListener('abort', onAbort);
      };
      // A throw before its promise is one too: `then` of a rejected promise reports it below.
      new Promise<CompletionReply>((inner) => inner(complete(request, own))).then(
        (result) => {
          done();
          if (result === null || typeof result !== 'object' || typeof result.text !== 'string') {
            reject(new AttemptError('bad_response', `complete resolved to ${describe(result)}, not a result with a text`));
          } else resolve(filledIn(result));
        },
        (err: unknown) => {
          done();
          reject(knownType(err));
        },
      );
    });
  };
  return trustedComplete(
    Object.assign(guarded, {
      ...(complete.warmUp ? { warmUp: () => complete.warmUp!() } : {}),
      ...(complete.close ? { close: () => complete.close!() } : {}),
    }),
  );
}

/**
 * A result as ours are, its fields that a `complete` may leave out (`{ text }` is a whole answer)
 * null: else its rows had no `finish_reason`, `usage` or `model` key at all, where a reader of the
 * output expects every row to have them.
 */
const filledIn = (result: CompletionReply): CompletionResult => ({
  ...result,
  finishReason: result.finishReason ?? null,
  usage: numericUsage(result.usage),
  model: result.model ?? null,
  headers: headersOf(result.headers),
});

/**
 * A `complete`'s headers as the pacing reads them (`get`): a plain object (`{ 'retry-after': '1' }`)
 * made a Headers, where its `get` was missing and every attempt failed as a connection error, its
 * paid answer thrown away and asked again. Anything else is left to the checks it meets.
 */
function headersOf(headers: CompletionReply['headers']): CompletionResult['headers'] {
  if (headers === undefined || headers === null) return null;
  if (typeof (headers as { get?: unknown }).get === 'function') return headers as CompletionResult['headers'];
  if (typeof headers !== 'object') return null;
  try {
    return new Headers(Object.entries(headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return null;
  }
}

const describe = (value: unknown): string =>
  value === null || typeof value !== 'object' ? String(value) : `an object whose text is ${typeof (value as { text?: unknown }).text}`;

/** Every type a row's error may have: a Record, so that tsc names one missing here. */
const ERROR_TYPES: Record<ErrorType, true> = {
  timeout: true,
  rate_limit: true,
  quota: true,
  http: true,
  connection: true,
  bad_response: true,
  auth: true,
  input: true,
  aborted: true,
  truncated: true,
  invalid_output: true,
};

/**
 * An AttemptError of a type no row may carry (from plain JS: `new AttemptError('weird', …)`) is what
 * anything else thrown is, a retried `connection` error, its message naming the type: else the type
 * went into rows and the summary as it was.
 */
function knownType(err: unknown): unknown {
  if (!(err instanceof AttemptError) || Object.hasOwn(ERROR_TYPES, err.type)) return err;
  return new AttemptError('connection', `${err.message} (an AttemptError of unknown type ${JSON.stringify(String(err.type))})`, err.info);
}

const isCount = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n >= 0;

/**
 * Usage as the engine counts it: numbers, or none. A `prompt_tokens: 'a'` made the run's token
 * count the string "0a"; anything but counts is taken as no usage, as a server that sends none.
 */
function numericUsage(usage: Usage | null | undefined): Usage | null {
  if (usage === null || typeof usage !== 'object') return null;
  if (!isCount(usage.prompt_tokens) || !isCount(usage.completion_tokens)) return null;
  if (usage.cached_tokens !== undefined && !isCount(usage.cached_tokens)) {
    const { cached_tokens: _, ...counted } = usage;
    return counted;
  }
  return usage;
}
