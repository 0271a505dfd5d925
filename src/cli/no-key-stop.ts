import type { CliConfig } from './config.js';
import { noKeyRefusal } from '../provider/no-key-refusal.js';
import { isRegionRefusal } from '../provider/region-refusal.js';
import { maskedBaseUrl } from './masked-base-url.js';

/**
 * A live run's 401 or 403 when OPENAI_API_KEY was not set: the server wants a key it was not
 * given, not "rejected the API key" (it was shown our placeholder). Undefined when a key was set,
 * or the refusal is of the country or region the requests come from.
 */
export function noKeyStopLine(config: CliConfig, message: string): string | undefined {
  const p = config.provider;
  if (p.kind !== 'openai' || p.apiKey !== undefined || isRegionRefusal(message)) return undefined;
  return `${noKeyRefusal(p.baseURL === undefined ? undefined : maskedBaseUrl(p.baseURL, undefined), message)}. Stopped before sending more.`;
}
