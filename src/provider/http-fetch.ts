import type http from 'node:http';
import { Readable } from 'node:stream';
import { contentCoding, decodedBody } from './content-coding.js';
import { CREDENTIALS, MAX_REDIRECTS, createAgentPool, type AgentPool } from './agent-pool.js';
import { nodeHttp, nodeHttps } from '../util/node-http.js';
import { TooManyRedirects } from './too-many-redirects.js';

export interface HttpFetchOptions {
  /** The proxy URL for a request URL, or undefined to connect directly (HTTPS_PROXY, NO_PROXY…). */
  proxyFor?: (url: string) => string | undefined;
  /** Agents shared with other transports; by default a pool of its own from `proxyFor`. */
  pool?: AgentPool;
  /**
   * A 307/308 still redirecting after MAX_REDIRECTS hops fails the fetch with TooManyRedirects (the
   * chat path's, as the lean transport does), instead of coming back as the response.
   * @default false
   */
  failRedirectLoops?: boolean;
}

/**
 * The SDK's transport: a `fetch` over node:http/https with keep-alive agents.
 *
 * Why not the built-in fetch: it costs several times node:http's CPU per streamed request (figures
 * in bench/results/2026-11-24.md). At hundreds of requests per second that CPU is the bottleneck:
 * every response waits its turn on the event loop before its slot can send the next request.
 *
 * It returns a real `Response` (status, headers, a web stream body), so the SDK parses it as it
 * would the built-in one's. It covers what the SDK sends for chat completions: a method, headers, a
 * string or byte body and an AbortSignal; and a web stream body (the SDK's streamed multipart upload
 * of a Batch API file), piped with backpressure. Anything else (another body type, a `Request` object, a
 * scheme other than http/https) goes to the built-in fetch. It follows 307/308 redirects (they keep
 * the method and body; credentials are dropped when one leaves the origin, as fetch does), not
 * 301/302/303, which would turn the POST into a GET. It asks for no compression. Through a proxy
 * when `proxyFor` names one for the origin.
 */
export function createHttpFetch(fallback: typeof fetch = globalThis.fetch, options: HttpFetchOptions = {}): typeof fetch {
  const pool = options.pool ?? createAgentPool(options.proxyFor);
  const isWeb = (u: URL) => u.protocol === 'http:' || u.protocol === 'https:';
  return async (input, init) => {
    const body = init?.body;
    const simpleBody = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array || body instanceof ReadableStream;
    const first = typeof input === 'string' ? new URL(input) : input instanceof URL ? input : undefined;
    if (!first || !simpleBody || !isWeb(first)) return fallback(input, init);
    let url: URL = first;
    // The SDK passes a Headers object: used as is (hot path); copied before anything is removed.
    let headers = init?.headers instanceof Headers ? init.headers : new Headers(init?.headers);
    for (let hops = 0; ; hops++) {
      const found = pool.agentFor(url);
      const agent = found instanceof Promise ? await found : found;
      const response = await send(url, init?.method, headers, body ?? undefined, init?.signal ?? undefined, agent, pool.viaProxy(agent));
      const location = response.headers.get('location');
      // A streamed body (a Batch API upload) is gone once sent: such a redirect cannot be followed.
      if ((response.status !== 307 && response.status !== 308) || !location || body instanceof ReadableStream) return response;
      if (hops === MAX_REDIRECTS && !options.failRedirectLoops) return response;
      const next = URL.canParse(location, url.href) ? new URL(location, url) : undefined;
      if (!next || !isWeb(next)) return response;
      await response.body?.cancel().catch(() => {});
      if (hops === MAX_REDIRECTS) throw new TooManyRedirects(response.status, url);
      if (next.origin !== url.origin) {
        headers = new Headers(headers);
        for (const name of CREDENTIALS) headers.delete(name);
      }
      url = next;
    }
  };
}

/** The shape of a network failure from the built-in fetch, so callers classify both alike. */
export function fetchFailed(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

/** A proxy that would not open a tunnel to the API (a blocked host, a proxy-side failure). */
export class ProxyRefusedError extends Error {
  constructor(
    readonly status: number,
    readonly host: string,
  ) {
    super(`the proxy refused to connect to ${host} (HTTP ${status})`);
  }
}

/** Null-body statuses: a `Response` with one of these may not have a body. */
const NULL_BODY = new Set([101, 204, 205, 304]);

// Long by choice: one request's whole life in one closure, so that every path (response, error,
// abort, redirect) settles the promise once and removes the abort listener.
function send(
  url: URL,
  methodName: string | undefined,
  requestHeaders: Headers,
  body: string | Uint8Array | ReadableStream<Uint8Array> | undefined,
  signal: AbortSignal | undefined,
  agent: http.Agent,
  viaProxy = false,
): Promise<Response> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  const headers: Record<string, string> = {};
  requestHeaders.forEach((value, name) => {
    headers[name] = value;
  });
  const streamed = body instanceof ReadableStream;
  if (body !== undefined && !streamed && headers['content-length'] === undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const method = (methodName ?? 'GET').toUpperCase();
  const transport = url.protocol === 'https:' ? nodeHttps() : nodeHttp();

  return new Promise<Response>((resolve, reject) => {
    let response: http.IncomingMessage | undefined;
    const onAbort = () => {
      const reason = signal!.reason;
      if (response) response.destroy(reason);
      else {
        request.destroy();
        reject(reason);
      }
    };
    const request = transport.request(url, { method, headers, agent }, (res) => {
      response = res;
      const responseHeaders = new Headers();
      for (let i = 0; i < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
      const status = res.statusCode ?? 0;
      const noBody = method === 'HEAD' || NULL_BODY.has(status);
      if (noBody) res.on('error', () => {}).resume();
      res.once('close', () => signal?.removeEventListener('abort', onAbort));
      // Decoded as fetch decodes (and the header left): a gateway may compress a body nobody asked to have compressed.
      const body = noBody ? res : decodedBody(res, contentCoding(res.headers['content-encoding'] ?? null), status);
      try {
        resolve(
          new Response(noBody ? null : (Readable.toWeb(body) as ReadableStream<Uint8Array>), {
            status,
            statusText: res.statusMessage ?? '',
            headers: responseHeaders,
          }),
        );
      } catch (err) {
        // A status outside 200-599, which `Response` refuses.
        res.destroy();
        reject(fetchFailed(err));
      }
    });
    request.on('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      if (!response) reject(signal?.aborted ? signal.reason : fetchFailed(err));
    });
    if (viaProxy) {
      // https-proxy-agent hands a refused CONNECT on as if the server had answered it: a 403 would
      // read as "the API key was rejected". 407 is left to come through (it stops the run as such).
      // (http-proxy-agent emits it too, with no status: it opens no tunnel.)
      request.once('proxyConnect', (connect: { statusCode?: number }) => {
        const status = connect.statusCode;
        if (status === undefined || status === 200 || status === 407) return;
        signal?.removeEventListener('abort', onAbort);
        request.destroy();
        reject(fetchFailed(new ProxyRefusedError(status, url.host)));
      });
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    if (streamed) {
      // Piped with backpressure: memory stays flat however large the upload (Node 20's built-in
      // fetch reads a stream body whole into memory first; bench/results/2026-11-30-batch.md).
      const source = Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);
      source.on('error', (err) => request.destroy(err));
      source.pipe(request);
    } else request.end(body);
  });
}
