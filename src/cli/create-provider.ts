import type { Complete } from '../provider/completion.js';
import { createOpenAIComplete } from '../provider/create-openai-complete.js';
import { createMockFetch } from '../provider/mock-fetch.js';
import { createRedactor } from '../redact.js';
import type { CliConfig } from './config.js';
import type { CliIo } from './io.js';
import { openTrace } from './trace-target.js';
import { proxyFromEnv } from './proxy-env.js';

export interface Provider {
  complete: Complete;
  /** Scrubs the key and proxy credentials from any text shown to the user. */
  redact: (text: string) => string;
  /** Requests go through a proxy (HTTPS_PROXY…): a refused connection is the proxy's. */
  viaProxy: boolean;
}

/** The completion function for --mock or a real server (key, base URL, proxy from the environment). */
export function createProvider(config: CliConfig, io?: CliIo): Provider {
  const apiKey = config.provider.kind === 'openai' ? config.provider.apiKey : undefined;
  const proxy = config.provider.kind === 'openai' ? proxyFromEnv(config.provider.baseURL) : undefined;
  const redact = createRedactor([apiKey, ...(proxy?.secrets ?? [])]);
  const complete = createOpenAIComplete({
    apiKey: config.provider.kind === 'mock' ? 'mock-key' : apiKey,
    baseURL: config.provider.kind === 'mock' ? 'http://mock.invalid/v1' : config.provider.baseURL,
    fetch: config.provider.kind === 'mock' ? createMockFetch() : undefined,
    proxyFor: proxy?.proxyFor,
    connections: config.concurrency,
    redact,
    trace: io ? openTrace(config, io) : undefined,
  });
  const viaProxy = config.provider.kind === 'openai' && proxy?.proxyFor(config.provider.baseURL ?? 'https://api.openai.com/v1') !== undefined;
  return { complete, redact, viaProxy };
}
