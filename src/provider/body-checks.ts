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

/**
 * A 204 or 205: a success that carries no answer, by definition. The empty body's failure, naming
 * the status (so the row and the circuit breaker's line do not say 200).
 */
export function noContent(status: number): AttemptError {
  return new AttemptError('bad_response', `the server answered HTTP ${status} with no body`, { code: 'empty_response', status });
}

/**
 * A 200 whose body is an error in place of an answer, with the server's words. Named, so the
 * circuit breaker can stop a run whose every request gets one (LM Studio answers so on a path it
 * does not serve) rather than ask each prompt four times.
 */
export function errorInBody(words: string): AttemptError {
  return new AttemptError('bad_response', `server error in body: ${words}`, { code: 'error_response' });
}

/**
 * How much of a streamed body is kept while no event has come: enough for any error body, page or
 * whole answer a server sends instead of a stream, never a huge body whole. A longer one is judged
 * by its content-type alone.
 */
export const STREAM_HEAD_CHARS = 256 * 1024;

/** A whole chat completion where a stream was asked for: the one case that --no-stream mends. */
export function notStreamed(): AttemptError {
  return new AttemptError('bad_response', 'the server ignored "stream": true and sent a whole JSON answer (try --no-stream)', { code: 'not_streamed' });
}

/** An event stream where a whole answer was asked for: the one case that dropping --no-stream mends. */
export function streamedAnyway(): AttemptError {
  return new AttemptError('bad_response', 'the server ignored "stream": false and sent an event stream (drop --no-stream)', {
    code: 'streamed_anyway',
  });
}

/**
 * Whether a body that is not JSON is an event stream: it opens with an SSE field (`data:`, `event:`,
 * `id:`, `retry:`) or comment, whatever its content-type says (a JSON error labelled
 * text/event-stream is not one).
 */
export function heldEvents(raw: string): boolean {
  return /^\s*(?::|(?:data|event|id|retry):)/.test(raw);
}

/**
 * A streamed request that got no events at all, and whose body was not kept (longer than
 * STREAM_HEAD_CHARS): why, from the response headers.
 */
export function notAStream(headers: HeaderSource): AttemptError | undefined {
  const type = headers.get('content-type') ?? '';
  if (/text\/event-stream/i.test(type)) return undefined;
  if (/text\/html/i.test(type)) return new AttemptError('bad_response', "the server sent an HTML page, not the API's event stream", { code: 'html_response' });
  if (/json/i.test(type)) return notStreamed();
  if (headers.get('content-length') === '0' || type === '')
    return new AttemptError('bad_response', 'the server answered with an empty body', { code: 'empty_response' });
  return undefined;
}

/**
 * Whether a streamed body in which no event came (kept whole, see STREAM_HEAD_CHARS) is judged as
 * the same body without streaming would be: always when it is not labelled an event stream; when it
 * is, if it is empty or no SSE at all (a JSON error, a page, a whole answer), but not when it held
 * only comments or an event cut short: that is a stream cut before its first event.
 */
export function judgedWhole(body: string, headers: HeaderSource): boolean {
  return !/text\/event-stream/i.test(headers.get('content-type') ?? '') || /^\s*(?:[[{<]|$)/.test(body);
}
