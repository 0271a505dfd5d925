import { tableEntry } from '../pricing.js';

/**
 * Context windows (prompt + answer tokens) of common OpenAI models, as listed in OpenAI's model
 * documentation on PRICES_AS_OF's date. `--dry-run` warns about prompts that cannot fit: the
 * server would refuse each with a 400 after the run has started. Models not listed (local servers,
 * other providers) are not checked.
 */
export const CONTEXT_WINDOWS: Readonly<Record<string, number>> = {
  'gpt-5': 400_000,
  'gpt-5-mini': 400_000,
  'gpt-5-nano': 400_000,
  'gpt-4.1': 1_047_576,
  'gpt-4.1-mini': 1_047_576,
  'gpt-4.1-nano': 1_047_576,
  'gpt-4o': 128_000,
  'gpt-4o-mini': 128_000,
  o3: 200_000,
  'o3-mini': 200_000,
  'o4-mini': 200_000,
  o1: 200_000,
  'o1-mini': 128_000,
  'gpt-4-turbo': 128_000,
  'gpt-3.5-turbo': 16_385,
};

/** The window of a model name as users write it: exact, or a dated snapshot of a listed model; `openai/` prefix ignored. */
export function contextWindowOf(model: string): { model: string; tokens: number } | undefined {
  const entry = tableEntry(CONTEXT_WINDOWS, model);
  return entry && { model: entry.key, tokens: entry.value };
}
