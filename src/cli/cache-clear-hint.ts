import { shellQuote } from './shell-quote.js';

/** "`llm-batch cache clear --cache-dir DIR` removes it": the command for a cache that cannot be used, ready to paste. */
export function cacheClearHint(cacheDir: string | undefined): string {
  return `\`llm-batch cache clear${cacheDir === undefined ? '' : ` --cache-dir ${shellQuote(cacheDir)}`}\` removes it`;
}
