import { OPENAI_V1 } from './openai-url.js';

/**
 * Why a 401 or 403 stopped a run that had no key: with OPENAI_API_KEY unset a placeholder is sent
 * (keyless local servers take any), and a server that wants a key echoes that placeholder back
 * ("Incorrect API key provided: no-key"). Said as what it is: the variable is not set, and the
 * server asked for one. `baseURL` is shown as given: credentials in it are refused before any call.
 */
export function noKeyRefusal(baseURL: string | undefined, message: string): string {
  return `OPENAI_API_KEY is not set, and the server at ${baseURL ?? OPENAI_V1} wants one (${message}): export it`;
}
