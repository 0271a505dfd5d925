import fs from 'node:fs';
import { createRequire } from 'node:module';

/** The soft limit on open files (`ulimit -n`), or undefined when it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const limits = fs.readFileSync('/proc/self/limits', 'utf8');
    const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
    if (soft !== undefined) return soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    // not Linux: ask the shell (macOS, the BSDs)
  }
  if (process.platform === 'win32') return undefined;
  try {
    // Required here, not imported: node:child_process costs every run's start-up ~5 ms of CPU.
    const { spawnSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    const out = spawnSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8', timeout: 2000 }).stdout.trim();
    return /^\d+$/.test(out) ? Number(out) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The concurrency the descriptor limit allows: each request in flight holds a socket, and the run
 * needs some more: stdio, input, output, lock, and node's own (~25 on node 24: pipes, epoll, eventfd
 * and io_uring descriptors of its threads), then the response cache's (lmdb's package files and
 * native module while it loads at the first write, then its data and lock files). A quarter of the
 * limit plus 16 is kept free, and never fewer than 48: under `ulimit -n 64` 32 sockets left lmdb's
 * load failing with EMFILE and, now and then, the process dying of a signal with a third of its rows
 * unwritten. Below 48 requests in flight no Unix limit is near, so nothing is probed.
 */
export function concurrencyWithinFdLimit(concurrency: number, limit: () => number | undefined = openFileLimit): { concurrency: number; limit?: number } {
  if (concurrency < 48) return { concurrency };
  const max = limit();
  if (max === undefined) return { concurrency };
  const allowed = Math.max(1, Math.min(Math.floor((max * 3) / 4) - 16, max - 48));
  return concurrency > allowed ? { concurrency: allowed, limit: max } : { concurrency };
}

/** The smallest `ulimit -n` under which {@link concurrencyWithinFdLimit} keeps all of `concurrency`. */
export function fdLimitFor(concurrency: number): number {
  return Math.max(Math.ceil(((concurrency + 16) * 4) / 3), concurrency + 48);
}
