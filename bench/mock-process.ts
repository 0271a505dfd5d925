/**
 * The mock server in a process of its own, so its CPU is not the client's and a profile of the
 * client shows only the client. `node mock-process.js '<json>'` with
 * `{ words, latencyMs, chunkDelayMs, apiKey, rateLimit }`: prints `{"url": …}` once listening; each line read
 * on stdin (`stats`) answers `{"requests": n, "cpuMs": …}`; stdin's end closes it.
 */
import { type RateLimitOptions, startMockServer } from '../test/helpers/mock-server.js';
import { longReply } from './long-reply.js';

interface MockProcessOptions {
  words: number;
  latencyMs: number;
  chunkDelayMs?: number;
  /** See MockServerOptions.latencyJitter. */
  latencyJitter?: number;
  apiKey: string;
  /** The mock's rate limit, whose x-ratelimit-* headers a client reads as it reads OpenAI's. */
  rateLimit?: RateLimitOptions;
}

const options = JSON.parse(process.argv[2] ?? '{}') as MockProcessOptions;
const server = await startMockServer({
  apiKey: options.apiKey,
  latencyMs: options.latencyMs,
  chunkDelayMs: options.chunkDelayMs ?? 0,
  latencyJitter: options.latencyJitter ?? 0,
  maxPieces: Infinity,
  reply: longReply(options.words),
  ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffered += chunk;
  for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
    buffered = buffered.slice(nl + 1);
    const cpu = process.cpuUsage();
    // The log is not needed past counting; drop it so 100k-request runs stay small.
    const requests = server.requests.length;
    process.stdout.write(`${JSON.stringify({ requests, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
  }
});
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
