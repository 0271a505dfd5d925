/**
 * SSE comments (`: ping`) are activity for --idle-timeout on both transports: a stream that only
 * pings after its first piece meets --timeout, with or without -v (the SDK path's stream never
 * shows comments). Spawns the BUILT CLI: `npm run build` first.
 */
import { describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/run-cli.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';

const { dir, fresh } = useServers('llm-batch-stream-comments-');

describe.concurrent('a stream that only sends comments after its first piece', () => {
  it.each([
    ['lean', []],
    ['-v (SDK)', ['-v']],
  ])('%s: not idle (pings every 200 ms), so it fails at --timeout', async (tag, extra) => {
    const { server, run } = await fresh();
    const prompt = 'pings forever [[fault:pingstall]]';
    const file = writePrompts(dir, `ping-${tag.replace(/\W+/g, '')}.txt`, [prompt]);
    const r = await run([file, '--idle-timeout', '1', '--timeout', '2.5', '--retries', '0', '--no-cache', ...extra], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(1);
    const [row] = rowsOf(r);
    expect(row!.error).toMatchObject({ type: 'timeout', message: 'attempt exceeded --timeout 2.5s' });
    expect(server.countFor(prompt)).toBe(1);
  });
});
