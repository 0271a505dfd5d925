import type { Usage } from '../types.js';

/**
 * Two usages added up (a re-ask's tokens to its row's, a replaced row's to the row that replaces
 * it); `cached_tokens` kept when either reported it, so the cached part is still priced as such.
 */
export function addUsage(total: Usage | null, usage: Usage | null): Usage | null {
  if (!usage) return total;
  if (!total) return { ...usage };
  const cached = total.cached_tokens === undefined && usage.cached_tokens === undefined ? undefined : (total.cached_tokens ?? 0) + (usage.cached_tokens ?? 0);
  return {
    prompt_tokens: total.prompt_tokens + usage.prompt_tokens,
    completion_tokens: total.completion_tokens + usage.completion_tokens,
    ...(cached === undefined ? {} : { cached_tokens: cached }),
  };
}
