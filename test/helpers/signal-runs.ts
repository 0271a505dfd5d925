/**
 * The signal suites' runs (test/e2e/signals*.test.ts): a started CLI, the complete rows of its output
 * so far, and the SIGKILL-and---resume loop, each against a suite's server and case dir.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { expect } from 'vitest';
import type { MockServer } from './mock-server.js';
import { parseJsonl, spawnCli, waitForExit, type CliResult } from './run-cli.js';
import { seededRandom } from './seeded-random.js';
import { until } from './until.js';

/** useServerAndCaseDir's context. */
export interface SignalCtx {
  readonly server: MockServer;
  readonly dir: string;
}

export interface Row {
  id: string;
  line: number;
  prompt: string;
  response: string | null;
  error: { type: string; message: string } | null;
}

export function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Rows from the complete ('\n'-terminated) lines only: a torn tail is not a row. */
export function completeRows(file: string): Row[] {
  const text = readOr(file);
  return parseJsonl<Row>(text.slice(0, text.lastIndexOf('\n') + 1));
}

export function completeLineCount(file: string): number {
  const text = readOr(file);
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** A started CLI with its exit promise and an exited flag for polling. */
export function start(ctx: SignalCtx, args: readonly string[]): { child: ChildProcess; exit: Promise<CliResult>; exited: () => boolean } {
  const child = spawnCli([...args, '--base-url', ctx.server.url], { cache: true });
  let done = false;
  child.on('exit', () => (done = true));
  return { child, exit: waitForExit(child), exited: () => done };
}

/** Every prompt exactly one success row, nothing else, no torn line. */
export function expectExactlyOnce(file: string, prompts: readonly string[]): Row[] {
  const text = fs.readFileSync(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const rows = parseJsonl<Row>(text);
  expect(rows.filter((r) => r.error !== null)).toEqual([]);
  const seen = new Map<string, number>();
  for (const r of rows) seen.set(r.prompt, (seen.get(r.prompt) ?? 0) + 1);
  const dupes = [...seen].filter(([, n]) => n > 1);
  expect(dupes).toEqual([]);
  expect([...seen.keys()].sort()).toEqual([...prompts].sort());
  expect(new Set(rows.map((r) => r.id)).size).toBe(prompts.length);
  for (const r of rows) expect(r.response).toBe(`ECHO ${r.prompt}`);
  return rows;
}

export interface KillLoopResult {
  /** One entry per run: its request range in ctx.server.requests and what was done before it started. */
  runs: { from: number; to: number; doneBefore: Set<string>; killed: boolean; code: number | null }[];
}

/**
 * Starts the CLI, SIGKILLs it once the output has a seeded random number of new lines, and
 * restarts it with --resume, `kills` times; then lets a last --resume run finish.
 */
export async function killLoop(
  ctx: SignalCtx,
  args: readonly string[],
  out: string,
  kills: number,
  seed: number,
  maxNewLines: number,
): Promise<KillLoopResult> {
  const rand = seededRandom(seed);
  const runs: KillLoopResult['runs'] = [];
  for (let cycle = 0; ; cycle++) {
    const doneBefore = new Set(
      completeRows(out)
        .filter((r) => r.error === null)
        .map((r) => r.prompt),
    );
    const from = ctx.server.requests.length;
    const run = start(ctx, cycle === 0 ? args : [...args, '--resume']);
    let killed = false;
    if (cycle < kills) {
      const target = completeLineCount(out) + Math.floor(rand() * (maxNewLines + 1));
      await until(() => run.exited() || completeLineCount(out) >= target, `${target} lines in ${out}`);
      if (!run.exited()) killed = run.child.kill('SIGKILL');
    }
    const result = await run.exit;
    runs.push({ from, to: ctx.server.requests.length, doneBefore, killed, code: result.code });
    if (killed) {
      expect(result.signal).toBe('SIGKILL');
      continue;
    }
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.code, result.stderr).toBe(0);
    return { runs };
  }
}

/** No request of a run went to a prompt whose row was already in the file when that run started. */
export function expectNoResend(ctx: SignalCtx, runs: KillLoopResult['runs']): void {
  for (const [i, run] of runs.entries()) {
    const resent = ctx.server.requests
      .slice(run.from, run.to)
      .filter((q) => run.doneBefore.has(q.prompt))
      .map((q) => q.prompt);
    expect(resent, `run ${i} re-sent prompts already answered before it started`).toEqual([]);
  }
}
