/**
 * After Ctrl-C the run admits no new prompts and waits for those in flight; the bar went on with an
 * ETA for the prompts that will not run, growing as the pace fell. It now says "stopping" instead.
 */
import { describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/run-cli.js';
import { useServer } from '../helpers/mock-server-hooks.js';
import { startPty } from '../helpers/run-pty.js';
import { until } from '../helpers/until.js';

const ctx = useServer('llm-batch-tty-stopping-');

describe('the bar after Ctrl-C', () => {
  it('says "stopping" and shows no ETA while the prompts in flight get their grace', async () => {
    const file = writePrompts(ctx.dir, 'four.txt', ['first', 'held [[fault:stall*9]]', 'third', 'fourth']);
    const session = startPty([file, '--base-url', ctx.server.url, '-c', '1', '--no-cache', '-o', `${ctx.dir}/out.jsonl`]);
    await until(() => ctx.server.requests.some((q) => q.prompt.startsWith('held')), 'the stalled request');
    await session.waitFor(/1\/4 · 1 ok · 0 failed · .*ETA/);
    session.type('\x03');
    await session.waitFor(/1\/4 · 1 ok · 0 failed · [^\r\n\x1b]*stopping/);
    session.type('\x03');
    const r = await session.done;
    expect(r.code).toBe(130);
    const frames = r.raw.slice(r.raw.indexOf('stopping: no new prompts')).split(/\x1b\[\d*[GKJ]|\r|\n/);
    const bars = frames.filter((f) => / 1\/4 · /.test(f));
    expect(bars.length).toBeGreaterThan(0);
    for (const bar of bars) expect(bar).not.toMatch(/ETA/);
  });
});
