import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

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
    const out = spawnSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8', timeout: 2000 }).stdout.trim();
    return /^\d+$/.test(out) ? Number(out) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The concurrency the descriptor limit allows: each request in flight holds a socket, and the run
 * needs some more (stdio, input, output, lock, the event loop's own). A quarter of the limit plus
 * 16 is kept free. Below 200 requests in flight no Unix limit is near, so nothing is probed.
 */
export function concurrencyWithinFdLimit(concurrency: number, limit: () => number | undefined = openFileLimit): { concurrency: number; limit?: number } {
  if (concurrency < 48) return { concurrency };
  const max = limit();
  if (max === undefined) return { concurrency };
  const allowed = Math.max(1, Math.floor((max * 3) / 4) - 16);
  return concurrency > allowed ? { concurrency: allowed, limit: max } : { concurrency };
}
