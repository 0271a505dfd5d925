import type { Complete } from './completion.js';

export interface OpenAIProviderOptions {
  apiKey: string | undefined;
  baseURL: string | undefined;
  /** Replaces the network (the `--mock` provider, tests). */
  fetch?: typeof fetch;
  /** The proxy for a request URL, if any (from HTTPS_PROXY, HTTP_PROXY, NO_PROXY…). */
  proxyFor?: (url: string) => string | undefined;
  /** Scrubs secrets from error messages (servers echo keys in 401s). */
  redact?: (text: string) => string;
}

/**
 * A `Complete` over the official openai SDK (see openai-complete.ts). The SDK is imported and
 * warmed up in the background from here, so its ~60 ms of loading overlaps with reading the input
 * and opening the output instead of delaying the first request.
 */
export function createOpenAIComplete(options: OpenAIProviderOptions): Complete {
  const ready = import('./sdk-complete.js').then((m) => m.createClientComplete(options));
  // Warm-up starts at once too; the engine awaits it before the first paced request.
  const warm = ready.then((c) => c.warmUp());
  warm.catch(() => {}); // a load failure surfaces on first use
  const complete: Complete = async (request, context) => (await ready)(request, context);
  return Object.assign(complete, { warmUp: () => warm });
}
