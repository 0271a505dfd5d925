/**
 * A `--resume --retry-failed` run stopped part-way, then resumed again as its hint says: the failures
 * it already asked again (answered now, or failed the same way again) are not asked a third time;
 * only those it had not reached yet are. Once a --retry-failed run ends, a new one asks every failure
 * again. The BUILT CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';

const ctx = useServerAndCaseDir('llm-batch-retry-again-');

/** A `--resume --retry-failed` run (`args`) stopped while `held`'s request is held: exit 130, its hint keeps the flag. */
async function stoppedAt(held: string, args: readonly string[]): Promise<void> {
  ctx.server.options.hold = ({ prompt }) => (prompt === held ? new Promise<void>(() => {}) : undefined);
  try {
    const sent = ctx.server.requests.length;
    const child = spawnCli(args);
    const exit = waitForExit(child);
    await until(() => child.exitCode !== null || ctx.server.requests.slice(sent).some((r) => r.prompt === held), 'the held request');
    child.kill('SIGTERM');
    child.kill('SIGTERM'); // the second stop gives up the held request at once
    const stopped = await exit;
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/--resume --retry-failed|--retry-failed --resume/);
  } finally {
    delete ctx.server.options.hold;
  }
}

describe('--resume --retry-failed stopped, then resumed with its hint', () => {
  it('asks again only the failures the stopped run had not asked yet', async () => {
    // Every one of these fails with a 400 in run 1; `again` fails again in run 2, `fixed` is then
    // answered, `held` is asked (and held) when run 2 is stopped, `later` is never reached by it.
    const again = 'r again [[fault:400*5]]';
    const fixed = 'r fixed [[fault:400*1]]';
    const held = 'r held [[fault:400*1]]';
    const later = 'r later [[fault:400*5]]';
    const input = writePrompts(ctx.dir, 'p.txt', ['r ok', again, fixed, held, later]);
    const out = path.join(ctx.dir, 'out.jsonl');
    const run = (args: readonly string[]) => runCli([input, '-o', out, '--base-url', ctx.server.url, ...args]);

    expect((await run([])).code).toBe(1);
    expect(parseJsonl<{ error: unknown }>(fs.readFileSync(out, 'utf8')).filter((r) => r.error !== null)).toHaveLength(4);

    // Run 2: -c 1 asks in input order; `held`'s second attempt is held until the run is stopped.
    await stoppedAt(held, [input, '-o', out, '--base-url', ctx.server.url, '-c', '1', '--resume', '--retry-failed']);
    expect(ctx.server.countFor(again)).toBe(2);
    expect(ctx.server.countFor(fixed)).toBe(2);
    expect(ctx.server.countFor(later)).toBe(1);

    // Run 3, as the hint says: `held` (stopped) and `later` (not reached) are asked; `again` is not
    // asked a third time, nor `fixed`. It still counts as failed: exit 1.
    const r3 = await run(['--resume', '--retry-failed']);
    expect(r3.code, r3.stderr).toBe(1);
    expect(ctx.server.countFor(again)).toBe(2);
    expect(ctx.server.countFor(fixed)).toBe(2);
    expect(ctx.server.countFor(held)).toBe(3);
    expect(ctx.server.countFor(later)).toBe(2);
    // The failure it skips failed in this pass: said as that, not as one --retry-failed would ask.
    expect(r3.stderr).toMatch(
      /1 ok, 1 failed \(http 1\), 3 already done \(1 of them failed earlier in this --retry-failed pass; the next pass asks it again\)/,
    );

    // Run 3 ended: the next --retry-failed is a new one, and asks both failures again.
    const r4 = await run(['--resume', '--retry-failed']);
    expect(r4.code, r4.stderr).toBe(1);
    expect(ctx.server.countFor(again)).toBe(3);
    expect(ctx.server.countFor(later)).toBe(3);
  });

  it('a plain --resume in between forgets the mark: a failure it met first is asked again by the next --retry-failed', async () => {
    const again = 'p again [[fault:400*9]]';
    const held = 'p held [[fault:400*1]]';
    const fresh = 'p fresh [[fault:400*9]]';
    const input = writePrompts(ctx.dir, 'plain.txt', ['p ok', again, held, fresh]);
    const out = path.join(ctx.dir, 'plain.jsonl');
    const run = (args: readonly string[]) => runCli([input, '-o', out, '--base-url', ctx.server.url, ...args]);
    // Run 1 leaves `again` and `held` failed and never reaches `fresh`; run 2 re-asks and is stopped.
    expect((await run(['--limit', '3'])).code).toBe(1);
    await stoppedAt(held, [input, '-o', out, '--base-url', ctx.server.url, '-c', '1', '--resume', '--retry-failed', '--limit', '3']);
    // Run 3, a plain resume, asks `fresh` for the first time: it fails.
    expect((await run(['--resume'])).code).toBe(1);
    expect(ctx.server.countFor(fresh)).toBe(1);
    // Run 4 retries failures: `fresh` was asked once, so it is asked again.
    expect((await run(['--resume', '--retry-failed'])).code).toBe(1);
    expect(ctx.server.countFor(fresh)).toBe(2);
  });
});

describe('--retry-failed and its mark', () => {
  it('a first pass asks every failure, one whose row is dated after this clock too', async () => {
    const early = 'f early [[fault:400*9]]';
    const ahead = 'f ahead [[fault:400*9]]';
    const input = writePrompts(ctx.dir, 'ahead.txt', ['f ok', early, ahead]);
    const out = path.join(ctx.dir, 'ahead.jsonl');
    const run = (args: readonly string[]) => runCli([input, '-o', out, '--base-url', ctx.server.url, ...args]);
    expect((await run([])).code).toBe(1);
    // As a clock set back since, or a Batch API row dated by the server's clock.
    const later = new Date(Date.now() + 10 * 60_000).toISOString();
    const rows = parseJsonl<{ prompt: string; finished_at: string }>(fs.readFileSync(out, 'utf8'));
    fs.writeFileSync(out, rows.map((r) => JSON.stringify(r.prompt === ahead ? { ...r, finished_at: later } : r)).join('\n') + '\n');
    const r2 = await run(['--resume', '--retry-failed']);
    expect(r2.code, r2.stderr).toBe(1);
    expect(ctx.server.countFor(early)).toBe(2);
    expect(ctx.server.countFor(ahead)).toBe(2);
  });

  it('a --batch-api --no-wait pass with batches still out keeps it: its resumes collect them and ask nothing again', async () => {
    let held = true;
    // Run 1's batch is 0; run 2 sends one line a batch: `cut a` in 1, `cut b` in 2, held until released.
    ctx.server.options.batches = { stepMs: 400, hold: (i) => held && i === 2 };
    const input = writePrompts(ctx.dir, 'nowait.txt', ['ok one', 'cut a [[fault:length]]', 'cut b [[fault:length]]']);
    const out = path.join(ctx.dir, 'nowait.jsonl');
    const run = (args: readonly string[]) =>
      runCli([input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--poll', '0.05', '--no-cache', '--fail-truncated', ...args]);
    expect((await run([])).code).toBe(1);
    const pass = ['--resume', '--retry-failed', '--no-wait', '--batch-size', '1'];
    const r2 = await run(pass);
    expect(r2.code, r2.stderr).toBe(75);
    expect(r2.stderr).toMatch(/submitted 1 request[\s\S]*submitted 1 request/);
    // Until `cut a`'s batch is in: exit 75, nothing sent again.
    for (let collected = false; !collected; ) {
      const r = await run(pass);
      expect(r.code, r.stderr).toBe(75);
      expect(r.stderr).not.toMatch(/submitted/);
      collected = /completed, 1\/1 done/.test(r.stderr);
    }
    held = false;
    const r4 = await run(pass);
    expect(r4.stderr).not.toMatch(/submitted/);
    expect(r4.code, r4.stderr).toBe(1);
  });

  it('a --batch-api pass stopped by --max-cost keeps it: its resume asks only what it did not submit', async () => {
    ctx.server.options.batches = { stepMs: 30 };
    const cut = ['cut two [[fault:length]]', 'cut three [[fault:length]]', 'cut four [[fault:length]]'];
    const input = writePrompts(ctx.dir, 'budget.txt', ['ok one', ...cut]);
    const out = path.join(ctx.dir, 'budget.jsonl');
    const run = (args: readonly string[]) =>
      runCli([input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--poll', '0.05', '--no-cache', '--fail-truncated', ...args]);
    expect((await run([])).code).toBe(1);
    const priced = ['--resume', '--retry-failed', '--max-tokens', '10', '--price', '100/100'];
    // A collected row is dated by the provider to the second: run 2's batches finish a second or
    // more after it began, as real ones do, so their rows are newer than its mark.
    ctx.server.options.batches = { stepMs: 400 };
    const r2 = await run([...priced, '--max-cost', '0.0045']);
    ctx.server.options.batches = { stepMs: 30 };
    expect(r2.code, r2.stderr).toBe(3);
    expect(r2.stderr).toMatch(/budget reached/);
    const r3 = await run([...priced, '--max-cost', '1']);
    expect(r3.code, r3.stderr).toBe(1);
    expect(r3.stderr).toMatch(/\b1 request in 1 batch\b/);
  });
});
