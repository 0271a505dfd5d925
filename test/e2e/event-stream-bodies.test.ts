/**
 * A 200 labelled text/event-stream with no SSE event in it is judged as the same body without
 * streaming: an empty one is `empty_response` (and trips the circuit breaker), a plain JSON error
 * says `server error in body:` and the server's words; on both transports. Spawns the BUILT CLI:
 * `npm run build` first.
 */
import { describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/run-cli.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';

const { dir, fresh } = useServers('llm-batch-event-stream-bodies-');
const PATHS = [
  ['lean', []],
  ['-v (SDK)', ['-v']],
] as const;

describe.concurrent('an event stream with no event in it', () => {
  it.each(PATHS)('%s: a JSON error body is the server error it says, not a cut stream', async (tag, extra) => {
    const { run } = await fresh();
    const prompt = 'overloaded [[fault:errorstream]]';
    const file = writePrompts(dir, `error-${tag.replace(/\W+/g, '')}.txt`, [prompt]);
    const r = await run([file, '--retries', '0', '--no-cache', ...extra], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(rowsOf(r)[0]!.error).toMatchObject({ type: 'bad_response', message: 'server error in body: model overloaded' });
  });

  it.each(PATHS)('%s: empty bodies stop the run as an empty 200 does (exit 4)', async (tag, extra) => {
    const { server, run } = await fresh({ fault: () => 'emptystream' });
    const file = writePrompts(dir, `empty-${tag.replace(/\W+/g, '')}.txt`, ['a', 'b', 'c', 'd', 'e', 'f']);
    const r = await run([file, '-c', '1', '--no-cache', ...extra], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/answers 200 with an empty body: check --base-url/);
    expect(server.requests.length).toBe(3);
  });
});
