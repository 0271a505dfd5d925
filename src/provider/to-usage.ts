import type { Usage } from '../types.js';

/** Usage as the server reports it; cached prompt tokens kept for pricing (they bill lower). */
export function toUsage(u: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details?: { cached_tokens?: number } | null }): Usage {
  const cached = u.prompt_tokens_details?.cached_tokens;
  const usage: Usage = { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens };
  if (typeof cached === 'number' && cached > 0) usage.cached_tokens = cached;
  return usage;
}
