/**
 * A stream whose finish_reason came is finished: a connection closed or stalled after it, before
 * the usage chunk and `[DONE]`, keeps the answer (usage null) instead of paying for it again, on
 * both transports (the lean one, and the SDK's under -v). Spawns the BUILT CLI: `npm run build` first.
 */
import { describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/run-cli.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';

const { dir, fresh } = useServers('llm-batch-stream-finish-');

describe.concurrent('a stream cut or stalled after its finish_reason', () => {
  it.each([
    ['lean', []],
    ['-v (SDK)', ['-v']],
  ])('%s: answered once, with --retries 0, usage null; exit 0', async (tag, extra) => {
    const { server, run } = await fresh();
    const prompts = ['closed after finish [[fault:finclose]]', 'stalled after finish [[fault:finstall]]', 'fine'];
    const file = writePrompts(dir, `finish-${tag.replace(/\W+/g, '')}.txt`, prompts);
    const r = await run([file, '--idle-timeout', '1', '--retries', '0', '-c', '3', '--no-cache', ...extra], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(0);
    const rows = rowsOf(r);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.error, row.prompt).toBeNull();
      expect(row.response).toBe(`ECHO ${row.prompt}`);
      expect(row.finish_reason).toBe('stop');
      expect(row.attempts).toBe(1);
      expect(server.countFor(row.prompt)).toBe(1);
    }
    for (const p of prompts.slice(0, 2)) expect(rows.find((row) => row.prompt === p)!.usage, p).toBeNull();
  });
});
