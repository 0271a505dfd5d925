import type http from 'node:http';
import type { Dispatcher } from 'undici';
import { CREDENTIALS, MAX_REDIRECTS, type AgentPool } from './agent-pool.js';
import { dispatchChat } from './chat-dispatch.js';
import { IncomingChatResponse, type ChatResponse } from './chat-response.js';
import { ProxyRefusedError, fetchFailed } from './http-fetch.js';
import { TooManyRedirects } from './too-many-redirects.js';
import { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError } from './sdk-errors.js';
import { signalOf, type AbortSource, type AbortState } from './completion.js';
import { nodeHttp, nodeHttps } from '../util/node-http.js';

/** Where chat completions go and what every request carries, settled once per run. */
export interface ChatTarget {
  url: URL;
  /** Lower-case names: key, user agent, organization, project… (chat-target.ts). */
  headers: Record<string, string>;
  pool: AgentPool;
}

/**
 * POSTs one chat-completions body to `target.url` and resolves with the response (any status), its
 * body not yet read. A 307/308 is returned as it is: `followRedirects` takes it from there. Over a
 * direct connection this is the dispatcher's own promise, no async function of its own: every
 * suspended call stays alive, with what it holds, as long as the request is in flight (issue 16).
 *
 * Failures before a response are the SDK's own error objects, the ones it threw for the same
 * failure (`APIUserAbortError` once the attempt was aborted, else `APIConnectionError` over a
 * `fetch failed` TypeError whose cause is the network error or a `ProxyRefusedError`), so the one
 * classifier maps them exactly as before. An abort after the response destroys it with the
 * signal's reason.
 */
export function postChat(target: ChatTarget, body: string, abort: AbortSource): Promise<ChatResponse> {
  return postOnce(target.pool, target.url, target.headers, body, abort);
}

/** Whether a response is a redirect the SDK's fetch followed. */
export const isRedirect = (status: number): boolean => status === 307 || status === 308;

/**
 * Follows a 307/308 `response` to `target` as the SDK's fetch did (credentials dropped on leaving
 * the origin; 301/302/303 come back as they are), up to MAX_REDIRECTS hops; resolves with the
 * first response that is not one it follows, and fails with TooManyRedirects when one after
 * MAX_REDIRECTS hops would be followed again.
 */
export async function followRedirects(target: ChatTarget, body: string, abort: AbortSource, response: ChatResponse): Promise<ChatResponse> {
  let url = target.url;
  let headers = target.headers;
  for (let hops = 0; ; hops++) {
    const status = response.status;
    if (!isRedirect(status)) return response;
    const location = response.headers.get('location');
    if (!location) return response;
    const next = URL.canParse(location, url.href) ? new URL(location, url) : undefined;
    if (!next || (next.protocol !== 'http:' && next.protocol !== 'https:')) return response;
    response.discard();
    if (hops === MAX_REDIRECTS) throw new TooManyRedirects(status, url);
    if (next.origin !== url.origin) {
      const kept = { ...headers };
      for (const name of CREDENTIALS) delete kept[name];
      headers = kept;
    }
    url = next;
    response = await postOnce(target.pool, url, headers, body, abort);
  }
}

/**
 * Direct connections go through undici, whose handler hears of an abort from the attempt's watch
 * (AttemptContext.aborts) when it has one; a proxy's through its node:http agent, which listens to
 * the signal.
 */
function postOnce(pool: AgentPool, url: URL, headers: Record<string, string>, body: string, abort: AbortSource): Promise<ChatResponse> {
  const found = pool.dispatcherFor(url);
  if (found instanceof Promise)
    return found.then((direct) => (direct ? postDirect(direct, url, headers, body, abort) : postViaAgent(pool, url, headers, body, signalOf(abort))));
  return found !== undefined ? postDirect(found, url, headers, body, abort) : postViaAgent(pool, url, headers, body, signalOf(abort));
}

function postDirect(direct: Dispatcher, url: URL, headers: Record<string, string>, body: string, abort: AbortSource): Promise<ChatResponse> {
  return dispatchChat(direct, url, rawHeaders(headers), body, abort, userAbort, directFailure);
}

/** A failure of the dispatcher in the SDK's words (see postChat): an abort stays an abort. */
const directFailure = (err: unknown, abort: AbortState): unknown => (err instanceof APIUserAbortError ? err : connectionError(err, abort));

async function postViaAgent(pool: AgentPool, url: URL, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<ChatResponse> {
  let agent: http.Agent;
  try {
    const found = pool.agentFor(url);
    agent = found instanceof Promise ? await found : found;
  } catch (err) {
    throw connectionError(err, signal);
  }
  // A proxy agent may rewrite the request's headers: an object, not a raw list.
  const sent = { ...headers, 'content-length': String(Buffer.byteLength(body)) };
  return new IncomingChatResponse(await send(url, sent, body, signal, agent, pool.viaProxy(agent)));
}

const userAbort = () => new APIUserAbortError();

/** The names and values every request carries, as undici's flat raw-header list. */
const rawHeaderLists = new WeakMap<Record<string, string>, string[]>();

/**
 * The request's headers as a flat `[name, value, …]` list, made once per header set: undici writes
 * them as they are, then `host` and `content-length` of its own.
 */
function rawHeaders(headers: Record<string, string>): string[] {
  let list = rawHeaderLists.get(headers);
  if (!list) {
    list = [];
    for (const [name, value] of Object.entries(headers)) if (name !== 'content-length' && name !== 'host') list.push(name, value);
    rawHeaderLists.set(headers, list);
  }
  return list;
}

function connectionError(err: unknown, abort: AbortState): Error {
  return failedFetch(fetchFailed(err), abort);
}

/**
 * What the SDK threw when its `fetch` rejected with `err`: an abort once the signal fired, a
 * timeout when the error reads like one (a connect ETIMEDOUT, say), else a connection error.
 */
export function failedFetch(err: unknown, abort: AbortState): Error {
  if (abort.aborted) return new APIUserAbortError();
  const cause = err instanceof Error && 'cause' in err ? String(err.cause) : '';
  if ((err instanceof Error && err.name === 'AbortError') || /timed? ?out/i.test(String(err) + cause)) return new APIConnectionTimeoutError();
  return new APIConnectionError({ cause: err instanceof Error ? err : new Error(String(err)) });
}

function send(
  url: URL,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
  agent: http.Agent,
  viaProxy: boolean,
): Promise<http.IncomingMessage> {
  if (signal.aborted) return Promise.reject(new APIUserAbortError());
  const transport = url.protocol === 'https:' ? nodeHttps() : nodeHttp();
  return new Promise((resolve, reject) => {
    let response: http.IncomingMessage | undefined;
    const onAbort = () => {
      if (response) response.destroy(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      else {
        request.destroy();
        reject(new APIUserAbortError());
      }
    };
    const request = transport.request(url, { method: 'POST', headers, agent }, (res) => {
      response = res;
      res.once('close', () => signal.removeEventListener('abort', onAbort));
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 599) {
        // The built-in `Response` refuses these; the SDK saw a failed fetch.
        res.destroy();
        reject(connectionError(new RangeError(`status ${status} outside 200-599`), signal));
        return;
      }
      resolve(res);
    });
    request.on('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      if (!response) reject(connectionError(err, signal));
    });
    if (viaProxy) {
      // https-proxy-agent hands a refused CONNECT on as if the server had answered it: a 403 would
      // read as "the API key was rejected". 407 is left to come through (it stops the run as such).
      request.once('proxyConnect', (connect: { statusCode?: number }) => {
        const code = connect.statusCode;
        if (code === undefined || code === 200 || code === 407) return;
        signal.removeEventListener('abort', onAbort);
        request.destroy();
        reject(connectionError(new ProxyRefusedError(code, url.host), signal));
      });
    }
    signal.addEventListener('abort', onAbort, { once: true });
    request.end(body);
  });
}
