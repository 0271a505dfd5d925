/**
 * Batch runner end to end, rate: runs right at the provider's limit without tripping it. Paced
 * runs (--rpm, --tpm) stay under their cap in every sliding second from the very first one;
 * against a limiting server they finish in about the ideal time with (almost) no 429s; without a
 * cap the adaptive governor learns the limit from headers, or from bare retry-after; a 429's
 * retry-after is honoured. Spawns the BUILT CLI: `npm run build` first.
 *
 * These tests are about time, so they run one after another (never concurrently), alone after every
 * other suite. They check a cap twice. On the CLI's own clock: each row's started_at, stamped as the
 * pacer admits its request; exact, but only the answered attempt. And on what the CLI sent, as the
 * mock saw it arrive, refused requests included: against a limiting server only that shows a pacer
 * that is too fast, since the mock's limiter refuses the excess and the retries fit in its window
 * (the answered rows of --rpm 4200 against 60/s stay within 60 a second). Arrivals add both
 * processes' scheduling; the pacer's 2 % margin keeps a second of them within the cap for ~20 ms
 * of it, and over the whole sending span its slack is ~6 requests. Measured beside two busy loops:
 * 60 at most in a second, 0 × 429. How fast a run goes is the machine's as much as the pacer's: the
 * pacer's own speed is asserted on virtual time (test/schedule/rate-governor.test.ts) and measured
 * by `npm run bench` (rate-bound, adaptive).
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { maxInWindow, startMockServer, type MockServer, type MockServerOptions, type RecordedRequest } from '../helpers/mock-server.js';
import { parseJsonl, runCli, tempDir, writePrompts, type CliResult } from '../helpers/run-cli.js';
import type { ResultRow } from '../../src/types.js';

const tmp = tempDir('llm-batch-rate-');
const servers: MockServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  tmp.cleanup();
});

async function fresh(options: MockServerOptions): Promise<MockServer> {
  const server = await startMockServer(options);
  servers.push(server);
  return server;
}

interface Timed {
  r: CliResult;
  rows: ResultRow[];
  wallMs: number;
}

/** Runs the CLI against `server` with rows on stdout, timing the child from spawn to exit. */
async function timedRun(server: MockServer, prompts: readonly string[], args: readonly string[], name: string, netMs = 30_000): Promise<Timed> {
  const file = writePrompts(tmp.dir, name, prompts);
  const started = performance.now();
  const r = await runCli([file, '--base-url', server.url, '-q', ...args], { timeoutMs: netMs });
  const wallMs = performance.now() - started;
  return { r, rows: parseJsonl<ResultRow>(r.stdout), wallMs };
}

function expectAllAnswered(t: Timed, prompts: readonly string[]): void {
  expect(t.r.stderr).toBe('');
  expect(t.r.code).toBe(0);
  expect(t.rows).toHaveLength(prompts.length);
  const failed = t.rows.filter((row) => row.error !== null);
  expect(failed.map((row) => row.error)).toEqual([]);
  expect(new Set(t.rows.map((row) => row.prompt))).toEqual(new Set(prompts));
}

const count429 = (requests: readonly RecordedRequest[]): number => requests.filter((q) => q.status === 429).length;

/**
 * When the CLI admitted each row's answered attempt, in ms on its own clock (the row's started_at).
 * These are the requests a provider counts: a refused attempt takes nothing from its window.
 */
function admittedAt(rows: readonly ResultRow[]): number[] {
  return rows.map((row) => Date.parse(row.started_at!));
}

/**
 * The most requests the CLI sent in a sliding second wholly after its first answer (the rows'
 * earliest finished_at): a second in which what that answer's headers said was in force.
 */
function densestAfterFirstAnswer(rows: readonly ResultRow[]): number {
  const firstAnswer = Math.min(...rows.map((row) => Date.parse(row.finished_at!)));
  return maxInWindow(
    admittedAt(rows).filter((t) => t > firstAnswer),
    1000,
  );
}

/** The prompt's accepted request at the mock, for what the mock charged it. */
function acceptedFor(server: MockServer, prompt: string): RecordedRequest {
  const accepted = server.requests.find((q) => q.prompt === prompt && q.status === 200);
  if (!accepted) throw new Error(`no accepted request for ${prompt}`);
  return accepted;
}

/** Tokens the mock's limiter charges a request: prompt tokens + max_tokens (16 if absent). */
function chargedTokens(q: RecordedRequest): number {
  const max = q.body?.max_tokens ?? q.body?.max_completion_tokens ?? 16;
  return q.tokens + (typeof max === 'number' ? max : 16);
}

/** The largest sum of `cost` over items inside any half-open sliding window (t - w, t]. */
function maxCostInWindow<T extends { t: number }>(requests: readonly T[], windowMs: number, cost: (q: T) => number): number {
  const sorted = [...requests].sort((a, b) => a.t - b.t);
  let best = 0;
  let sum = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    sum += cost(sorted[hi]!);
    while (sorted[lo]!.t <= sorted[hi]!.t - windowMs) sum -= cost(sorted[lo++]!);
    best = Math.max(best, sum);
  }
  return best;
}

/**
 * What a run sent, as the mock saw it arrive (refused requests included), less the one request that
 * opens its span, against what `perSecond` allows over that span: above 0 means it sent faster than
 * the limit on average. Paced evenly at 98 % of the limit, 4 s of sending leave ~6 requests of
 * slack for the arrival jitter at both ends, where a 1 s window leaves ~1.
 */
function sentBeyondSpan(requests: readonly RecordedRequest[], perSecond: number, cost: (q: RecordedRequest) => number = () => 1): number {
  const arrived = requests.map((q) => q.t);
  const spanMs = Math.max(...arrived) - Math.min(...arrived);
  const sent = requests.reduce((sum, q) => sum + cost(q), 0);
  return sent - Math.max(...requests.map(cost)) - (perSecond * spanMs) / 1000;
}

const numbered = (tag: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${tag} ${i + 1}`);

/**
 * One line of figures per test (wall time, sending span, requests, the densest second as the CLI
 * sent it and as the mock saw it, 429s and when they came), for whoever reads the log: on a loaded
 * machine they say what the machine took; speed is asserted on virtual time and in the benchmarks.
 */
function note(label: string, t: Timed, server: MockServer): void {
  const rq = server.requests;
  const arrived = rq.map((q) => q.t);
  const t0 = rq[0]?.t ?? 0;
  const span = rq.length ? Math.max(...arrived) - Math.min(...arrived) : 0;
  const densest = `${maxInWindow(admittedAt(t.rows), 1000)} sent (${densestAfterFirstAnswer(t.rows)} after the first answer) / ${maxInWindow(arrived, 1000)} arrived`;
  const refused = rq.filter((q) => q.status === 429).map((q) => `+${Math.round(q.t - t0)}`);
  console.log(
    `[rate] ${label}: wall ${Math.round(t.wallMs)} ms, sending ${Math.round(span)} ms, ${rq.length} requests, densest second ${densest}, ${refused.length} × 429` +
      (refused.length ? ` (ms after the first request: ${refused.slice(0, 5).join(' ')}${refused.length > 5 ? ' …' : ''})` : ''),
  );
}

vi.setConfig({ testTimeout: 45_000 });

// Prompt counts: a limit of 60/s is met (or overrun) within the first seconds, and every later
// sliding second is checked the same way, so 4–5 s of sending (240–300 prompts) finds what 10 s
// (600) did; the long runs are the benchmarks.

describe.sequential('paced by --rpm / --tpm', () => {
  it('--rpm 1800 (-c 50, 120 prompts): at most 30 requests sent in every sliding second, from the first one', async () => {
    const server = await fresh({ latencyMs: 50 });
    const prompts = numbered('smooth', 120);
    const t = await timedRun(server, prompts, ['-c', '50', '--rpm', '1800'], 'smooth.txt');
    note('rpm 1800', t, server);
    expectAllAnswered(t, prompts);
    expect(server.requests).toHaveLength(120);
    expect(t.rows.every((row) => row.attempts === 1)).toBe(true);
    const times = admittedAt(t.rows);
    expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(30);
    // No burst at start: the first second after the first request holds at most 30.
    const first = Math.min(...times);
    expect(times.filter((x) => x < first + 1000).length).toBeLessThanOrEqual(30);
    // That it uses the budget (≥ 93 % of 30/s, late timers and all) is the pacer's, on virtual time.
  });

  it.each([
    ['stream_options', { refuseStreamOptions: true }, []],
    ['max_tokens', { refuseMaxTokens: true }, ['--max-tokens', '50']],
  ] as const)('--rpm 600 against a server that refuses %s: the requests sent again without it are paced and counted', async (field, refusing, extra) => {
    // Sent again at once outside the pacing, every request in flight before the first refusal came
    // back went twice: 21 in the densest second against a cap of 10, and the summary counted only
    // the requests as first sent.
    const server = await fresh({ latencyMs: 300, ...refusing });
    const prompts = numbered(`refused ${field}`, 24);
    const summary = `${tmp.dir}/refused-${field}.summary.json`;
    const t = await timedRun(server, prompts, ['-c', '16', '--rpm', '600', '--summary-json', summary, ...extra], `refused-${field}.txt`);
    note(`rpm 600, ${field} refused`, t, server);
    expectAllAnswered(t, prompts);
    expect(server.requests.length).toBeGreaterThan(24);
    // A request sent again is a request, not a retry: the row's one attempt, none against --retries.
    expect(t.rows.every((row) => row.attempts === 1)).toBe(true);
    const arrived = server.requests.map((q) => q.t);
    // 10 a second; the mock sees arrivals a little apart from when they left (1 of slack).
    expect(maxInWindow(arrived, 1000)).toBeLessThanOrEqual(11);
    const counted = JSON.parse(readFileSync(summary, 'utf8')) as { requests: number; retries: number };
    expect([counted.requests, counted.retries]).toEqual([server.requests.length, 0]);
  });

  it('--rpm 60 --timeout 0.5 against a server that refuses max_tokens: the wait for the resend is no part of the deadline', async () => {
    // A resend that waited for its turn (1 s here) inside the attempt timed out every attempt: the
    // field switches only once a resend is answered (at --rpm 6 --timeout 4: 0 of 4 after 5 min).
    const server = await fresh({ latencyMs: 5, refuseMaxTokens: true });
    const prompts = numbered('deadline', 4);
    const t = await timedRun(server, prompts, ['-c', '4', '--rpm', '60', '--timeout', '0.5', '--max-tokens', '50'], 'refused-deadline.txt');
    note('rpm 60 --timeout 0.5, max_tokens refused', t, server);
    expectAllAnswered(t, prompts);
    expect(t.rows.every((row) => row.attempts === 1)).toBe(true);
    // The first refusal, then its resend: the rest went as max_completion_tokens, after it was answered.
    expect(server.requests.map((q) => q.status)).toEqual([400, 200, 200, 200, 200]);
    expect(
      maxInWindow(
        server.requests.map((q) => q.t),
        1000,
      ),
    ).toBeLessThanOrEqual(2);
  });

  it('--rpm 240 with --max-cost the limit on requests in flight: those the budget lets go together are still paced', async () => {
    // Answers come back together every 2.5 s; the budget admits 6 at a time ($1.01 worst case each
    // under $6.50). A pacing turn taken before the wait for the budget was spent late: the 6 the
    // budget let go went out within a millisecond, where --rpm 240 allows 4 in a second.
    let start: number | undefined;
    const tick = (): Promise<void> => {
      start ??= Date.now();
      return new Promise((resolve) => setTimeout(resolve, 2500 - ((Date.now() - start!) % 2500)));
    };
    const server = await fresh({ latencyMs: 0, hold: tick });
    const prompts = numbered('budget-paced', 12);
    const args = ['-c', '16', '--rpm', '240', '--max-tokens', '1000', '--price', '1000/1000', '--max-cost', '6.5'];
    const t = await timedRun(server, prompts, args, 'budget-paced.txt');
    note('rpm 240 with --max-cost', t, server);
    expectAllAnswered(t, prompts);
    expect(maxInWindow(admittedAt(t.rows), 1000)).toBeLessThanOrEqual(4);
    // As the server saw them arrive: one more where a delivery is late (see the --rpm 3600 test below).
    expect(
      maxInWindow(
        server.requests.map((q) => q.t),
        1000,
      ),
    ).toBeLessThanOrEqual(5);
  });

  it('--rpm 3600 against a server limiting to exactly 60/s (no headers; 240 prompts, 200 ms latency, -c 50): never over its limit', async () => {
    const server = await fresh({ latencyMs: 200, rateLimit: { requests: 60, windowMs: 1000, headers: false } });
    const prompts = numbered('exact', 240);
    const t = await timedRun(server, prompts, ['-c', '50', '--rpm', '3600'], 'exact.txt');
    note('rpm 3600 vs 60/s', t, server);
    expectAllAnswered(t, prompts);
    // The requests the server counted, on the CLI's clock: never more than its 60 in a second.
    expect(maxInWindow(admittedAt(t.rows), 1000)).toBeLessThanOrEqual(60);
    // Everything it sent, refused requests included, as the server saw it arrive: within 60 in every
    // sliding second (one more when arrivals bunch: 61 sends span at least 1,012 ms, 60 slots at 98 %
    // of 60/s less the 8 ms a late admission may catch up, so it takes over 12 ms of delivery or
    // server event-loop delay on the first of them more than on the last, not an off-by-one in the
    // pacer (test/schedule/rate-governor.test.ts); that is the one 429 the 1 % below allows, seen in
    // 2 of ~8 whole runs on 2026-12-01, once on a quiet machine) and
    // over the whole span, with 429s within rate-bound's 1 % of prompts. --rpm 4200 (17 % too fast)
    // sends 62–63 in a second, 3–6 beyond the span's 60/s and gets 6–7 × 429; this pacer 60, 6
    // below and none, beside two busy loops too.
    const arrived = server.requests.map((q) => q.t);
    expect(maxInWindow(arrived, 1000)).toBeLessThanOrEqual(61);
    expect(sentBeyondSpan(server.requests, 60)).toBeLessThanOrEqual(0);
    expect(count429(server.requests)).toBeLessThanOrEqual(prompts.length * 0.01);
    // The time (600 prompts within 10 % of the ideal 10 s) is a benchmark: `npm run bench -- rate-bound`.
  });

  it("--tpm equal to the server's token limit (prompt + max_tokens): what it sends stays within the limit in every sliding second", async () => {
    const N = 2000;
    const MAX_TOKENS = 80;
    const server = await fresh({ latencyMs: 30, rateLimit: { tokens: N, windowMs: 1000, headers: false } });
    // Same-sized prompts: 3 (primer) + 3 (message) + content tokens, plus 80 max_tokens ≈ 90 each, so ~22/s.
    const prompts = numbered('token paced prompt number', 90);
    const t = await timedRun(server, prompts, ['-c', '50', '--tpm', String(N * 60), '--max-tokens', String(MAX_TOKENS)], 'tpm.txt');
    note(`tpm ${N * 60}`, t, server);
    expectAllAnswered(t, prompts);
    const perRequest = Math.max(...server.requests.map(chargedTokens));
    expect(server.requests.every((q) => q.body?.max_tokens === MAX_TOKENS || q.body?.max_completion_tokens === MAX_TOKENS)).toBe(true);
    // What the server charged each accepted request, at the time the CLI admitted it: within N in
    // every sliding second (plus one request: a token estimate is not the server's own count).
    const charged = t.rows.map((row) => ({ t: Date.parse(row.started_at!), tokens: chargedTokens(acceptedFor(server, row.prompt)) }));
    expect(maxCostInWindow(charged, 1000, (c) => c.tokens)).toBeLessThanOrEqual(N + perRequest);
    // What it sent, refused requests included, as the server saw it arrive: within N a second over
    // the whole span, and in every sliding second the bound above plus one request when arrivals
    // bunch, as for --rpm: the pace (1,960 a second, 92 each) spaces 23 admissions over at least
    // 1,025 ms, so 23 arrivals in a second took 25 ms more delivery or server event-loop delay on
    // the first than on the last (2,116 in one CI run of 2026-12-04, beside the niced Node 24
    // phases; 2,024 on a quiet machine, 22 arrivals). A --tpm 17 % too high sends 2,116–2,208 in a
    // second and 400–510 beyond the span's N (8 × 429); this pacer ~600 below. The server's
    // second-long window still refuses about one request a second (4 × 429 in 94 requests, all
    // answered on retry): the pace's one-request head start is above the 2 % margin when a request
    // is 5 % of a second's tokens. Pacing to an exact second as well cost 40 % of the rate at a
    // per-minute limit (60-token requests at --tpm 6000 went one a second), so it is not done.
    expect(maxCostInWindow(server.requests, 1000, chargedTokens)).toBeLessThanOrEqual(N + 2 * perRequest);
    expect(sentBeyondSpan(server.requests, N, chargedTokens)).toBeLessThanOrEqual(0);
    // That it runs AT the limit (≥ 90 % of N) is the pacer's, on virtual time.
  });

  it("--tpm equal to a server's per-minute token limit (requests above and below N/60): each waits its share, at ~N a minute, no 429", async () => {
    // The server counts prompt + max_tokens over a sliding minute and gives nothing back for a short
    // answer. A request above N/60 (~190 tokens at 100 a second) must wait its own share (~1.9 s),
    // not a fixed second: at one a second such requests spend a minute's N in half a minute and
    // meet 429s (measured by hand at --tpm 30000 --max-tokens 1000: 29 requests in 28 s, then 429s).
    // Small ones (~30 tokens) go at the full rate, not one a second either.
    const N = 6000;
    const server = await fresh({ latencyMs: 10, rateLimit: { tokens: N, windowMs: 60_000, headers: false } });
    const caps = [20, 180, 180, 20, 20];
    const rows = caps.map((max, i) => JSON.stringify({ prompt: `minute paced ${i + 1}`, max_tokens: max }));
    const t = await timedRun(server, rows, ['--tpm', String(N)], 'tpm-minute.jsonl');
    note(`tpm ${N} over a minute`, t, server);
    expect(t.r.stderr).toBe('');
    expect(t.r.code).toBe(0);
    expect(t.rows.filter((row) => row.error === null)).toHaveLength(caps.length);
    expect(count429(server.requests)).toBe(0);
    const arrived = [...server.requests].sort((a, b) => a.t - b.t);
    const perSecond = N / 60;
    const gaps = arrived.slice(1).map((q, i) => Math.round(q.t - arrived[i]!.t));
    console.log(`[rate] tpm ${N} over a minute: gaps ${gaps.join(' ')} ms, charged ${arrived.map(chargedTokens).join(' ')}`);
    // From the second request on (the first leaves late: the transport loads on first use), each
    // arrived at least ~its own share of time after the one before it: ~1.9 s before a large one,
    // ~0.3 s before a small one (90 % of it less 60 ms: the CLI's token estimate is not the mock's
    // count, and deliveries jitter). The old pacer sent a large one a second after another.
    const paced = arrived.slice(1);
    for (let i = 1; i < paced.length; i++) {
      expect(paced[i]!.t - paced[i - 1]!.t).toBeGreaterThanOrEqual((chargedTokens(paced[i]!) / perSecond) * 900 - 60);
    }
    // ...and not much more: near N/60 a second over the span (the small ones one a second fail this).
    const spanS = (paced.at(-1)!.t - paced[0]!.t) / 1000;
    const sent = paced.reduce((sum, q) => sum + chargedTokens(q), 0) - chargedTokens(paced[0]!);
    expect(sent / spanS).toBeGreaterThanOrEqual(0.9 * perSecond);
  });
});

describe.sequential('adaptive, no --rpm: a server limiting to 60/s (200 ms latency, -c 50)', () => {
  it('with x-ratelimit headers (300 prompts): all answered, 429s ≤ 2 % of prompts; from the first answer on, never over the 60/s announced', async () => {
    const server = await fresh({ latencyMs: 200, rateLimit: { requests: 60, windowMs: 1000, headers: true } });
    const prompts = numbered('adaptive headers', 300);
    const t = await timedRun(server, prompts, ['-c', '50'], 'adaptive-headers.txt');
    note('adaptive, headers', t, server);
    expectAllAnswered(t, prompts);
    // With the limit and its remaining/reset in every answer, arrival jitter costs few 429s here
    // (with 600 prompts never over 12 in 10 runs under two busy loops: ~1 in 50), unlike the bare case below.
    expect(count429(server.requests)).toBeLessThanOrEqual(prompts.length * 0.02);
    expect(densestAfterFirstAnswer(t.rows)).toBeLessThanOrEqual(60);
    // How fast (600 prompts ≤ 11.8 s) is the governor's on virtual time, and a benchmark: `npm run bench -- adaptive`.
  });

  it('with only retry-after in whole seconds (240 prompts): all answered, each 429 retried', async () => {
    const server = await fresh({ latencyMs: 200, rateLimit: { requests: 60, windowMs: 1000, headers: false, retryAfter: 'seconds' } });
    const prompts = numbered('adaptive bare', 240);
    const t = await timedRun(server, prompts, ['-c', '50'], 'adaptive-bare.txt');
    note('adaptive, retry-after seconds', t, server);
    expectAllAnswered(t, prompts);
    // It met the limit, and every refusal was retried to an answer (one row per prompt, none failed).
    expect(count429(server.requests)).toBeGreaterThan(0);
    expect(t.rows.reduce((sum, row) => sum + row.attempts, 0)).toBe(server.requests.length);
    // The 429 count (≤ 10 %) and the time (600 prompts ≤ 13.3 s) are the governor's on virtual time, and a
    // benchmark: `npm run bench -- adaptive`.
  });

  it('against 60 a minute with only retry-after in whole seconds (12 prompts, -c 4): all answered, few 429s', async () => {
    // Too few 429s a second for a burst: the pace locked at ~1.3 a second and every other request
    // was refused (here 14 × 429 and a row failed rate_limit; 30 prompts, 28 and 5).
    const server = await fresh({ latencyMs: 50, rateLimit: { requests: 1, windowMs: 1000, headers: false, retryAfter: 'seconds' } });
    const prompts = numbered('sixty a minute', 12);
    const t = await timedRun(server, prompts, ['-c', '4'], 'sixty.txt');
    note('adaptive, 60 a minute', t, server);
    expectAllAnswered(t, prompts);
    // The first wave's 3 and a probe or two (6 seen).
    expect(count429(server.requests)).toBeLessThanOrEqual(8);
  });
});

describe.sequential('a lone 429', () => {
  it('[[fault:429]] (retry-after-ms: 200): the retry arrives ≥ 190 ms after the refused request; attempts 2', async () => {
    const server = await fresh({ latencyMs: 0 });
    const limited = 'slow down [[fault:429]]';
    const t = await timedRun(server, [limited], [], 'retry-after.txt');
    expectAllAnswered(t, [limited]);
    expect(t.rows[0]!.attempts).toBe(2);
    const [refused, retry] = server.requests.filter((q) => q.prompt === limited);
    expect(server.countFor(limited)).toBe(2);
    expect(refused!.status).toBe(429);
    expect(retry!.status).toBe(200);
    const gap = retry!.t - refused!.t;
    console.log(`[rate] retry-after 200 ms: retry ${Math.round(gap)} ms after the 429`);
    expect(gap).toBeGreaterThanOrEqual(190);
    // Roughly the retry-after: 200 ms plus a little jitter, not the 1 s of the coarse retry-after: 1
    // nor a pace cut to ~1 request/s learned from this single refusal.
    expect(gap).toBeLessThan(1000);
  });

  it('[[fault:429]] on the 2nd of 60 prompts (-c 8, 20 ms latency) does not cripple the rest of the run', async () => {
    const server = await fresh({ latencyMs: 20 });
    const prompts = numbered('lone', 60);
    prompts[1] = 'lone 2 [[fault:429]]';
    const t = await timedRun(server, prompts, ['-c', '8'], 'lone-429.txt', 12_000);
    note('lone 429 early', t, server);
    // Without the 429 this takes ~1 s; a pace cut to ~1/s would miss the 12 s net. That stray 429s
    // leave the pace as it was is the governor's, on virtual time.
    expectAllAnswered(t, prompts);
    expect(count429(server.requests)).toBe(1);
  });
  it('a hiccup (every request refused for 300 ms, no rate headers) early in a run of 2,000 does not hold back the rest', async () => {
    // An upstream's hiccup, not a rate limit: its burst reads as a limit of what the run's first
    // 200 ms sent (~80 a second at -c 20). The pace must find its way back to what -c 20 and 50 ms
    // allow (~400 a second, ~6 s for the run): at the probe's old 1 % a second it took ~30 s.
    let first: number | undefined;
    const server = await fresh({
      latencyMs: 50,
      fault: () => {
        const now = performance.now();
        first ??= now;
        return now - first >= 200 && now - first < 500 ? '429' : undefined;
      },
    });
    const prompts = numbered('hiccup', 2000);
    const t = await timedRun(server, prompts, ['-c', '20', '--no-cache'], 'hiccup.txt', 20_000);
    note('hiccup', t, server);
    expectAllAnswered(t, prompts);
    expect(count429(server.requests)).toBeGreaterThan(5);
  });

  it('--rpm above a header-less limit whose 429s carry retry-after-ms: the pace settles under the limit', async () => {
    // --rpm 9000 is 150 a second; the server takes 100 in any second and says nothing else. Each 429
    // pauses everyone for its precise wait, so none comes in a burst: the pace used to climb back
    // to --rpm after every one, and 184 of 2,500 requests were refused (7-14 % of 5,000); now ~50.
    const server = await fresh({ latencyMs: 50, rateLimit: { requests: 100, headers: false, retryAfter: 'ms' } });
    const prompts = numbered('over-rpm', 2500);
    const t = await timedRun(server, prompts, ['--rpm', '9000', '-c', '50', '--no-cache'], 'over-rpm.txt', 60_000);
    note('--rpm over a header-less limit', t, server);
    expectAllAnswered(t, prompts);
    expect(count429(server.requests)).toBeGreaterThan(0);
    expect(count429(server.requests)).toBeLessThanOrEqual(100);
  });
});
