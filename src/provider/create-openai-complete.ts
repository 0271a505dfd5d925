import { trustedComplete, type Complete } from './completion.js';
import type { OpenAIProviderOptions } from './openai-options.js';
import { createRedactor } from '../redact.js';
import { createSdkComplete } from './sdk-complete.js';
import { checkOpenAIOptions } from './check-openai-options.js';

/**
 * A `Complete` over the official openai SDK (sdk-complete.ts), made and warmed up in the background
 * from here: the warm-up (what it loads on first use) overlaps with reading the input and opening
 * the output instead of delaying the first request (bench/results/2026-11-24.md). Made a tick
 * later, so that a failure to make it surfaces on first use, as a load failure did.
 */
export function createOpenAIComplete(options: OpenAIProviderOptions): Complete {
  // Refused here, where the caller made the mistake, as UsageErrors (see check-openai-options.ts).
  checkOpenAIOptions(options);
  // Its own key is scrubbed even when the caller passes no redactor: a server that echoes it in a 401
  // would otherwise put it in every row's error and the run's outcome (the CLI passes its own).
  const redact = options.redact ?? createRedactor([options.apiKey]);
  const ready = Promise.resolve().then(() => createSdkComplete({ ...options, redact }));
  // Warm-up starts at once too; the engine awaits it before the first paced request.
  const warm = ready.then((c) => c.warmUp());
  warm.catch(() => {}); // a load failure surfaces on first use
  // Once loaded, requests go straight to it: no extra promise per request.
  let loaded: Complete | undefined;
  void ready.then(
    (c) => {
      loaded = c;
    },
    () => {},
  );
  const complete: Complete = (request, context) => (loaded ? loaded(request, context) : ready.then((c) => c(request, context)));
  return trustedComplete(Object.assign(complete, { warmUp: () => warm, close: () => ready.then((c) => c.close()).catch(() => {}) }));
}
