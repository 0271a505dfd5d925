import type { Complete } from '../provider/completion.js';
import { createOpenAIComplete } from '../provider/create-openai-complete.js';
import { createMockFetch } from '../provider/mock-fetch.js';
import { createRedactor } from '../redact.js';
import { apiKeyOf, type CliConfig } from './config.js';
import type { CliIo } from './io.js';
import { openTrace } from './trace-target.js';
import { proxyFromEnv } from './proxy-env.js';
import { chatBaseURL } from './chat-base-url.js';
import { OPENAI_V1 } from '../provider/openai-url.js';

export interface Provider {
  complete: Complete;
  /** Scrubs the key and proxy credentials from any text shown to the user. */
  redact: (text: string) => string;
  /** Requests go through a proxy (HTTPS_PROXY…): a refused connection is the proxy's. */
  viaProxy: boolean;
}

/** A provider before its completion function is made: see providerSettings. */
export type ProviderSettings = Omit<Provider, 'complete'> & { start: () => Complete };

/** The completion function for --mock or a real server (key, base URL, proxy from the environment). */
export function createProvider(config: CliConfig, io?: CliIo): Provider {
  const settings = providerSettings(config, io);
  return { complete: settings.start(), redact: settings.redact, viaProxy: settings.viaProxy };
}

/**
 * The provider's settings, checked (a proxy from the environment, the --trace file opened) where the
 * run's order of checks puts them; `start()` makes the completion function, and starts loading the
 * SDK, once nothing more can refuse the run before it sends.
 */
export function providerSettings(config: CliConfig, io?: CliIo): ProviderSettings {
  const apiKey = apiKeyOf(config);
  const proxy = config.provider.kind === 'openai' ? proxyFromEnv(config.provider.baseURL) : undefined;
  const redact = createRedactor([apiKey, ...(proxy?.secrets ?? [])]);
  const trace = io ? openTrace(config, io) : undefined;
  const start = () =>
    createOpenAIComplete({
      apiKey: config.provider.kind === 'mock' ? 'mock-key' : apiKey,
      baseURL: chatBaseURL(config),
      ...(config.provider.kind === 'openai' ? { organization: config.provider.organization, project: config.provider.project } : {}),
      fetch: config.provider.kind === 'mock' ? createMockFetch() : undefined,
      proxyFor: proxy?.proxyFor,
      connections: config.concurrency,
      redact,
      trace,
    });
  const viaProxy = config.provider.kind === 'openai' && proxy?.proxyFor(config.provider.baseURL ?? OPENAI_V1) !== undefined;
  return { redact, viaProxy, start };
}
