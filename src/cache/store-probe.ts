import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addressSpaceLimited } from '../util/address-space.js';
import { LEGACY_STORE_FILE, STORE_FILE } from './store-files.js';

/** What `cache stats` shows of a store (ResponseStore.stats). */
export interface CacheStats {
  path: string;
  entries: number;
  /** Bytes of the database file on disk (LMDB grows it in steps; it does not shrink on delete). */
  bytesOnDisk: number;
  oldest: number | null;
  newest: number | null;
}

/** Set in the child a probe runs: it reads the store itself (it is the probe). */
export const PROBE_ENV = 'LLM_BATCH_STORE_PROBE';

/** The CLI, from this module in the bundle (dist/bundle/), tsc's build (dist/cache/) or the source (src/cache/). */
const BIN = new URL('../../bin/llm-batch.js', import.meta.url);

/** How a process that LMDB took down ends: a bad address, a bad page, glibc's abort on a corrupted heap. */
const CRASHES = new Set(['SIGBUS', 'SIGSEGV', 'SIGABRT', 'SIGILL', 'SIGFPE', 'SIGTRAP', 'SIGSYS']);

/**
 * How long the read may take: 30 s, and a second more for each 10 MB of store (100,000 answers, 44 MB,
 * took 0.2 s). A check that stalls (a child short of threads waited on a lock) says nothing, at a
 * cost of seconds, not the 5 minutes a fixed bound cost.
 */
function probeTimeoutMs(dir: string): number {
  let bytes = 0;
  for (const name of [STORE_FILE, LEGACY_STORE_FILE]) bytes += fs.statSync(path.join(dir, name), { throwIfNoEntry: false })?.size ?? 0;
  return 30_000 + Math.ceil(bytes / 10_000_000) * 1000;
}

/**
 * A child that died for want of memory, threads or descriptors, which a damaged page did not cause:
 * under `ulimit -v` LMDB's 16 GiB map failed with SIGSEGV on a sound file, and a child short of
 * threads aborted (review s69). Such a death says nothing about the file.
 */
function starved(stderr: string): boolean {
  return (
    addressSpaceLimited() ||
    /Resource temporarily unavailable|Cannot allocate memory|out of memory|ENOMEM|EAGAIN|EMFILE|pthread_create|uv_thread_create/i.test(stderr)
  );
}

export type ProbeVerdict =
  | { sound: CacheStats }
  /** `file`: the store file the reading failed in, when the child named it. */
  | { damaged: string; file?: string }
  /**
   * The probe could not tell (it could not start, was stopped, ran out of time): a run goes without
   * the cache. `died`: the child was killed by a signal, as reading the store here would likely be.
   */
  | { unknown: string; died?: true };

/**
 * Reads every entry of the store in `dir` in a child process (`llm-batch cache stats --json`), where
 * a crash on a damaged page (see store-use-marks.ts) ends the child, not the caller. Synchronous: it
 * runs before anything is sent (a run) or shown (`cache stats`): ~0.2 s for 100,000 answers (44 MB).
 */
export function probeStore(dir: string): ProbeVerdict {
  // Required here, not imported: node:child_process costs every run's start-up ~5 ms of CPU.
  const { spawnSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const child = spawnSync(process.execPath, [fileURLToPath(BIN), 'cache', 'stats', '--json', `--cache-dir=${dir}`], {
    env: { ...process.env, [PROBE_ENV]: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: probeTimeoutMs(dir),
    maxBuffer: 1 << 20,
    windowsHide: true,
  });
  if (child.error) return { unknown: (child.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? 'the check did not end in time' : child.error.message };
  if (child.signal) {
    if (!CRASHES.has(child.signal)) return { unknown: `the check was stopped by ${child.signal}`, died: true };
    return starved(child.stderr)
      ? { unknown: `the check ran short of memory or threads: ${child.signal}`, died: true }
      : { damaged: `reading it crashed LMDB: ${child.signal}` };
  }
  if (child.status !== 0) return { unknown: child.stderr.trim().split('\n').at(-1) ?? `the check exited ${child.status}` };
  let said: Partial<CacheStats> & { damaged?: unknown; exists?: unknown };
  try {
    said = JSON.parse(child.stdout) as typeof said;
  } catch {
    return { unknown: 'the check printed no JSON' };
  }
  if (typeof said.damaged === 'string') return { damaged: said.damaged, ...(typeof said.path === 'string' ? { file: said.path } : {}) };
  return { sound: said as CacheStats };
}

/**
 * A store that needed its check (store-use-marks.ts) and could not have it (the check was stopped,
 * ran out of time or of resources): it may be damaged, so the cache is not used this time.
 */
export class StoreUncheckedError extends Error {
  override readonly name = 'StoreUncheckedError';
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(why);
  }
}

/** A store whose pages a probe found damaged ({@link probeStore}): the file is left as it is, the cache not used. */
export class StorePagesDamagedError extends Error {
  override readonly name = 'StorePagesDamagedError';
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(why);
  }
}
