/**
 * `llm-batch cancel OUT` when the server cannot be reached (nothing listening, a 503 after the
 * client's retries): it exited 1, "some prompts failed", though nothing was asked of any prompt.
 * It now exits 4 as `status` does for the same causes, and leaves the batches as they were saved.
 * Spawns the BUILT CLI against the mock server's Batch API.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadPort } from '../helpers/dead-port.js';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { runCli, writePrompts } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-cancel-unreachable-');

describe('cancel when the server cannot be reached', () => {
  it('exits 4 (refused connection, then 503s), the manifest kept; cancels once the server answers', async () => {
    ctx.server.options.batches = { stepMs: 20, hold: () => true };
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b', 'c']);
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await runCli([input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--no-wait', '--no-cache', '-q'])).code).toBe(75);
    const manifest = fs.readFileSync(`${out}.batch.json`, 'utf8');

    const refused = await runCli(['cancel', out, '--poll', '0.05', '--base-url', `http://127.0.0.1:${await deadPort()}/v1`]);
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.stderr).toMatch(
      /^llm-batch: cancelling batch batch_mock\d+: Connection error\..*ECONNREFUSED.*: the server could not be reached; .*out\.jsonl\.batch\.json keeps what is left, cancel again once it answers\n$/,
    );
    expect(fs.readFileSync(`${out}.batch.json`, 'utf8')).toBe(manifest);

    ctx.server.options.batches = { stepMs: 20, hold: () => true, cancelStatus: () => 503 };
    const failing = await runCli(['cancel', out, '--poll', '0.05', '--base-url', ctx.server.url]);
    expect(failing.code, failing.stderr).toBe(4);
    // Reached, and refused for now: not "could not be reached".
    expect(failing.stderr).toMatch(/^llm-batch: cancelling batch batch_mock\d+: HTTP 503 .*: the server is not taking it now; /);
    expect(fs.readFileSync(`${out}.batch.json`, 'utf8')).toBe(manifest);

    // The cancels taken, the batches' state then unreadable: exit 4 at once too, not an hour's wait.
    ctx.server.options.batches = { stepMs: 20, hold: () => true, retrieveStatus: () => 503 };
    const unread = await runCli(['cancel', out, '--poll', '0.05', '--base-url', ctx.server.url], { timeoutMs: 20_000 });
    expect(unread.code, unread.stderr).toBe(4);
    expect(unread.stderr).toMatch(/: cancelling\n/);
    expect(unread.stderr).toMatch(/^llm-batch: reading batch batch_mock\d+: HTTP 503 .*: the server is not taking it now; .*cancel again once it answers$/m);

    ctx.server.options.batches = { stepMs: 20 };
    const cancelled = await runCli(['cancel', out, '--poll', '0.05', '--base-url', ctx.server.url]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
  });
});
