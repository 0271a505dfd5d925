import { createHash } from 'node:crypto';

/** Body fields that change how an answer is delivered or attributed, never what it says. */
const IGNORED_FIELDS = new Set(['stream', 'stream_options', 'user', 'metadata']);

/** JSON with object keys sorted at every depth, so `{a,b}` and `{b,a}` hash alike. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/**
 * The cache key of one answer: SHA-256 over the endpoint (origin and path, no query string: Azure's
 * api-version does not change answers), the request body minus delivery fields, and the sample
 * index (sample 0 and sample 1 of the same request are different answers).
 */
export function cacheKey(endpoint: string, body: Readonly<Record<string, unknown>>, sample: number): Buffer {
  const url = new URL(endpoint);
  const kept: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!IGNORED_FIELDS.has(k)) kept[k] = v;
  return createHash('sha256')
    .update(`${url.origin}${url.pathname.replace(/\/+$/, '')}\n${canonicalJson(kept)}\n${sample}`)
    .digest();
}
