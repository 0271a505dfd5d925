/**
 * `llm-batch status OUT` when the server cannot be asked for fresh counts (nothing listening, a 503
 * after the client's retries): it printed nothing and exited 1 ("some prompts failed"), so
 * `status out.jsonl --json | jq .pending` got nothing. It now shows the manifest as saved (as
 * --no-refresh does), says why on stderr, marks --json `refreshed: false`, and exits 4.
 * Spawns the BUILT CLI against the mock server's Batch API.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadPort } from '../helpers/dead-port.js';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { runCli, writePrompts } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-status-unreachable-');

describe('status when the server cannot be asked', () => {
  it('shows the manifest as saved, says why and names --no-refresh, exit 4 (refused connection, then 503s)', async () => {
    ctx.server.options.batches = { stepMs: 20, hold: () => true };
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b', 'c']);
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await runCli([input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--no-wait', '--no-cache', '-q'])).code).toBe(75);

    const refused = await runCli(['status', out, '--json', '--base-url', `http://127.0.0.1:${await deadPort()}/v1`]);
    expect(refused.code, refused.stderr).toBe(4);
    expect(JSON.parse(refused.stdout)).toMatchObject({
      pending: 1,
      unsubmitted: 0,
      refreshed: false,
      refreshError: expect.stringMatching(/ECONNREFUSED/),
      batches: [{ requests: 3 }],
    });
    expect(refused.stderr).toMatch(
      /^llm-batch: the server could not be asked for fresh counts \(reading batch batch_mock\d+: Connection error\..*ECONNREFUSED.*\): shown as .*out\.jsonl\.batch\.json last saved them, as --no-refresh shows them\n$/,
    );

    const retrieves = ctx.server.batchState.counts.retrieves;
    ctx.server.options.batches = { stepMs: 20, hold: () => true, retrieveStatus: () => 503 };
    const failing = await runCli(['status', out, '--base-url', ctx.server.url]);
    expect(failing.code, failing.stderr).toBe(4);
    expect(failing.stdout).toMatch(/^batch 1 {2}batch_mock\d+ {2}gpt-4o-mini {2}\w+ {2}\d+\/3 done .*next: /);
    expect(failing.stderr).toMatch(/could not be asked for fresh counts \(reading batch batch_mock\d+: HTTP 503 .*\): shown as /);
    expect(ctx.server.batchState.counts.retrieves - retrieves).toBe(3);

    // Answered again: fresh, exit 0, nothing said.
    ctx.server.options.batches = { stepMs: 20, hold: () => true };
    const fresh = await runCli(['status', out, '--json', '--base-url', ctx.server.url]);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).toBe('');
    expect(JSON.parse(fresh.stdout)).toMatchObject({ pending: 1, refreshed: true, refreshError: null });
  });
});
