import { UsageError } from '../errors.js';
import type { OpenAIProviderOptions } from './openai-options.js';
import { sendable } from './chat-target.js';

/** A value as a refusal names it: its kind, never its text (a key, a URL with a password in it). */
const kind = (value: unknown): string => (value === null ? 'null' : typeof value);

/**
 * What a plain-JS caller may pass `createOpenAIComplete`, checked where it is called: otherwise
 * no options failed with a TypeError reading `redact`, and a baseURL that is no URL or not http(s)
 * with a TypeError or undici's InvalidArgumentError thrown out of the run's loop.
 */
export function checkOpenAIOptions(options: unknown): asserts options is OpenAIProviderOptions {
  if (options === null || typeof options !== 'object') {
    throw new UsageError(`createOpenAIComplete takes an options object ({ apiKey, baseURL }), got ${options === undefined ? 'undefined' : kind(options)}`);
  }
  const { apiKey, baseURL } = options as Record<string, unknown>;
  if (apiKey !== undefined && typeof apiKey !== 'string') throw new UsageError(`apiKey must be a string, got ${kind(apiKey)}`);
  if (baseURL !== undefined) {
    const protocol = typeof baseURL === 'string' && URL.canParse(baseURL) ? new URL(baseURL).protocol : undefined;
    if (protocol !== 'http:' && protocol !== 'https:') {
      const got = typeof baseURL !== 'string' ? kind(baseURL) : protocol ? `a URL with protocol ${protocol}` : 'a string that is no URL';
      throw new UsageError(`baseURL must be an http:// or https:// URL, got ${got}`);
    }
  }
  for (const name of ['fetch', 'proxyFor', 'redact', 'trace'] as const) {
    const value = (options as Record<string, unknown>)[name];
    if (value !== undefined && typeof value !== 'function') throw new UsageError(`${name} must be a function, got ${kind(value)}`);
  }
  // Checked here for every path: the SDK's (a `fetch` or `trace` given) sent a bad one as rows of
  // retried connection errors, where the lean path refused it.
  for (const name of ['organization', 'project'] as const) {
    const value = (options as Record<string, unknown>)[name];
    if (value !== undefined && typeof value !== 'string') throw new UsageError(`${name} must be a string, got ${kind(value)}`);
    if (typeof value === 'string' && value.trim() !== '') sendable(value.trim(), `the ${name}`);
  }
  const { connections } = options as Record<string, unknown>;
  if (connections !== undefined && !(typeof connections === 'number' && Number.isInteger(connections) && connections > 0)) {
    throw new UsageError(`connections must be a positive integer, got ${typeof connections === 'number' ? connections : kind(connections)}`);
  }
}
