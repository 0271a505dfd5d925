// What bench/hot-drive.mjs and bench/cpu-curve.mjs share: a fresh mock process per run, and the
// command line of one client (the minimal client or a checkout's built CLI) against it.
import fs from 'node:fs';
import { startMockProcess } from './dist/bench/mock-process-client.js';

const HERE = new URL('.', import.meta.url).pathname;

/** A temp dir (`/tmp/PREFIX-…`) holding `n` prompts, one a line: `{ tmp, prompts }`. */
export function promptsFile(prefix, n) {
  const tmp = fs.mkdtempSync(`/tmp/${prefix}-`);
  const prompts = `${tmp}/prompts.txt`;
  fs.writeFileSync(prompts, `${Array.from({ length: Number(n) }, (_, i) => `prompt ${i}`).join('\n')}\n`);
  return { tmp, prompts };
}

/**
 * Starts the mock (one SSE event per word) in its own process: bench/mock-process-client.ts's
 * `{ url, stats, close }`. MOCK_RATE (the mock's RateLimitOptions as JSON, e.g.
 * `{"requests":450,"windowMs":1000}`) gives it a rate limit: x-ratelimit-* headers on every
 * response, as OpenAI sends, and 429s past it.
 */
export function startMock(words, latencyMs) {
  return startMockProcess(
    Number(words),
    Number(latencyMs),
    process.env.MOCK_RATE ? JSON.parse(process.env.MOCK_RATE) : undefined,
    Number(process.env.MOCK_JITTER ?? 0),
  );
}

/**
 * `[node, args]` for one run of `client` writing `out` (cleared first, with its meta file and the
 * run's response cache in `tmp`). `client`: `min` (bench/reference/minimal-client.mjs) or a checkout
 * dir (its built bin/llm-batch.js), optionally `DIR+--flag,--flag` for extra llm-batch flags and
 * `CLIENT@--node-flag,…` for node flags of that client alone. NODE_FLAGS adds node flags to every
 * llm-batch, NODE_BIN runs llm-batch on another node.
 */
export function clientCommand(client, { url, prompts, out, tmp, conc, stream }) {
  fs.rmSync(out, { force: true });
  fs.rmSync(`${out}.meta.json`, { force: true });
  fs.rmSync(`${tmp}/cache`, { recursive: true, force: true });
  const [spec, nodeFlags] = client.split('@');
  const [dir, flags] = spec.split('+');
  const ownFlags = nodeFlags ? nodeFlags.split(',') : [];
  if (dir === 'min') return [process.execPath, [...ownFlags, `${HERE}reference/minimal-client.mjs`, url, prompts, out, conc, stream]];
  return [
    process.env.NODE_BIN ?? process.execPath,
    [
      ...(process.env.NODE_FLAGS ? process.env.NODE_FLAGS.split(' ') : []),
      ...ownFlags,
      `${dir}/bin/llm-batch.js`,
      prompts,
      '--base-url',
      url,
      '-o',
      out,
      '-c',
      conc,
      '-q',
      '--cache-dir',
      `${tmp}/cache`,
      ...(stream === '0' ? ['--no-stream'] : []),
      ...(flags ? flags.split(',') : []),
    ],
  ];
}
