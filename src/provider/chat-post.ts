import http from 'node:http';
import https from 'node:https';
import { CREDENTIALS, MAX_REDIRECTS, type AgentPool } from './agent-pool.js';
import { ProxyRefusedError, fetchFailed } from './http-fetch.js';
import { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError } from './sdk.js';

/** Where chat completions go and what every request carries, settled once per run. */
export interface ChatTarget {
  url: URL;
  /** Lower-case names; the SDK's own headers (key, user agent, organization, project…). */
  headers: Record<string, string>;
  pool: AgentPool;
}

/**
 * POSTs one chat-completions body and resolves with the response (any status), its body not yet
 * read, after following 307/308 redirects as the SDK's fetch did (credentials dropped on leaving
 * the origin; 301/302/303 come back as they are).
 *
 * Failures before a response are the SDK's own error objects, the ones it threw for the same
 * failure (`APIUserAbortError` once `signal` fired, else `APIConnectionError` over a
 * `fetch failed` TypeError whose cause is the network error or a `ProxyRefusedError`), so the one
 * classifier maps them exactly as before. An abort after the response destroys it with the
 * signal's reason.
 */
export async function postChat(target: ChatTarget, body: string, signal: AbortSignal): Promise<http.IncomingMessage> {
  let url = target.url;
  let headers = target.headers;
  const length = String(Buffer.byteLength(body));
  for (let hops = 0; ; hops++) {
    const found = target.pool.agentFor(url);
    let agent: http.Agent;
    try {
      agent = found instanceof Promise ? await found : found;
    } catch (err) {
      throw connectionError(err, signal);
    }
    const viaProxy = target.pool.viaProxy(agent);
    // A proxy agent may rewrite the request's headers, which the raw form has already rendered.
    const sent = viaProxy ? { ...headers, 'content-length': length } : rawHeaders(headers, url, length);
    const response = await send(url, sent, body, signal, agent, viaProxy);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if ((status !== 307 && status !== 308) || !location || hops === MAX_REDIRECTS) return response;
    const next = URL.canParse(location, url.href) ? new URL(location, url) : undefined;
    if (!next || (next.protocol !== 'http:' && next.protocol !== 'https:')) return response;
    response.resume();
    if (next.origin !== url.origin) {
      const kept = { ...headers };
      for (const name of CREDENTIALS) delete kept[name];
      headers = kept;
    }
    url = next;
  }
}

/** The names and values every request to a host carries, as node:http's flat raw-header list. */
const rawHeaderLists = new WeakMap<Record<string, string>, Map<string, string[]>>();

/**
 * The request's headers as a flat `[name, value, …]` list: node:http then renders them as they
 * are, where an object costs a validated `setHeader` per header per request (12 of them, most the
 * SDK's own). What goes on the wire is the same: the same names in the same order, `Host` last.
 */
function rawHeaders(headers: Record<string, string>, url: URL, length: string): string[] {
  let byHost = rawHeaderLists.get(headers);
  if (!byHost) {
    byHost = new Map();
    rawHeaderLists.set(headers, byHost);
  }
  let list = byHost.get(url.host);
  if (!list) {
    list = [];
    for (const [name, value] of Object.entries(headers)) if (name !== 'content-length' && name !== 'host') list.push(name, value);
    byHost.set(url.host, list);
  }
  return [...list, 'content-length', length, 'Host', url.host];
}

function connectionError(err: unknown, signal: AbortSignal): Error {
  return failedFetch(fetchFailed(err), signal);
}

/**
 * What the SDK threw when its `fetch` rejected with `err`: an abort once the signal fired, a
 * timeout when the error reads like one (a connect ETIMEDOUT, say), else a connection error.
 */
export function failedFetch(err: unknown, signal: AbortSignal): Error {
  if (signal.aborted) return new APIUserAbortError();
  const cause = err instanceof Error && 'cause' in err ? String(err.cause) : '';
  if ((err instanceof Error && err.name === 'AbortError') || /timed? ?out/i.test(String(err) + cause)) return new APIConnectionTimeoutError();
  return new APIConnectionError({ cause: err instanceof Error ? err : new Error(String(err)) });
}

function send(
  url: URL,
  headers: Record<string, string> | string[],
  body: string,
  signal: AbortSignal,
  agent: http.Agent,
  viaProxy: boolean,
): Promise<http.IncomingMessage> {
  if (signal.aborted) return Promise.reject(new APIUserAbortError());
  const transport = url.protocol === 'https:' ? https : http;
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
