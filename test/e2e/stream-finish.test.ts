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

describe.concurrent('a stream whose `[DONE]` came', () => {
  it.each([
    ['donestall', 'lean', []],
    ['donestall', '-v (SDK)', ['-v']],
    ['usagestall', 'lean', []],
    ['usagestall', '-v (SDK)', ['-v']],
    // Heartbeats after the usage: each restarts the quiet wait, which ends 2.5 s after the usage all the same.
    ['usagedrip', 'lean', []],
  ])(
    '%s, %s: is answered at `[DONE]`, or with no `[DONE]` at the usage after its finish_reason, not when a response left open ends (--idle-timeout 10)',
    async (fault, tag, extra) => {
      const { server, run } = await fresh({ stallMs: 30_000 });
      const prompts = Array.from({ length: 3 }, (_, i) => `left open ${i} [[fault:${fault}]]`);
      const file = writePrompts(dir, `${fault}-${tag.replace(/\W+/g, '')}.txt`, prompts);
      // One connection: each answer's body must be let go of for the next request to go out.
      const r = await run([file, '--idle-timeout', '10', '-c', '1', '--no-cache', ...extra], { timeoutMs: 25_000 });
      expect(r.code, r.stderr).toBe(0);
      const rows = rowsOf(r);
      expect(rows).toHaveLength(3);
      for (const row of rows) {
        expect(row).toMatchObject({ error: null, response: `ECHO ${row.prompt}`, finish_reason: 'stop', attempts: 1 });
        // donestall's server sends no usage; usagestall's sends it, and then nothing (usagedrip: heartbeats).
        expect(row.usage === null).toBe(fault === 'donestall');
        // Waiting for the body's end took the idle timeout (10 s) per answer.
        expect(row.latency_ms).toBeLessThan(5000);
        expect(server.countFor(row.prompt)).toBe(1);
      }
    },
  );

  it.each([
    ['lean', []],
    ['-v (SDK)', ['-v']],
  ])('%s: with no finish_reason, is kept when the connection is then reset, not asked again', async (tag, extra) => {
    const { server, run } = await fresh();
    const prompt = 'reset after done [[fault:donecut]]';
    const file = writePrompts(dir, `done-cut-${tag.replace(/\W+/g, '')}.txt`, [prompt]);
    const r = await run([file, '--retries', '2', '--no-cache', ...extra], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(rowsOf(r)).toEqual([expect.objectContaining({ error: null, response: `ECHO ${prompt}`, finish_reason: null, attempts: 1 })]);
    expect(server.countFor(prompt)).toBe(1);
  });
});
