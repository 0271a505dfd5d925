import { sha256 } from '../util/sha256.js';

/** Body fields that change how an answer is delivered or attributed, never what it says. */
const IGNORED_FIELDS = new Set(['stream', 'stream_options', 'user', 'metadata']);

/** JSON with object keys sorted at every depth, so `{a,b}` and `{b,a}` hash alike. */
export function canonicalJson(value: unknown): string {
  return canonical(value, undefined);
}

/**
 * `ignored` applies to the top level only: the body's delivery fields, not a message's own keys.
 * Written to allocate little (it runs once per request, issue 16): no Array#sort work array, keys
 * quoted once per process, plain strings quoted without JSON.stringify. The output is
 * JSON.stringify's, byte for byte; the pinned keys in test/cache/cache-key.test.ts hold it there.
 */
function canonical(value: unknown, ignored: ReadonlySet<string> | undefined): string {
  if (typeof value === 'string') return quote(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (i > 0) out += ',';
      out += v === undefined ? 'null' : canonical(v, undefined);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = sortInPlace(Object.keys(record));
  let out = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const v = record[k];
    if (v === undefined || ignored?.has(k)) continue;
    if (!first) out += ',';
    out += quoteKey(k);
    out += ':';
    out += canonical(v, undefined);
    first = false;
  }
  return `${out}}`;
}

/** Insertion sort by UTF-16 code units, as Array#sort's default order: objects here have few keys. */
function sortInPlace(keys: string[]): string[] {
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > k) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/** What JSON.stringify may escape in a string: quote, backslash, control characters, surrogates (lone ones). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** The same few keys (model, messages, role, content…) come back in every request. */
const quotedKeys = new Map<string, string>();

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = quote(key);
    if (quotedKeys.size < 256) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/** The endpoint's part of every key, worked out once per endpoint rather than once per request. */
const endpointPrefixes = new Map<string, string>();

function endpointPrefix(endpoint: string): string {
  let prefix = endpointPrefixes.get(endpoint);
  if (prefix === undefined) {
    const url = new URL(endpoint);
    prefix = `${url.origin}${url.pathname.replace(/\/+$/, '')}\n`;
    if (endpointPrefixes.size < 64) endpointPrefixes.set(endpoint, prefix);
  }
  return prefix;
}

/**
 * The cache key of one answer: SHA-256 over the endpoint (origin and path, no query string: Azure's
 * api-version does not change answers), the request body minus delivery fields, and the sample
 * index (sample 0 and sample 1 of the same request are different answers).
 */
export function cacheKey(endpoint: string, body: Readonly<Record<string, unknown>>, sample: number): Buffer {
  return Buffer.from(cacheKeyString(endpoint, body, sample), 'latin1');
}

/**
 * The same 32 bytes as {@link cacheKey}, one latin1 character per byte: a string costs less to
 * make and to keep than a Buffer of its own, and is a Map key (issue 16).
 */
export function cacheKeyString(endpoint: string, body: Readonly<Record<string, unknown>>, sample: number): string {
  return sha256(`${endpointPrefix(endpoint)}${canonical(body, IGNORED_FIELDS)}\n${sample}`, 'binary');
}
