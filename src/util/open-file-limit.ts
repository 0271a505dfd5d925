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
