/**
 * `llm-batch cancel OUT` stopped by Ctrl-C or SIGTERM while it waits for its batches to end: it had
 * no handler, so node's default ended it with 130 and not a word of what was left. It now stops
 * waiting, says how many batches are still being cancelled and the command that finishes, exit 130;
 * that command then collects them. Spawns the BUILT CLI against the mock server's Batch API.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { runCli, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';

const ctx = useServerAndCaseDir('llm-batch-cancel-interrupted-');

describe('cancel stopped by a signal', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s while batches are being cancelled: says what is left and how to finish, exit 130', async (signal) => {
    // Batches that take a minute to end, cancelling included.
    ctx.server.options.batches = { stepMs: 60_000 };
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b', 'c', 'd']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const args = ['--base-url', ctx.server.url];
    expect((await runCli([input, '-o', out, ...args, '--batch-api', '--batch-size', '2', '--no-wait', '--no-cache', '-q'])).code).toBe(75);
    const child = spawnCli(['cancel', out, '--poll', '0.05', ...args]);
    const exit = waitForExit(child);
    let said = '';
    child.stderr!.on('data', (d: Buffer) => (said += d.toString()));
    await until(() => (said.match(/: cancelling$/gm) ?? []).length === 2, 'both batches cancelling');
    child.kill(signal);
    const r = await exit;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(
      new RegExp(
        `^llm-batch: interrupted: 2 batches are still being cancelled on the server \\(0 rows written\\); run \`llm-batch cancel ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\` again to collect what they finished$`,
        'm',
      ),
    );
    expect(fs.existsSync(`${out}.lock`)).toBe(false);

    ctx.server.options.batches = { stepMs: 20 };
    const finished = await runCli(['cancel', out, '--poll', '0.05', ...args]);
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stderr).toMatch(/cancelled; (\d+ lines? the batches had finished|the batches had finished no line)/);
  });
});
