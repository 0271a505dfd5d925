import { APIError } from './sdk-errors.js';
import type { HeaderSource } from '../types.js';

/**
 * The error an event of a stream carries, thrown as the SDK's stream threw it (an APIError without
 * a status): OpenAI's and vLLM's `data: {"error": {…}}`, and TGI's, whose `error` is the message
 * itself (as an object's it was shown as its JSON, quotes and all).
 */
export function streamError(error: unknown, headers: HeaderSource): APIError {
  const body = typeof error === 'string' ? { message: error } : (error as object);
  return new APIError(undefined, body, undefined, headers as unknown as Headers);
}

/**
 * llama.cpp's server writes a stream's error as a field of its own, `error: {"code": 400,
 * "message": …}`, which SSE does not know: dropped, the row said only that the stream ended early
 * (a connection error, retried and asked again by every resume). Its JSON, or the line's words.
 */
export function errorFieldError(value: string, headers: HeaderSource): APIError {
  let said: unknown;
  try {
    said = JSON.parse(value);
  } catch {
    said = undefined;
  }
  return streamError(typeof said === 'object' && said !== null ? said : value.trim() || 'no reason given', headers);
}
