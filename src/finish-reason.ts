/**
 * What a finish_reason says of an answer, in the words compatible servers use besides OpenAI's own
 * (`stop`, `length`, `tool_calls`, `content_filter`).
 */

/** Reasons for an answer cut at a limit, and that limit in words. */
const CUT: ReadonlyMap<string, string> = new Map([
  ['length', 'the token limit'],
  // Mistral: the model's context window filled before max_tokens did.
  ['model_length', "the model's context length"],
]);

/**
 * The limit an answer was cut off at, in words, or undefined when it was not cut: everything a
 * `length` answer is (counted truncated, failed by --fail-truncated, a cut JSON not re-asked), a
 * Mistral `model_length` one is too.
 */
export function cutOffAt(finishReason: string | null | undefined): string | undefined {
  return finishReason ? CUT.get(finishReason) : undefined;
}

/**
 * Whether an answer was cut at the model's context length (Mistral's `model_length`) rather than at
 * the token limit: a higher max_tokens does not mend it (a shorter prompt, or a model with a longer
 * context, does), so the summary counts it apart.
 */
export function cutAtContext(finishReason: string | null | undefined): boolean {
  return finishReason === 'model_length';
}

/**
 * Reasons a server gives for an answer it broke off itself, not the model: vLLM's `abort` (the
 * engine aborted the request: a shutdown, a scale-down, a pause), DeepSeek's
 * `insufficient_system_resource`. The text is a fragment, whole only in looks: a failed attempt,
 * retried as finish_reason `error` is, and never stored in the response cache.
 */
const BROKEN_OFF: ReadonlySet<string> = new Set(['abort', 'insufficient_system_resource']);

export function brokenOff(finishReason: unknown): boolean {
  return typeof finishReason === 'string' && BROKEN_OFF.has(finishReason);
}
