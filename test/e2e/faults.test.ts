/**
 * Batch runner end to end, faults: every retryable fault the mock server can inject is survived
 * (one retry, no duplicated text from the broken attempt), exhausted retries and timeouts become
 * typed error rows, a 400 is not retried, a 401 stops the run and a quota 429 stops admitting.
 * The retryable faults' cases that need the same flags share one run, each with its own prompts.
 * Spawns the BUILT CLI: `npm run build` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRET_KEY, parseJsonl, writePrompts, type CliResult } from '../helpers/run-cli.js';
import type { FaultKind, MockServer } from '../helpers/mock-server.js';
import type { ResultRow } from '../../src/types.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';

// With the response cache on, as a user's run has it: a fault's retry must not store, nor serve, a broken answer.
const { dir, fresh } = useServers('llm-batch-faults-', { cache: true });

/** Safety net for a child that never ends (e.g. a stall nobody times out): killed, so the test fails on its exit code. */
const CHILD_NET_MS = 20_000;

function expectNoSecret(r: CliResult, ...files: string[]): void {
  expect(r.stdout).not.toContain(SECRET_KEY);
  expect(r.stderr).not.toContain(SECRET_KEY);
  for (const f of files) if (fs.existsSync(f)) expect(fs.readFileSync(f, 'utf8'), f).not.toContain(SECRET_KEY);
}

let seq = 0;
/** A file name nobody else in this file uses (tests run concurrently in one temp dir). */
const fileName = (tag: string): string => `${tag.replace(/\W+/g, '-')}-${++seq}.txt`;

const RETRYABLE: FaultKind[] = ['500', '502', '503', '408', '409', '498', '429', 'reset', 'cut', 'stall', 'hang', 'garbage'];
const MODES = ['--stream', '--no-stream'] as const;
type Mode = (typeof MODES)[number];
const CASES = RETRYABLE.flatMap((kind) => MODES.map((mode) => [kind, mode] as const));

/** A case's flags: the kinds whose flags are the same share one run (one CLI start), each with its own prompts. */
function flagsFor(kind: FaultKind, mode: Mode): string[] {
  // Only a stall or a hang needs a short idle timeout to end its first attempt. On every other
  // kind a 1 s one failed healthy requests once the machine was loaded (the mock answers from
  // the busy test worker), and their extra retry broke the exact counts below.
  const idle = kind === 'stall' || kind === 'hang' ? '2' : '30';
  // Without streaming the wait for headers is --timeout's alone (the answer comes whole).
  const deadline = kind === 'hang' && mode === '--no-stream' ? ['--timeout', '2'] : [];
  return [mode, '-c', '3', '--idle-timeout', idle, ...deadline, '-q'];
}

/** A case's three prompts: a healthy one either side of the one that fails its first attempt. */
function promptsFor(kind: FaultKind, mode: Mode): { target: string; prompts: string[] } {
  const target = `flaky ${kind} ${mode} [[fault:${kind}]]`;
  return { target, prompts: [`before ${kind} ${mode}`, target, `after ${kind} ${mode}`] };
}

interface SharedRun {
  server: MockServer;
  r: CliResult;
  rows: ResultRow[];
  /** Every prompt the run sent: its cases' prompts, in their order. */
  prompts: string[];
}

const sharedRuns = new Map<string, Promise<SharedRun>>();

/** The one run of every case whose flags are this case's, started by whichever of them asks first. */
function runFor(kind: FaultKind, mode: Mode): Promise<SharedRun> {
  const flags = flagsFor(kind, mode);
  const key = flags.join(' ');
  let shared = sharedRuns.get(key);
  if (!shared) {
    shared = (async () => {
      const { server, run } = await fresh({ latencyMs: 10 });
      const prompts = CASES.filter(([k, m]) => flagsFor(k, m).join(' ') === key).flatMap(([k, m]) => promptsFor(k, m).prompts);
      const file = writePrompts(dir, fileName(key), prompts);
      const r = await run([file, ...flags], { timeoutMs: CHILD_NET_MS });
      return { server, r, rows: rowsOf(r), prompts };
    })();
    sharedRuns.set(key, shared);
  }
  return shared;
}

describe.concurrent('a retryable fault on one attempt is survived with exactly one retry', () => {
  it.each(CASES)('[[fault:%s]] with %s: attempts 2, 2 requests, clean answer, exit 0', async (kind, mode) => {
    const { server, r, rows, prompts: sent } = await runFor(kind, mode);
    const { target, prompts } = promptsFor(kind, mode);
    // One row per prompt of the run, and exactly this case's three for its prompts.
    expect(rows).toHaveLength(sent.length);
    const mine = rows.filter((row) => prompts.includes(row.prompt));
    expect(mine).toHaveLength(3);
    for (const row of mine) {
      expect(row.error, row.prompt).toBeNull();
      // Exactly the echo: nothing left over from a cut or stalled first attempt.
      expect(row.response).toBe(`ECHO ${row.prompt}`);
      expect(row.finish_reason).toBe('stop');
    }
    const flaky = mine.find((row) => row.prompt === target)!;
    expect(flaky.attempts).toBe(2);
    expect(server.countFor(target)).toBe(2);
    for (const p of prompts.filter((p) => p !== target)) {
      expect(server.countFor(p)).toBe(1);
      expect(mine.find((row) => row.prompt === p)!.attempts).toBe(1);
    }
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe.concurrent('exhausted retries, deadlines and non-retryable errors', () => {
  it('[[fault:500*9]] with --retries 2: an http 500 row after 3 attempts and exactly 3 requests; exit 1', async () => {
    const { server, run } = await fresh({ latencyMs: 10 });
    const bad = 'always broken [[fault:500*9]]';
    const file = writePrompts(dir, fileName('500x9'), ['fine first', bad]);
    const r = await run([file, '--retries', '2', '-q'], { timeoutMs: CHILD_NET_MS });
    expect(r.code).toBe(1);
    const rows = rowsOf(r);
    expect(rows).toHaveLength(2);
    const failed = rows.find((row) => row.prompt === bad)!;
    expect(failed.error).toMatchObject({ type: 'http', status: 500 });
    expect(failed.error!.message).toMatch(/500/);
    expect(failed.response).toBeNull();
    expect(failed.attempts).toBe(3);
    expect(server.countFor(bad)).toBe(3);
    expect(rows.find((row) => row.prompt === 'fine first')!.error).toBeNull();
  });

  it('[[fault:hang*9]] with --retries 0 --idle-timeout 0.5: a timeout row; exit 1', async () => {
    const { server, run } = await fresh({ latencyMs: 10 });
    const bad = 'no headers ever [[fault:hang*9]]';
    const file = writePrompts(dir, fileName('hang'), [bad]);
    const started = performance.now();
    const r = await run([file, '--retries', '0', '--idle-timeout', '0.5', '-q'], { timeoutMs: CHILD_NET_MS });
    const wall = performance.now() - started;
    expect(r.code).toBe(1);
    const [row] = rowsOf(r);
    expect(row!.error?.type).toBe('timeout');
    expect(row!.attempts).toBe(1);
    expect(server.countFor(bad)).toBe(1);
    // The idle timeout ended it, not the mock giving up (60 s) nor the whole-attempt deadline (600 s).
    expect(wall).toBeLessThan(CHILD_NET_MS / 2);
  });

  it('--timeout 1 ends a stream that keeps trickling (chunks 400 ms apart, idle timeout not reached): timeout row; exit 1', async () => {
    const { server, run } = await fresh({ latencyMs: 10, chunkDelayMs: 400 });
    const slow = 'a b c d e f g';
    const file = writePrompts(dir, fileName('deadline'), [slow]);
    const r = await run([file, '--stream', '--timeout', '1', '--idle-timeout', '5', '--retries', '0', '-q'], { timeoutMs: CHILD_NET_MS });
    expect(r.code).toBe(1);
    const [row] = rowsOf(r);
    expect(row!.error?.type).toBe('timeout');
    expect(row!.response).toBeNull();
    expect(server.countFor(slow)).toBe(1);
  });

  it('a long healthy stream (300 ms between 10+ chunks, ~3 s in all) is not cut by --idle-timeout 1', async () => {
    const { server, run } = await fresh({ latencyMs: 10, chunkDelayMs: 300 });
    // 7 words → "ECHO" + 7 = 8 content pieces, plus role, finish, usage and [DONE] frames.
    const slow = 'one two three four five six seven';
    const file = writePrompts(dir, fileName('long-healthy'), [slow]);
    const started = performance.now();
    const r = await run([file, '--stream', '--idle-timeout', '1', '--retries', '0', '-q'], { timeoutMs: CHILD_NET_MS });
    const wall = performance.now() - started;
    expect(r.code).toBe(0);
    const [row] = rowsOf(r);
    expect(row!.error).toBeNull();
    expect(row!.response).toBe(`ECHO ${slow}`);
    expect(row!.attempts).toBe(1);
    expect(server.countFor(slow)).toBe(1);
    // It really outlived the idle timeout.
    expect(wall).toBeGreaterThan(2500);
  });

  it('[[fault:400]] is not retried: one request, http 400 row; exit 1', async () => {
    const { server, run } = await fresh({ latencyMs: 10 });
    const bad = 'bad request [[fault:400]]';
    const file = writePrompts(dir, fileName('400'), [bad, 'fine']);
    const r = await run([file, '-q'], { timeoutMs: CHILD_NET_MS });
    expect(r.code).toBe(1);
    const failed = rowsOf(r).find((row) => row.prompt === bad)!;
    expect(failed.error).toMatchObject({ type: 'http', status: 400 });
    expect(failed.attempts).toBe(1);
    expect(server.countFor(bad)).toBe(1);
  });

  it('[[fault:401]] stops the run: exit 2, nothing admitted after it, the key never printed', async () => {
    const { server, run } = await fresh({ latencyMs: 10 });
    const prompts = Array.from({ length: 20 }, (_, i) => `auth ${i + 1}`);
    const bad = 'auth 3 [[fault:401]]';
    prompts[2] = bad;
    const out = path.join(dir, 'auth-401.jsonl');
    const file = writePrompts(dir, fileName('401'), prompts);
    const r = await run([file, '-c', '1', '-o', out], { timeoutMs: CHILD_NET_MS });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/401|rejected|unauthori[sz]ed/i);
    // One at a time: prompts 1 and 2, then the 401, then nothing more.
    expect(server.requests.map((q) => q.prompt)).toEqual(['auth 1', 'auth 2', bad]);
    expect(server.countFor(bad)).toBe(1);
    // The mock echoes the whole key in its 401 message; it must not reach any output.
    expectNoSecret(r, out);
  });

  it.each<[FaultKind, RegExp]>([
    ['quota', /quota exhausted: HTTP 429 insufficient_quota: You exceeded your current quota/],
    // A LiteLLM proxy's key over its budget, in its words now and in older proxies'.
    ['budget', /quota exhausted: HTTP 429 budget_exceeded: Budget has been exceeded!/],
    ['budget400', /quota exhausted: HTTP 400 budget_exceeded: Budget has been exceeded!/],
  ])('[[fault:%s]] stops admitting (-c 2, 30 prompts): exit 3, resume command, no row for unanswered prompts; never retried', async (kind, said) => {
    const { server, run } = await fresh({ latencyMs: 20 });
    const prompts = Array.from({ length: 30 }, (_, i) => `${kind} run ${i + 1}`);
    const bad = `${kind} run 5 [[fault:${kind}]]`;
    prompts[4] = bad;
    const out = path.join(dir, `${kind}.jsonl`);
    const file = writePrompts(dir, fileName(kind), prompts);
    const r = await run([file, '-c', '2', '-o', out], { timeoutMs: CHILD_NET_MS });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(said);
    // Its 429 is counted as any other (as the RPD stop's is): it was missing from the summary.
    if (kind !== 'budget400') expect(r.stderr).toMatch(/^llm-batch: stopped \(quota\): .*, 1 × 429 · /m);
    // A command that finishes the run: same output, --resume.
    const resume = r.stderr.split('\n').find((l) => /--resume/.test(l));
    expect(resume, r.stderr).toBeDefined();
    expect(resume).toMatch(/llm-batch/);
    expect(resume).toContain(out);

    // Sent exactly once, and the run stopped admitting soon after (at most a slot's worth more).
    expect(server.countFor(bad)).toBe(1);
    expect(server.requests.length).toBeLessThanOrEqual(8);
    const badIndex = server.requests.findIndex((q) => q.prompt === bad);
    expect(server.requests.length - badIndex - 1).toBeLessThanOrEqual(2);

    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    expect(rows.length).toBeLessThan(30);
    const sent = new Set(server.requests.map((q) => q.prompt));
    for (const row of rows) {
      // Answered rows only: the quota'd prompt and the never-sent ones are left for --resume.
      expect(row.error, row.prompt).toBeNull();
      expect(row.response).toBe(`ECHO ${row.prompt}`);
      expect(sent.has(row.prompt)).toBe(true);
    }
    expect(rows.find((row) => row.prompt === bad)).toBeUndefined();
    expectNoSecret(r, out);
  });
});
