import fs from 'node:fs';
/**
 * Polls `check` every few milliseconds until it holds. The deadline is a safety net that names what
 * never happened, not a wait: a passing test never reaches it.
 */
export async function until(check: () => boolean, what = 'a condition', timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A file's text so far, '' while there is none: for `until` checks on a file the CLI writes. An
 * existsSync-then-read check races the CLI's writability probe, which makes the output path and
 * removes it again before the run opens it (ENOENT between the two calls).
 */
export function textSoFar(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}
