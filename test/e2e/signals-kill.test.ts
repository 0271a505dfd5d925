/**
 * "Never lose or duplicate a row", part 2 (with signals.test.ts): the CLI SIGKILLed at seeded random
 * moments, then --resume, plain and under --order input. Apart from signals.test.ts so that the two
 * halves (~20 s each) run on two workers. Every test spawns the BUILT CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { parseJsonl, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';
import { collect } from '../helpers/result-rows.js';
import { readResults } from '../../src/output/index.js';
import { completeLineCount, completeRows, expectExactlyOnce, expectNoResend, killLoop, start, type KillLoopResult, type Row } from '../helpers/signal-runs.js';

const ctx = useServerAndCaseDir('llm-batch-signals-kill-');

describe('SIGKILL at random moments, then --resume', () => {
  it.each([
    [0x5eed01, 4],
    [0xc0ffee, 3],
  ])('seed %i, %i kills: every prompt ends with exactly one success row, nothing answered is sent again', async (seed, kills) => {
    const prompts = Array.from({ length: 200 }, (_, i) => `k${seed} q${i} [[latency:${20 + ((i * 37) % 41)}]]`);
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');

    const { runs } = await killLoop(ctx, [input, '-o', out, '-c', '8'], out, kills, seed, 35);
    expect(runs.filter((r) => r.killed).length, 'the kills happened before the batch was done').toBe(kills);

    expectExactlyOnce(out, prompts);
    expectNoResend(ctx, runs);
    // Every prompt was answered (200) at least once; a prompt is only sent again if its answer
    // was lost with a killed process (its row never reached the file).
    for (const p of prompts) expect(ctx.server.requests.some((q) => q.prompt === p && q.status === 200)).toBe(true);
    expect(fs.existsSync(`${out}.lock`)).toBe(false);
  });
});

describe('--order input', () => {
  it('rows come out in input order despite varying latencies', async () => {
    const prompts = Array.from({ length: 30 }, (_, i) => `ord q${i} [[latency:${5 + ((i * 53) % 80)}]]`);
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');
    const run = start(ctx, [input, '-o', out, '-c', '8', '--order', 'input']);
    const r = await run.exit;
    expect(r.code, r.stderr).toBe(0);
    const rows = expectExactlyOnce(out, prompts);
    expect(rows.map((x) => x.line)).toEqual(prompts.map((_, i) => i + 1));
    // Without --order input the same batch comes out of order, so the ordering is the option's doing.
    const unordered = await waitForExit(spawnCli([input, '-c', '8', '--base-url', ctx.server.url], { cache: true }));
    expect(unordered.code, unordered.stderr).toBe(0);
    const lines = parseJsonl<Row>(unordered.stdout).map((x) => x.line);
    expect(lines).toHaveLength(prompts.length);
    expect(lines).not.toEqual(prompts.map((_, i) => i + 1));
  });

  it.each([[0x0bd3, 2]])('seed %i, %i SIGKILLs + --resume: every prompt exactly once, each run in input order', async (seed, kills) => {
    const prompts = Array.from({ length: 80 }, (_, i) => `ordk q${i} [[latency:${10 + ((i * 53) % 60)}]]`);
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');

    const rand = seededRandom(seed);
    const boundaries: number[] = [];
    const runs: KillLoopResult['runs'] = [];
    for (let cycle = 0; ; cycle++) {
      const doneBefore = new Set(completeRows(out).map((r) => r.prompt));
      boundaries.push(completeLineCount(out));
      const from = ctx.server.requests.length;
      const run = start(ctx, [input, '-o', out, '-c', '8', '--order', 'input', ...(cycle > 0 ? ['--resume'] : [])]);
      let killed = false;
      if (cycle < kills) {
        const target = completeLineCount(out) + 5 + Math.floor(rand() * 15);
        await until(() => run.exited() || completeLineCount(out) >= target, `${target} lines`);
        if (!run.exited()) killed = run.child.kill('SIGKILL');
      }
      const r = await run.exit;
      runs.push({ from, to: ctx.server.requests.length, doneBefore, killed, code: r.code });
      if (!killed) {
        expect(r.code, r.stderr).toBe(0);
        break;
      }
    }
    expect(runs.filter((r) => r.killed)).toHaveLength(kills);

    const rows = expectExactlyOnce(out, prompts);
    expectNoResend(ctx, runs);
    // Within each run's stretch of the file, line numbers only increase; and the file as a whole, once
    // the last resume's compaction has put the stretches together.
    boundaries.push(rows.length);
    for (let i = 0; i + 1 < boundaries.length; i++) {
      const lines = rows.slice(boundaries[i], boundaries[i + 1]).map((x) => x.line);
      expect(lines, `run ${i}`).toEqual([...lines].sort((a, b) => a - b));
    }
    expect(rows.map((x) => x.line)).toEqual(prompts.map((_, i) => i + 1));
  });

  it.each(['jsonl', 'csv'] as const)(
    'a stop (SIGINT) writes the rows held behind a slow one; the resume puts every row back in input order (%s)',
    async (format) => {
      // Before, the resume appended the slow line's row at the end: lines 2 … 10, then 1.
      const prompts = ['ordi slow', ...Array.from({ length: 9 }, (_, i) => `ordi fast ${i}`)];
      const input = writePrompts(ctx.dir, 'p.txt', prompts);
      const out = path.join(ctx.dir, `out.${format}`);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      ctx.server.options.hold = (req) => (req.prompt === 'ordi slow' ? gate : undefined);
      try {
        const run = start(ctx, [input, '-o', out, '-c', '4', '--order', 'input']);
        await until(() => ctx.server.requests.filter((q) => q.prompt.startsWith('ordi')).length >= prompts.length, 'every prompt sent');
        run.child.kill('SIGINT');
        // A second Ctrl-C ends the 5 s given to the slow one at once (only sooner: one taken as both is the same stop).
        await new Promise((resolve) => setTimeout(resolve, 100));
        run.child.kill('SIGINT');
        expect((await run.exit).code).toBe(130);
      } finally {
        delete ctx.server.options.hold;
        release();
      }
      const firstLines = (await collect(readResults(out, format))).map((r) => r.line);
      expect(firstLines[0]).not.toBe(1);
      const resumed = await start(ctx, [input, '-o', out, '-c', '4', '--order', 'input', '--resume']).exit;
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toContain(`${out}: its rows put back in input order (--order input)`);
      const rows = await collect(readResults(out, format));
      expect(rows.map((r) => [r.line, r.error?.type ?? null])).toEqual(prompts.map((_, i) => [i + 1, null]));
    },
  );
});
