import type { Complete } from './types.js';

export interface OpenAIProviderOptions {
  apiKey: string | undefined;
  baseURL: string | undefined;
  /** Replaces the network (the `--mock` provider, tests). */
  fetch?: typeof fetch;
  /** Scrubs secrets from error messages (servers echo keys in 401s). */
  redact?: (text: string) => string;
}

/**
 * A `Complete` over the official openai SDK (see openai-complete.ts). The SDK is imported in the
 * background from here, so its ~60 ms of loading overlaps with reading the input and opening the
 * output instead of delaying the first request.
 */
export function createOpenAIComplete(options: OpenAIProviderOptions): Complete {
  const ready = import('./openai-complete.js').then((m) => m.createClientComplete(options));
  ready.catch(() => {}); // a load failure surfaces on first use
  const complete: Complete = async (request, context) => (await ready)(request, context);
  return Object.assign(complete, { warmUp: async () => (await ready).warmUp() });
}
