import { AttemptError, isTrustedComplete, trustedComplete, type Complete, type CompletionResult } from '../provider/completion.js';

/**
 * A caller's own `complete`, held to what the engine relies on: its attempt ends when its signal
 * aborts (a deadline, the run's abort) even if it ignores the signal, what it resolves to is a
 * result with a `text`, and its deltas stop with its attempt. Otherwise one that never looks at its
 * signal held its slot for ever, past `timeoutMs`, and one that resolved to nothing made a success
 * row without an answer. Ours (`createOpenAIComplete`) are used as they are: they do all that, and
 * the hot path pays for nothing.
 */
export function guardedComplete(complete: Complete): Complete {
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
      new Promise<CompletionResult>((inner) => inner(complete(request, own))).then(
        (result) => {
          done();
          if (result === null || typeof result !== 'object' || typeof result.text !== 'string') {
            reject(new AttemptError('bad_response', `complete resolved to ${describe(result)}, not a result with a text`));
          } else resolve(filledIn(result));
        },
        (err: unknown) => {
          done();
          reject(err);
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
const filledIn = (result: CompletionResult): CompletionResult => ({
  ...result,
  finishReason: result.finishReason ?? null,
  usage: result.usage ?? null,
  model: result.model ?? null,
  headers: result.headers ?? null,
});

const describe = (value: unknown): string =>
  value === null || typeof value !== 'object' ? String(value) : `an object whose text is ${typeof (value as { text?: unknown }).text}`;
