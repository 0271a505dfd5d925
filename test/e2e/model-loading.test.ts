/**
 * A llama.cpp server started beside the batch (a cron job's `llama-server … & llm-batch …`) answers
 * `503 Loading model` until its model is in memory: the run waits it out instead of failing every
 * prompt in flight, and does not spend --retries on it. Spawns the BUILT CLI: `npm run build` first.
 */
import { describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/run-cli.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';

const { dir, fresh } = useServers('llm-batch-model-loading-');

describe("llama.cpp's 503 Loading model", () => {
  it.each(['--stream', '--no-stream'])('the first requests while the model loads are tried again, uncounted (%s): every row answered, exit 0', async (mode) => {
    // The first 9 requests meet a model still loading.
    const { server, run } = await fresh({ latencyMs: 5, fault: ({ index }) => (index < 9 ? 'loading' : undefined) });
    const prompts = ['one', 'two', 'three', 'four', 'five'].map((p) => `${p} ${mode}`);
    const file = writePrompts(dir, `loading${mode}.txt`, prompts);
    const r = await run([file, mode, '-c', '3', '--retries', '0', '-q'], { timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = rowsOf(r);
    expect(rows.map((row) => row.error)).toEqual([null, null, null, null, null]);
    expect(rows.map((row) => row.response).sort()).toEqual(prompts.map((p) => `ECHO ${p}`).sort());
    expect(server.requests.filter((q) => q.status === 503)).toHaveLength(9);
    // Each loading reply was one more attempt of its prompt.
    expect(rows.reduce((n, row) => n + row.attempts, 0)).toBe(5 + 9);
  });

  it('any other 503 still spends --retries: with --retries 0 its row fails at once (exit 1)', async () => {
    const { run } = await fresh({ latencyMs: 5, fault: ({ index }) => (index === 0 ? '503' : undefined) });
    const file = writePrompts(dir, 'overloaded.txt', ['only']);
    const r = await run([file, '--retries', '0', '-q'], { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    const [row] = rowsOf(r);
    expect(row!.error).toMatchObject({ type: 'http', status: 503 });
    expect(row!.attempts).toBe(1);
  });
});
