import { describe, expect, it } from 'vitest';
import { cacheKey, cacheKeyString, canonicalJson } from '../../src/cache/cache-key.js';
import { defaultCacheDir, resolveCacheDir } from '../../src/cache/cache-dir.js';

const endpoint = 'https://api.example.com/v1/chat/completions';
const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 0 };
const hex = (b: Buffer) => b.toString('hex');
const base = hex(cacheKey(endpoint, body, 0));

describe('cacheKey', () => {
  it.each([
    ['the model', endpoint, { ...body, model: 'n' }, 0],
    ['a message', endpoint, { ...body, messages: [{ role: 'user', content: 'hi!' }] }, 0],
    ['the temperature', endpoint, { ...body, temperature: 1 }, 0],
    ['an added field', endpoint, { ...body, seed: 1 }, 0],
    ['the sample index', endpoint, body, 1],
    ['the origin', 'https://other.example.com/v1/chat/completions', body, 0],
    ['the scheme', 'http://api.example.com/v1/chat/completions', body, 0],
    ['the port', 'https://api.example.com:8443/v1/chat/completions', body, 0],
    ['the path', 'https://api.example.com/v2/chat/completions', body, 0],
  ])('changes with %s', (_what, url, b, sample) => {
    expect(hex(cacheKey(url, b, sample))).not.toBe(base);
  });

  it.each([
    ['stream', { ...body, stream: true, stream_options: { include_usage: true } }],
    ['user', { ...body, user: 'someone' }],
    ['metadata', { ...body, metadata: { run: 'x' } }],
    ['key order', { temperature: 0, messages: [{ content: 'hi', role: 'user' }], model: 'm' }],
    ['an undefined field', { ...body, top_p: undefined }],
  ])('ignores %s', (_what, b) => {
    expect(hex(cacheKey(endpoint, b, 0))).toBe(base);
  });

  it('ignores a query string and a trailing slash on the path (Azure api-version)', () => {
    expect(hex(cacheKey(`${endpoint}?api-version=2024-10-21`, body, 0))).toBe(base);
    expect(hex(cacheKey(`${endpoint}/`, body, 0))).toBe(base);
  });

  it('canonical JSON sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: [{ y: 1, x: 2 }, 3], a: null })).toBe('{"a":null,"b":[{"x":2,"y":1},3]}');
  });

  /** The canonical form as first written (Array#sort, JSON.stringify everywhere): the oracle. */
  function plainCanonical(value: unknown): string {
    if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
    if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : plainCanonical(v))).join(',')}]`;
    const record = value as Record<string, unknown>;
    const parts = Object.keys(record)
      .sort()
      .filter((k) => record[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${plainCanonical(record[k])}`);
    return `{${parts.join(',')}}`;
  }

  it.each([
    ['quotes and backslashes', { a: 'say "hi" \\ C:\\path' }],
    ['control characters', { a: 'tab\tnl\ncr\rnul\u0000 us\u001f del\u007f' }],
    ['a lone surrogate, a pair and line separators', { a: '\ud800 x \udc00 😀 \u2028\u2029 é 日本' }],
    ['keys that need quoting and keys that look like numbers', { 'k"q': 1, '10': 2, '2': 3, b: 4, A: 5, é: 6, '\n': 7 }],
    ['numbers, booleans and empty things', { n: [0, -0, 1.5e300, Number.NaN, Number.POSITIVE_INFINITY, -1], t: true, f: false, e: {}, l: [] }],
    ['undefined in arrays and objects, and nesting', { a: [undefined, { z: undefined, y: [{ c: 'x', b: null }] }], u: undefined }],
  ])('canonical JSON matches the plain form with %s', (_what, value) => {
    expect(canonicalJson(value)).toBe(plainCanonical(value));
  });
});

describe('cache directory', () => {
  it.each([
    ['linux with XDG_CACHE_HOME', 'linux', { XDG_CACHE_HOME: '/x/cache' }, '/x/cache/llm-batch'],
    ['linux without it', 'linux', {}, '/home/u/.cache/llm-batch'],
    ['linux with a relative XDG_CACHE_HOME (invalid per the spec)', 'linux', { XDG_CACHE_HOME: 'rel' }, '/home/u/.cache/llm-batch'],
    ['macOS', 'darwin', {}, '/home/u/Library/Caches/llm-batch'],
  ] as const)('%s', (_what, platform, env, expected) => {
    expect(defaultCacheDir(env, platform, '/home/u')).toBe(expected);
  });

  it('--cache-dir, then LLM_BATCH_CACHE_DIR, then the default', () => {
    expect(resolveCacheDir('/flag', { LLM_BATCH_CACHE_DIR: '/env' })).toBe('/flag');
    expect(resolveCacheDir(undefined, { LLM_BATCH_CACHE_DIR: '/env' })).toBe('/env');
    expect(resolveCacheDir(undefined, { LLM_BATCH_CACHE_DIR: ' ', XDG_CACHE_HOME: '/x' })).toMatch(/llm-batch$/);
  });
});

describe('cacheKey stays the same across versions', () => {
  // Pinned: a change here orphans every answer users have cached.
  it('hashes a known body to a known key', () => {
    const known = {
      model: 'm',
      messages: [{ role: 'user', content: 'hi "there"\n' }],
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 5,
      extra: { b: 1, a: [1, { d: 2, c: null }] },
      u: undefined,
    };
    expect(hex(cacheKey('https://api.example.com:8443/v1/chat/completions/?api-version=1', known, 2))).toBe(
      '9e154972c1cab5f878ab07002bc8d116538267c49a655a1eadda56d72b830fa3',
    );
    expect(hex(cacheKey('http://127.0.0.1:1234/v1/chat/completions', { model: 'x', messages: [] }, 0))).toBe(
      'e8ccc0c2e91f01f891ca420b2cf1d6e842ea676c4caa450f4fc9569f1860e3ae',
    );
  });

  it('hashes text beyond ASCII as UTF-8, and the key string is the same bytes', () => {
    const body = {
      model: 'm',
      messages: [{ role: 'user', content: 'héllo wörld ✓ 日本語 😀 \u2028 \u0000' }],
      temperature: 0.7,
      max_completion_tokens: 100,
      response_format: { type: 'json_object' },
      seed: 3,
    };
    const endpoint = 'https://api.example.com/v1/chat/completions';
    expect(hex(cacheKey(endpoint, body, 1))).toBe('5f4fd0ee2fa7136ad2dc1195f565a16827c3914c5b27707750660f8915b10db7');
    expect(Buffer.from(cacheKeyString(endpoint, body, 1), 'latin1')).toEqual(cacheKey(endpoint, body, 1));
  });
});
