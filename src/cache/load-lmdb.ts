import fs from 'node:fs';
import { createRequire } from 'node:module';
import { withStartFlags } from '../util/v8-flags.js';
import { cachingPackageCode, requireCached } from '../util/cached-cjs.js';

/**
 * lmdb's CommonJS build: one file, where its ESM entry is a graph of modules that took ~40 ms of
 * CPU to load against ~23 ms (issue 16); the same code and version either way.
 */
const requireCjs = createRequire(import.meta.url);

/**
 * Loads lmdb without two things its loading does that cost every run with a cache ~10 ms of CPU
 * on node 22 (issue 16; bench/results/2026-12-03-s30-startup.md):
 * - msgpackr's native string extraction (another native addon found and loaded): a hit of a
 *   1,500-character answer decodes ~0.8 µs slower without it, a start ~5 ms cheaper;
 * - detect-libc, which its native loader asks whether libc is musl, and which loads node's
 *   child_process (with dgram) to be able to ask `getconf`. The answer is read here the way
 *   detect-libc reads it first, from node's ELF interpreter; when that says nothing, LIBC stays
 *   unset and detect-libc decides as before.
 * Both are read from the environment once, while lmdb loads; the environment is restored after.
 */
export function loadLmdb(): typeof import('lmdb') {
  const set = { MSGPACKR_NATIVE_ACCELERATION_DISABLED: 'true', LIBC: process.env.LIBC ?? libcFamily() };
  const before = Object.fromEntries(Object.keys(set).map((name) => [name, process.env[name]]));
  try {
    for (const [name, value] of Object.entries(set)) if (value !== undefined) process.env[name] = value;
    // With V8's flags as they started: node's compile cache then takes its cache of lmdb's scripts in every run.
    return withStartFlags(() => (cachingPackageCode() ? lmdbWithCachedCode() : requireCjs('lmdb')) as typeof import('lmdb'));
  } finally {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** lmdb as {@link lmdbWithCachedCode} loaded it: once a process, as node's require would. */
let cachedLmdb: unknown;

/**
 * lmdb's script and msgpackr's (~230 KB of its ~260) with code caches of our own (util/cached-cjs.ts).
 * Loaded once: the store asks for lmdb ahead of its first write (prepare) and again to open each file.
 */
function lmdbWithCachedCode(): unknown {
  if (cachedLmdb !== undefined) return cachedLmdb;
  const lmdb = requireCjs.resolve('lmdb');
  const msgpackr = requireCached(createRequire(lmdb).resolve('msgpackr'));
  cachedLmdb = requireCached(lmdb, { msgpackr });
  return cachedLmdb;
}

/**
 * 'musl' or 'glibc' by the dynamic loader node runs under (named in its ELF header's first 2 KiB,
 * as detect-libc reads it), or undefined when neither is named there (another OS, a static build).
 */
export function libcFamily(exe = '/proc/self/exe'): 'musl' | 'glibc' | undefined {
  if (process.platform !== 'linux') return undefined;
  let head: string;
  try {
    const fd = fs.openSync(exe, 'r');
    try {
      const bytes = Buffer.alloc(2048);
      head = bytes.toString('latin1', 0, fs.readSync(fd, bytes, 0, bytes.length, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (head.includes('/ld-musl-')) return 'musl';
  if (head.includes('/ld-linux-')) return 'glibc';
  return undefined;
}
