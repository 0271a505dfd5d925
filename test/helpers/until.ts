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
