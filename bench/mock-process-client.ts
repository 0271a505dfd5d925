/**
 * Starts bench/mock-process.ts in a process of its own and talks to it: its URL, its request count
 * and CPU so far (`stats`), and `close`. For `npm run bench -- hot` (hot.ts) and the drive scripts
 * (drive-client.mjs), which import it from bench/dist.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { RateLimitOptions } from '../test/helpers/mock-server.js';
import { BENCH_KEY } from './harness.js';

const MOCK = fileURLToPath(new URL('./mock-process.js', import.meta.url));

export interface MockProcess {
  url: string;
  stats(): Promise<{ requests: number; cpuMs: number }>;
  close(): Promise<void>;
}

/**
 * One SSE event per word of a `words`-word answer after `latencyMs`. `rateLimit` gives it a limit:
 * x-ratelimit-* headers on every response, as OpenAI sends, and 429s past it.
 */
export async function startMockProcess(words: number, latencyMs: number, rateLimit?: RateLimitOptions, latencyJitter = 0): Promise<MockProcess> {
  const options = { words, latencyMs, latencyJitter, apiKey: BENCH_KEY, ...(rateLimit ? { rateLimit } : {}) };
  const child = spawn(process.execPath, [MOCK, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error('bench: the mock process exited before listening');
  const { url } = JSON.parse(first.value) as { url: string };
  return {
    url,
    async stats() {
      child.stdin.write('stats\n');
      const line = await lines.next();
      return JSON.parse(line.value as string) as { requests: number; cpuMs: number };
    },
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}
