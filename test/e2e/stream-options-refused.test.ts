/**
 * A server that refuses `stream_options` (Azure before api-version 2024-09-01-preview, older vLLM:
 * a 400 naming it) answers streamed requests sent without it: the run goes on without usage instead
 * of failing every row. Spawns the BUILT CLI: `npm run build` first.
 */
import { describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/run-cli.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';

const { dir, fresh } = useServers('llm-batch-stream-options-');

describe('a server that refuses stream_options', () => {
  // -v sends through the openai SDK, not the lean transport: both fall back. Azure refuses with a
  // 400, Mistral with a 422.
  it.each([
    [true, 400, []],
    [true, 400, ['-v']],
    ['mistral', 422, []],
    ['mistral', 422, ['-v']],
  ] as const)('streamed rows are answered without usage, each refused request sent again at once (%s, %i, %j): exit 0', async (refuse, status, flags) => {
    const { server, run } = await fresh({ latencyMs: 5, refuseStreamOptions: refuse });
    const prompts = ['a', 'b', 'c', 'd', 'e', 'f'];
    const file = writePrompts(dir, `refused${status}${flags.length}.txt`, prompts);
    const r = await run([file, '-c', '2', '--retries', '0', ...flags]);
    expect(r.code, r.stderr).toBe(0);
    const rows = rowsOf(r);
    expect(rows.map((row) => row.error)).toEqual(prompts.map(() => null));
    expect(rows.map((row) => row.response).sort()).toEqual(prompts.map((p) => `ECHO ${p}`));
    expect(rows.map((row) => [row.attempts, row.usage])).toEqual(prompts.map(() => [1, null]));
    // At most the first wave (-c 2) asked for usage; every later request went without it.
    const refused = server.requests.filter((q) => q.status === status);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeLessThanOrEqual(2);
    expect(server.requests).toHaveLength(prompts.length + refused.length);
    // Only the refused requests carried the field: once one went through without it, no other asked.
    expect(server.requests.filter((q) => q.body.stream_options !== undefined)).toEqual(refused);
    expect(r.stderr).toContain('6 answers without usage');
  });

  it('a row sent again without it, then retried after 5xx errors, goes without it again: answered', async () => {
    // The transport learns the switch once a resend is answered: the retries of a resend that met a
    // 500 went with the field again, were refused, and (past the engine's two resends) failed the row.
    const { server, run } = await fresh({ latencyMs: 5, refuseStreamOptions: true, refuseMaxTokens: true });
    const file = writePrompts(dir, 'then500.txt', ['zed [[fault:500*3]]']);
    const r = await run([file, '--max-tokens', '50', '-c', '1', '--retries', '3']);
    expect(r.code, r.stderr).toBe(0);
    expect(rowsOf(r).map((row) => row.response)).toEqual(['ECHO zed [[fault:500*3]]']);
    // Two refusals (one a field), then every request went without both.
    expect(server.requests.filter((q) => q.status === 400)).toHaveLength(2);
  });

  it('whole answers (--no-stream) never carried it: nothing refused', async () => {
    const { server, run } = await fresh({ latencyMs: 5, refuseStreamOptions: true });
    const file = writePrompts(dir, 'whole.txt', ['x', 'y']);
    const r = await run([file, '--no-stream', '-q']);
    expect(r.code).toBe(0);
    expect(rowsOf(r).map((row) => row.usage?.prompt_tokens)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(server.requests.map((q) => q.status)).toEqual([200, 200]);
  });
});

describe('a 400 that only quotes stream_options (a validation error echoing the body)', () => {
  it('fails its own row, sent once more without the field, and every other streamed row keeps its usage', async () => {
    const { server, run } = await fresh({ latencyMs: 5 });
    const prompts = ['a', 'bad [[fault:quoting400*9]]', 'c', 'd'];
    const file = writePrompts(dir, 'quoting.txt', prompts);
    const r = await run([file, '-c', '1', '--order', 'input', '-q']);
    expect(r.code).toBe(1);
    const rows = rowsOf(r);
    expect(rows[1]!.error).toMatchObject({ type: 'http', status: 400 });
    // The second refusal's words (its quoted body has no stream_options): the real reason.
    expect(rows[1]!.error!.message).toMatch(/^HTTP 400: 1 validation error: input \{/);
    expect(rows[1]!.error!.message).not.toContain('stream_options');
    for (const i of [0, 2, 3]) expect(rows[i]!.usage?.prompt_tokens, prompts[i]).toEqual(expect.any(Number));
    // The bad prompt: as asked, then once without the field; the rest still ask for usage.
    const bad = server.requests.filter((q) => q.prompt === prompts[1]);
    expect(bad.map((q) => q.body.stream_options !== undefined)).toEqual([true, false]);
    expect(server.requests.filter((q) => q.prompt !== prompts[1]).every((q) => q.body.stream_options !== undefined)).toBe(true);
  });
});
