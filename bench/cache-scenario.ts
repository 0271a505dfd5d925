/**
 * The response cache at scale: 100,000 prompts asked once (filling a fresh cache), then the same
 * 100,000 again, all answered from the cache. Kept apart from scenarios.ts so the cache's bench
 * travels with the cache.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startMockServer } from '../test/helpers/mock-server.js';
import { BENCH_KEY, checkRows, describeRowCheck, fmt, makePrompts, readSummary, runCli, tail, workspace, type ScenarioResult } from './harness.js';

const N = 100_000;

/** Allocated bytes (not the apparent size: LMDB files may be sparse). */
function bytesOnDisk(dir: string): number {
  let total = 0;
  for (const name of fs.readdirSync(dir)) total += fs.statSync(path.join(dir, name)).blocks * 512;
  return total;
}

export async function runCacheScenario(): Promise<ScenarioResult> {
  const prompts = makePrompts(N, 'cache');
  const ws = workspace(prompts);
  const cacheDir = path.join(ws.dir, 'cache');
  const server = await startMockServer({ apiKey: BENCH_KEY, latencyMs: 2 });
  try {
    const common = [ws.input, '--base-url', server.url, '--cache-dir', cacheDir, '--summary-json', ws.summary, '-c', '256', '-q', '--overwrite'];
    const fill = await runCli([...common, '-o', ws.output], { timeoutMs: 600_000 });
    const fillRows = checkRows(ws.output, prompts);
    const sent = server.requests.length;
    const disk = bytesOnDisk(cacheDir);
    const again = await runCli([...common, '-o', ws.output], { rss: true, timeoutMs: 600_000 });
    const againRows = checkRows(ws.output, prompts);
    const summary = readSummary(ws.summary) as (ReturnType<typeof readSummary> & { fromCache?: number }) | undefined;
    const requestsOnRerun = server.requests.length - sent;
    const notes: string[] = [];
    if (fill.code !== 0) notes.push(`fill run: exit ${fill.code}; ${tail(fill.stderr)}`);
    if (again.code !== 0) notes.push(`cached run: exit ${again.code}; ${tail(again.stderr)}`);
    const rerunS = again.wallMs / 1000;
    return {
      scenario: 'cache',
      notes,
      measures: [
        {
          name: 'rows (fill, re-run)',
          value: `${describeRowCheck(fillRows, N)}; ${describeRowCheck(againRows, N)}`,
          requirement: 'one success row per prompt, exit 0',
          pass: fillRows.pass && againRows.pass && fill.code === 0 && again.code === 0,
        },
        { name: 'wall, first run (fills the cache)', value: fmt.s(fill.wallMs) },
        { name: 'wall, cached re-run', value: fmt.s(again.wallMs), requirement: '< 15 s', pass: rerunS < 15 },
        { name: 'cached re-run / first run', value: fmt.ratio(again.wallMs / fill.wallMs) },
        {
          name: 'answers from cache, requests sent',
          value: `${fmt.int(summary?.fromCache ?? 0)}, ${fmt.int(requestsOnRerun)}`,
          requirement: `${fmt.int(N)}, 0`,
          pass: summary?.fromCache === N && requestsOnRerun === 0,
        },
        { name: 'lookup rate (whole CLI)', value: `${fmt.int(Math.round(N / rerunS))} answers/s` },
        { name: 'cache on disk', value: `${(disk / 1e6).toFixed(1)} MB, ${fmt.int(Math.round(disk / N))} B/entry` },
        { name: 'peak RSS, cached re-run', value: fmt.mb(again.peakRssKb) },
      ],
    };
  } finally {
    await server.close();
    ws.cleanup();
  }
}
