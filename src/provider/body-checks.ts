import type { HeaderSource } from '../types.js';
import { AttemptError } from './completion.js';

/**
 * A 200 whose body is not the API's JSON: a web page (a --base-url without /v1, a login portal) or
 * nothing at all. Named, so the row and the circuit breaker can say what is wrong.
 */
export function notAnApiBody(raw: string, contentType: string | null): AttemptError | undefined {
  const text = raw.trimStart();
  if (text === '') return new AttemptError('bad_response', 'the server answered with an empty body', { code: 'empty_response' });
  if (text.startsWith('<') || /text\/html/i.test(contentType ?? '')) {
    const title = /<title[^>]*>([^<]{1,120})/i.exec(text)?.[1]?.trim();
    return new AttemptError('bad_response', `the server sent an HTML page${title ? ` ("${title}")` : ''}, not the API's JSON`, { code: 'html_response' });
  }
  return undefined;
}

/** A streamed request that got no events at all: why, from the response headers. */
export function notAStream(headers: HeaderSource): AttemptError | undefined {
  const type = headers.get('content-type') ?? '';
  if (/text\/event-stream/i.test(type)) return undefined;
  if (/text\/html/i.test(type)) return new AttemptError('bad_response', "the server sent an HTML page, not the API's event stream", { code: 'html_response' });
  if (/json/i.test(type)) {
    return new AttemptError('bad_response', 'the server ignored "stream": true and sent a whole JSON answer (try --no-stream)', { code: 'not_streamed' });
  }
  if (headers.get('content-length') === '0' || type === '')
    return new AttemptError('bad_response', 'the server answered with an empty body', { code: 'empty_response' });
  return undefined;
}
