/**
 * `--no-stream`: a whole answer's headers come only when the answer is ready, so --idle-timeout
 * does not bound the wait for them, --timeout does; a server that never answers still stops the
 * run (exit 4), at --timeout. Spawns the BUILT CLI: `npm run build` first.
 */
import { describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/run-cli.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';

const { dir, fresh } = useServers('llm-batch-whole-answer-wait-');

describe.concurrent('--no-stream and --idle-timeout', () => {
  it.each([
    ['lean', []],
    ['-v (SDK)', ['-v']],
  ])('%s: answers that take longer than --idle-timeout arrive, each asked once; exit 0', async (tag, extra) => {
    const { server, run } = await fresh();
    const prompts = ['slow one [[latency:1600]]', 'slow two [[latency:1600]]'];
    const file = writePrompts(dir, `slow-${tag.replace(/\W+/g, '')}.txt`, prompts);
    const r = await run([file, '--no-stream', '--idle-timeout', '0.5', '--timeout', '15', '--retries', '0', '--no-cache', ...extra], {
      timeoutMs: 20_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const rows = rowsOf(r);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.error, row.prompt).toBeNull();
      expect(row.response).toBe(`ECHO ${row.prompt}`);
      expect(server.countFor(row.prompt)).toBe(1);
    }
  });

  it('a server that never answers still stops the run, at --timeout, naming it', async () => {
    const { server, run } = await fresh({ fault: () => 'hang', stallMs: 20_000 });
    const file = writePrompts(dir, 'silent.txt', ['a', 'b', 'c', 'd']);
    const r = await run([file, '--no-stream', '--idle-timeout', '0.2', '--timeout', '0.6', '-c', '2', '--no-cache', '-q'], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/sent no response, a retry included \(attempt exceeded --timeout 0\.6s\).*may need a longer --timeout/);
    expect(server.requests.length).toBeLessThan(8);
  });
});
