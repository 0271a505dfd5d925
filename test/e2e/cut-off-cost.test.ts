/**
 * Attempts cut off after they were sent (a reset stream, a timeout) may have been billed, and no
 * usage says for what: the summary's estimate is then a lower bound, with or without --max-cost
 * (whose budget charges them their worst case).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { writePrompts } from '../helpers/run-cli.js';
import { startPty } from '../helpers/run-pty.js';
import { until } from '../helpers/until.js';

const ctx = useServers('llm-batch-cut-off-cost-');

describe('cut-off attempts in the cost estimate', () => {
  it('a stream cut off beside an answer with usage: est. ≥, "atLeast", and the count (no --max-cost)', async () => {
    const { run } = await ctx.fresh({ fault: ({ prompt }) => (prompt.includes('cut') ? 'cut' : undefined) });
    const input = writePrompts(ctx.dir, 'cut.txt', ['fine', 'cut me']);
    const summaryFile = path.join(ctx.dir, 'cut.json');
    const r = await run([input, '-m', 'gpt-4o-mini', '--retries', '0', '-o', path.join(ctx.dir, 'cut.jsonl'), '--summary-json', summaryFile]);
    expect(r.code, r.stderr).toBe(1);
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    expect(summary.attemptsCutOff).toBe(1);
    expect(summary.estimatedCost).toMatchObject({ atLeast: true });
    expect(r.stderr).toMatch(/ tokens in \/ \d+ out \(1 attempt cut off\) · est\. ≥ \$/);
  });

  it('every attempt timed out mid-stream under --max-cost: cost unknown, not "est. $0.00", while the budget charged them', async () => {
    const { run } = await ctx.fresh({ fault: () => 'stall', stallMs: 5_000 });
    const input = writePrompts(ctx.dir, 'to.txt', ['slow']);
    const summaryFile = path.join(ctx.dir, 'to.json');
    const r = await run([
      input,
      '-m',
      'gpt-4o-mini',
      '--timeout',
      '1',
      '--retries',
      '1',
      '-o',
      path.join(ctx.dir, 'to.jsonl'),
      '--max-cost',
      '1',
      '--summary-json',
      summaryFile,
    ]);
    expect(r.code, r.stderr).toBe(1);
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    expect(summary.budget.spentUsd).toBeGreaterThan(0);
    expect(summary.attemptsCutOff).toBe(2);
    expect(summary.estimatedCost).toMatchObject({ usd: 0, atLeast: true });
    expect(r.stderr).toMatch(/0 tokens in \/ 0 out \(2 attempts cut off\) · cost unknown \(no usage reported\) ·/);
    expect(r.stderr).not.toContain('est. $0.00');
  });

  it.each(['html', 'empty', 'errorstring'] as const)(
    'a 200 with no answer in it (%s) is a refusal: nothing charged under --max-cost, no attempt cut off',
    async (fault) => {
      const { run } = await ctx.fresh({ fault: ({ prompt }) => (prompt.startsWith('page') ? fault : undefined) });
      const input = writePrompts(ctx.dir, `${fault}.txt`, ['page 1', 'page 2', 'page 3', 'page 4']);
      const summaryFile = path.join(ctx.dir, `${fault}.json`);
      const args = [input, '-m', 'gpt-4o-mini', '-c', '1', '--max-cost', '1', '--summary-json', summaryFile, '-o', path.join(ctx.dir, `${fault}.jsonl`)];
      const r = await run(args);
      // The first three alike stop the run as an unusable endpoint; none of them was billed.
      expect(r.code, r.stderr).toBe(4);
      const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
      expect({ spent: summary.budget.spentUsd, cutOff: summary.attemptsCutOff }).toEqual({ spent: 0, cutOff: 0 });
      expect(r.stderr).toContain('0 tokens in / 0 out · est. $0.00');
    },
  );

  it('Ctrl-C twice while an answer streams on a terminal: the summary says the cut attempt was not priced', async () => {
    const { server } = await ctx.fresh();
    const input = writePrompts(ctx.dir, 'tty.txt', ['whole', 'halfway [[fault:stall*9]]']);
    const session = startPty([input, '--base-url', server.url, '-m', 'gpt-4o-mini', '-c', '1', '--no-cache']);
    await until(() => server.requests.some((q) => q.prompt.startsWith('halfway') && q.status === 200), 'the stalled stream');
    await session.waitFor(/\] halfway/);
    session.type('\x03');
    await session.waitFor(/stopping: /);
    session.type('\x03');
    const r = await session.done;
    expect(r.code).toBe(130);
    expect(r.screen.join(' ')).toMatch(/\(1 attempt cut off\) ·\s+est\. ≥ \$/);
  });
});
