import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAIError } from './sdk-errors.js';
import { ProxyRefusedError } from './http-fetch.js';
import { AttemptError } from './completion.js';
import { redirectLoop } from './too-many-redirects.js';
import { errorMessage } from '../util/error-message.js';
import { providerErrorMessage } from './error-body.js';
import { CONTEXT_LENGTH_EXCEEDED } from '../errors.js';
import { REGION_REFUSAL, refusesRegion } from './region-refusal.js';
import { isUnfollowedRedirect, unfollowedRedirect } from './unfollowed-redirect.js';
import { clipText } from '../util/clip-text.js';

/** A proxy's 407, in a row and in the line that stops the run (live and --batch-api). */
export const PROXY_CREDENTIALS_REFUSED = 'the proxy asks for credentials it was not given or refused (HTTP 407)';

/** What to check after a proxy's refusal, said after it. */
export const PROXY_ADVICE = 'check HTTPS_PROXY / HTTP_PROXY (host, credentials) and NO_PROXY';

/** The proxy's refusal to tunnel, anywhere in an error's `cause` chain. */
export function proxyRefusal(err: unknown): ProxyRefusedError | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ProxyRefusedError) return e;
  }
  return undefined;
}

/**
 * Network error codes worth naming (ECONNRESET, UND_ERR_SOCKET, DEPTH_ZERO_SELF_SIGNED_CERT…), found on
 * an error or anywhere in its `cause` chain.
 */
function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{2,}$/.test(code)) return code;
  }
  return undefined;
}

/** The server's words in an error response: one line, its status not repeated, at most 500 characters. */
export function serverMessage(err: APIError): string {
  let msg = (providerErrorMessage(err.error, err.status) ?? err.message).replace(/\s+/g, ' ').trim();
  // The row says `HTTP 502: …` already: the status once (nginx titles its page "502 Bad Gateway").
  if (err.status !== undefined && msg.startsWith(`${err.status} `)) msg = msg.slice(String(err.status).length + 1);
  if (msg === 'status code (no body)') msg = 'no body';
  return clipText(msg, 500);
}

/** An error's `code` that is an HTTP error status (400–599; a number, or its digits as LiteLLM sends it), or undefined. */
function statusCode(code: unknown): number | undefined {
  const n = typeof code === 'string' && /^\d{3}$/.test(code) ? Number(code) : code;
  return typeof n === 'number' && Number.isInteger(n) && n >= 400 && n <= 599 ? n : undefined;
}

/** OpenRouter's 403 for a key past its spending cap: "Key limit exceeded (monthly limit)". */
const KEY_SPEND_LIMIT = /\bkey limit exceeded\b/i;

/** A LiteLLM proxy's key (or team, user) past its budget: a 429, from older proxies a 400. */
const BUDGET_EXCEEDED = 'budget_exceeded';

/**
 * A refusal that only more money lifts: waiting will not, so a run stops (exit 3) and `--resume`
 * continues once the account is topped up. A 429 `insufficient_quota`, a 402 (out of credits:
 * OpenRouter, DeepSeek), a 403 for a key past its spending cap (OpenRouter's "Key limit exceeded"),
 * a LiteLLM proxy's `budget_exceeded` ("Budget has been exceeded! …"; retried as a rate limit, every
 * prompt spent its 4 tries on it and the run never stopped).
 */
export function outOfFunds(status: number, code: unknown, type: unknown, message: string): boolean {
  if (type === BUDGET_EXCEEDED && (status === 429 || status === 400)) return true;
  if (status === 429) return code === 'insufficient_quota' || type === 'insufficient_quota';
  return status === 402 || (status === 403 && KEY_SPEND_LIMIT.test(message));
}

/** What lifts an {@link outOfFunds} refusal: a key past its own spending cap or budget needs it raised, not more credit. */
export function fundsAdvice(message: string, type?: unknown): string {
  if (type === BUDGET_EXCEEDED) return "raise the key's budget on the proxy (or wait for it to reset)";
  return KEY_SPEND_LIMIT.test(message) ? "raise the key's spending limit" : 'add credit';
}

/** The refusal's name in the stop line: `HTTP 429 insufficient_quota`, `HTTP 400 budget_exceeded`, `HTTP 402`. */
function fundsRefusal(status: number, type: unknown): string {
  if (type === BUDGET_EXCEEDED) return `HTTP ${status} ${BUDGET_EXCEEDED}`;
  return status === 429 ? 'HTTP 429 insufficient_quota' : `HTTP ${status}`;
}

/** How an error in the answer's choice is worded (OpenRouter's `choices[0].error`: see choiceFailure). */
export const CHOICE_ERROR = 'the server ended the answer with an error (finish_reason "error")';

/**
 * An error a server sent after its 200, where the answer was to be: an event of a stream (vLLM's
 * 500, llama.cpp's 400), a whole body (OpenRouter's `{"error": {"code": 429, …}}`, once a model
 * was at work) or the answer's choice (OpenRouter's `choices[0].error`, the provider behind it
 * failed mid-answer). Its `code` may be an HTTP status: the row says it, a 4xx is not retried, a
 * 429 is a rate limit and a 402 stops the run, as that status on a response does, streamed or not.
 * An event's or a choice's status is not a response's (`inStream`): the answer may be billed up to
 * it. A whole body that is an error holds nothing generated: settled as a response's status is (at 0).
 */
export function errorInAnswer(where: 'stream' | 'body' | 'choice', message: string, rawCode: unknown, type: unknown): AttemptError {
  const said = statusCode(rawCode);
  const code = codeOf(typeof rawCode === 'string' ? rawCode : undefined, message, said);
  const text = where === 'choice' ? `${CHOICE_ERROR}: ${message}` : `error in ${where}: ${message}`;
  if (said === undefined) return new AttemptError('http', text, { code });
  const info = { status: said, ...(code === undefined ? {} : { code }), ...(where === 'body' ? {} : { inStream: true }) };
  if (outOfFunds(said, code, type, message))
    return new AttemptError('quota', `${fundsRefusal(said, type)} (in the ${where}): ${message}`, { ...info, stop: 'quota' });
  return new AttemptError(said === 429 ? 'rate_limit' : 'http', text, info);
}

/**
 * A server's words for a prompt past the model's context: Ollama's "the input length exceeds the
 * context length", llama.cpp's "exceeds the available context size", OpenAI's and vLLM's "maximum
 * context length is N tokens", vLLM's "is longer than the maximum model length" (a 500 through
 * Xinference), LM Studio's "loaded with context length of only N tokens".
 */
const CONTEXT_OVERFLOW =
  /\bexceeds? the (?:available |model's )?context (?:length|size|window)\b|\bmaximum context length is \d|\bcontext length exceeded\b|\bis longer than the maximum model length\b|\bwith context length of only \d/i;

/**
 * The code a failure's row keeps: the server's, or {@link CONTEXT_LENGTH_EXCEEDED} where a failure
 * says in words only that the prompt is too long for the model. For one that would be asked again
 * (Ollama: a 500 or a stream's error event) it stops that: no retry or resume makes it fit; for a
 * 4xx (vLLM's and llama.cpp's 400s) it names the failure as OpenAI's own code does, for whoever
 * groups rows by it. A code that is a status's digits (LiteLLM's `"code": "500"`, vLLM's 400) names
 * no failure of its own: the words decide.
 */
export function codeOf(code: string | undefined, message: string, status?: number): string | undefined {
  const own = code !== undefined && statusCode(code) === undefined;
  // A 429 is a rate limit whatever its words say, and is retried as one: its code stays its own.
  if (own || status === 429) return code;
  return CONTEXT_OVERFLOW.test(message) ? CONTEXT_LENGTH_EXCEEDED : code;
}

/** Whether a body's error `code` is an HTTP error status (see {@link errorInAnswer}). */
export const hasStatusCode = (code: unknown): boolean => statusCode(code) !== undefined;

/** OpenRouter's 403 for an input its moderation flagged: the error's `metadata` names the reasons and the input. */
function flaggedInput(error: unknown): boolean {
  const metadata = (error as { metadata?: { reasons?: unknown; flagged_input?: unknown } } | undefined)?.metadata;
  return typeof metadata === 'object' && metadata !== null && (Array.isArray(metadata.reasons) || typeof metadata.flagged_input === 'string');
}

/** A 403 that refuses one model (a project without access to it) or one input (OpenRouter's moderation), not the key. */
export function refusesOneRequest(status: number, code: unknown, error: unknown): boolean {
  return status === 403 && (code === 'model_not_found' || flaggedInput(error));
}

/**
 * The single place where SDK and network failures become typed attempt errors. Order matters:
 * the SDK's timeout error is a subclass of its connection error, so specific classes come first.
 */
export function classifyError(err: unknown): AttemptError {
  if (err instanceof AttemptError) return err;
  if (err instanceof APIUserAbortError) return new AttemptError('aborted', 'request aborted');
  if (err instanceof APIConnectionTimeoutError) return new AttemptError('timeout', 'timed out waiting for the server');
  const refused = proxyRefusal(err);
  if (refused) {
    // Every request would meet the same refusal: stop, as for a rejected key.
    return new AttemptError('connection', refused.message, { status: refused.status, stop: 'proxy' });
  }
  // Thrown by the lean transport as it is, by the SDK's fetch under an APIConnectionError.
  const loop = redirectLoop(err);
  if (loop) return new AttemptError('http', loop.message, { status: loop.status });
  if (err instanceof APIConnectionError) {
    const code = networkCode(err);
    return new AttemptError('connection', `connection failed${code ? ` (${code})` : ''}`, { code });
  }
  if (err instanceof APIError) {
    const status = err.status;
    const headers = err.headers ?? undefined;
    const message = serverMessage(err);
    // An error event inside a stream: the SDK gives it no status.
    if (status === undefined) return errorInAnswer('stream', message, err.code, (err.error as { type?: unknown } | undefined)?.type);
    const code = codeOf(typeof err.code === 'string' ? err.code : undefined, message, status);
    if (status === 407) {
      // The proxy's refusal (its body is the proxy's own page, of no use in a row).
      return new AttemptError('auth', PROXY_CREDENTIALS_REFUSED, { status, headers, stop: 'proxy' });
    }
    if (status === 403 && refusesRegion(code, message)) {
      // Every request comes from the same place: stop as for a rejected key (type `auth`: a 403), worded as what it is.
      return new AttemptError('auth', `${REGION_REFUSAL} (HTTP 403: ${message})`, { status, code, headers, stop: 'auth' });
    }
    if (refusesOneRequest(status, code, err.error)) {
      // A 403 that refuses one model (a project without access to it) or one input (OpenRouter's
      // moderation): that prompt's failed row, as other 4xx are; the run goes on.
      return new AttemptError('http', `HTTP 403: ${message}`, { status, code, headers });
    }
    const type = (err.error as { type?: unknown } | undefined)?.type;
    if (outOfFunds(status, code, type, message)) {
      // Every prompt would meet it until the account is topped up: stop, and let --resume continue.
      return new AttemptError('quota', `${fundsRefusal(status, type)}: ${message}`, { status, code, headers, stop: 'quota' });
    }
    if (status === 401 || status === 403) {
      // Any other 403 stops as a rejected key: a server refusing a wrong key with a 403 would
      // otherwise fail every prompt as a row that --resume then skips.
      return new AttemptError('auth', `HTTP ${status}: ${message}`, { status, code, headers, stop: 'auth' });
    }
    if (status === 429) return new AttemptError('rate_limit', `HTTP 429: ${message}`, { status, code, headers });
    // Not "HTTP 301: no body": where it points, and the --base-url that asks there.
    const redirect = isUnfollowedRedirect(status) ? unfollowedRedirect(status, headers?.get('location')) : undefined;
    return new AttemptError('http', redirect ?? `HTTP ${status}: ${message}`, { status, code, headers });
  }
  if (err instanceof SyntaxError) return new AttemptError('bad_response', `unparsable response body (${clipText(err.message, 200)})`);
  const code = networkCode(err);
  if (code || (err instanceof TypeError && /terminated|fetch failed|socket|network/i.test((err as Error).message))) {
    return new AttemptError('connection', `connection failed${code ? ` (${code})` : `: ${(err as Error).message}`}`, { code });
  }
  if (err instanceof OpenAIError) return new AttemptError('bad_response', clipText(err.message, 500));
  return new AttemptError('connection', clipText(errorMessage(err), 500));
}
