import { createRedactor } from '../redact.js';

/**
 * A base URL that is no http(s) URL, as a refusal shows it: whatever stands before an `@` in the
 * authority (`TOKEN@`, `user:pw@`, with or without a scheme) as `***@`, everything from a `?` or `#`
 * on as `?***`, and the key scrubbed from the rest. URL parsing cannot find those parts in such a
 * value, and the redactor's URL rules keep an `@` without a scheme and `:` before it, and a query
 * parameter not named for a secret (`?code=…`). One masking for OPENAI_BASE_URL and --base-url alike.
 */
export function maskedBaseUrl(value: string, apiKey: string | undefined): string {
  return createRedactor([apiKey])(value.replace(/^([^/?#]*\/\/)?[^/?#]*@/, '$1***@').replace(/([?#]).*$/s, '$1***'));
}
