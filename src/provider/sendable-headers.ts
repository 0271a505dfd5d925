/**
 * What a request's header block can carry, checked before undici sees it. undici refuses a header
 * it cannot write by calling the handler's onError inside `dispatch` and returning false; its pool
 * reads that false as "this connection is busy" and waits for a 'drain' that never comes, since
 * nothing was queued on it. After as many refusals as the pool has connections, every later request
 * waited in the pool's queue forever (undici 6.29 and 7.x). A header refused here never reaches it.
 */

/** The characters undici (and node:http, whose rule it took) refuse in a header value. */
const UNSENDABLE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;
/** RFC 9110's token: what a header name is made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Names undici writes itself (host, content-length) or refuses to be given. */
const MANAGED = new Set(['host', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'connection', 'expect']);

/** Where the first character a header value cannot carry is (an index into the string), or -1. */
export function unsendableAt(value: string): number {
  const match = UNSENDABLE_CHAR.exec(value);
  return match ? match.index : -1;
}

/** A header that cannot be sent: names the header, never its value (it may be the key). */
export class UnsendableHeaderError extends TypeError {
  readonly code: 'ERR_INVALID_CHAR' | 'ERR_INVALID_HTTP_TOKEN';

  constructor(name: string, badName: boolean) {
    super(badName ? `header name ${JSON.stringify(name)} cannot be sent` : `invalid character in the ${name} header (its value is not shown)`);
    this.code = badName ? 'ERR_INVALID_HTTP_TOKEN' : 'ERR_INVALID_CHAR';
  }
}

/** The first header of a flat `[name, value, …]` list undici would refuse, as an error; else undefined. */
export function unsendableHeader(list: readonly string[]): UnsendableHeaderError | undefined {
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i]!;
    if (!TOKEN.test(name) || MANAGED.has(name.toLowerCase())) return new UnsendableHeaderError(name, true);
    if (UNSENDABLE_CHAR.test(list[i + 1]!)) return new UnsendableHeaderError(name, false);
  }
  return undefined;
}
