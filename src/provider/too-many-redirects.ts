import { MAX_REDIRECTS } from './agent-pool.js';

/**
 * A 307/308 still redirecting after MAX_REDIRECTS hops: a loop, most likely (a proxy or server that
 * redirects to itself). Thrown instead of handing on the last redirect, which read as
 * `HTTP 307: no body`. The message names where the last request went, without its query (or any
 * userinfo: `origin` has none), which may hold a secret the server put there.
 */
export class TooManyRedirects extends Error {
  constructor(
    readonly status: number,
    url: URL,
  ) {
    super(
      `HTTP ${status}: too many redirects: followed ${MAX_REDIRECTS}, and ${url.origin}${url.pathname} redirected again (a redirect loop? check --base-url)`,
    );
  }
}

/** A {@link TooManyRedirects} anywhere in an error's `cause` chain (the SDK wraps what its fetch threw). */
export function redirectLoop(err: unknown): TooManyRedirects | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof TooManyRedirects) return e;
  }
  return undefined;
}
