import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

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

/** Generous: a million answers read in ~10 s on a slow disk. A probe that takes longer says nothing. */
const PROBE_TIMEOUT_MS = 300_000;

export type ProbeVerdict =
  | { sound: CacheStats }
  /** `file`: the store file the reading failed in, when the child named it. */
  | { damaged: string; file?: string }
  /** The probe could not tell (it could not start, was stopped, ran out of time): the store is used as before. */
  | { unknown: string };

/**
 * Reads every entry of the store in `dir` in a child process (`llm-batch cache stats --json`), where
 * a crash on a damaged page (see store-use-marks.ts) ends the child, not the caller. Synchronous: it
 * runs before anything is sent (a run) or shown (`cache stats`), ~0.1 s and ~1 s a 100,000 answers.
 */
export function probeStore(dir: string): ProbeVerdict {
  // Required here, not imported: node:child_process costs every run's start-up ~5 ms of CPU.
  const { spawnSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const child = spawnSync(process.execPath, [fileURLToPath(BIN), 'cache', 'stats', '--json', `--cache-dir=${dir}`], {
    env: { ...process.env, [PROBE_ENV]: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: PROBE_TIMEOUT_MS,
    maxBuffer: 1 << 20,
    windowsHide: true,
  });
  if (child.error) return { unknown: child.error.message };
  if (child.signal)
    return CRASHES.has(child.signal) ? { damaged: `reading it crashed LMDB: ${child.signal}` } : { unknown: `the check ended by ${child.signal}` };
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
