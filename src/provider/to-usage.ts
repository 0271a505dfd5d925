import type { Usage } from '../types.js';

/** Usage as a server sends it: counts are numbers from OpenAI, but not from every compatible server. */
export interface RawUsage {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  total_tokens?: unknown;
  prompt_tokens_details?: { cached_tokens?: unknown } | null;
}

/** A token count: a whole number, 0 or more (or its digits as a string); anything else is none. */
function tokenCount(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

/**
 * Usage as the server reports it; cached prompt tokens kept for pricing (they bill lower). A count
 * that is no whole number (`null`, `"many"`, `-3`, missing: some OpenAI-compatible servers and
 * proxies) makes the usage unknown, as for a server that sends none: the row stays one that
 * `--resume` reads back, and the summary and `--max-cost` never add NaN (which no cap would stop).
 * A `total_tokens` above prompt + completion (xAI's reasoning tokens) counts the rest as completion.
 */
export function toUsage(u: RawUsage): Usage | null {
  const prompt = tokenCount(u.prompt_tokens);
  const completion = tokenCount(u.completion_tokens);
  if (prompt === undefined || completion === undefined) return null;
  // OpenAI counts reasoning tokens inside completion_tokens; xAI (Grok) reports them apart, in
  // completion_tokens_details.reasoning_tokens, and only total_tokens holds them. They are billed as
  // output: tokens the total has beyond prompt and completion are taken as answer tokens, or the cost
  // (and --max-cost) would miss most of a reasoning model's bill.
  const total = tokenCount(u.total_tokens);
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: total !== undefined && total > prompt + completion ? total - prompt : completion };
  const cached = tokenCount(u.prompt_tokens_details?.cached_tokens);
  if (cached !== undefined && cached > 0) usage.cached_tokens = cached;
  return usage;
}
