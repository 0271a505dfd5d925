/**
 * An endpoint that takes connections and never answers (a black-holed port-forward, a proxy whose
 * backend is gone): the circuit breaker stops the run (exit 4) once a retry has timed out too with
 * no response at all, instead of retrying every prompt to the end; a server that is only slow, or a
 * first wave that times out while a model loads, is not stopped. The built CLI against the mock
 * server's `hang` fault (no response headers ever), with a small --idle-timeout.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';
import type { ResultRow } from '../../src/types.js';

const { dir, fresh, writeFile } = useServers('llm-batch-silent-endpoint-');
const prompts = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} ${i + 1}`);

describe('a server that never answers', () => {
  it('40 prompts, every request hangs: exit 4 with a diagnosis after a few attempts, not 40 × 4 timeouts', async () => {
    const { run, server } = await fresh({ fault: () => 'hang', stallMs: 20_000 });
    const input = writeFile('hang.txt', prompts(40, 'bh').join('\n') + '\n');
    const out = path.join(dir, 'hang.jsonl');
    const r = await run([input, '-o', out, '--no-cache', '--idle-timeout', '0.3', '-q']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(
      /the first requests all failed the same way, so the run stopped rather than retry every prompt: http:\/\/127\.0\.0\.1:\d+\/v1 accepts connections but sent no response, a retry included \(no data for 0\.3s \(--idle-timeout\)\)/,
    );
    expect(r.stderr).toMatch(/to finish the rest, run: .*--resume/);
    // The first wave (8 at -c 8) and the retries that timed out with it, not 160 attempts.
    expect(server.requests.length).toBeLessThan(40);
  });

  it('--retries 1: the prompt the breaker trips on has used its retries, and gets its timeout row (it was counted "not run")', async () => {
    const { run } = await fresh({ fault: () => 'hang', stallMs: 20_000 });
    const input = writeFile('one-retry.txt', 'pair a\npair b\n');
    const out = path.join(dir, 'one-retry.jsonl');
    // Both sent at once, both retried once: the third timeout trips it, on a last attempt.
    const r = await run([input, '-o', out, '--no-cache', '--no-stream', '--timeout', '0.3', '--retries', '1', '-c', '2', '-q']);
    expect(r.code, r.stderr).toBe(4);
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    expect(rows.length).toBeGreaterThanOrEqual(1);
    for (const row of rows) expect([row.error?.type, row.attempts]).toEqual(['timeout', 2]);
    // The other, if its last attempt was aborted by the stop, waits for --resume.
    expect(r.stderr).toMatch(
      new RegExp(`stopped \\(unreachable\\): 0 ok, ${rows.length} failed \\(timeout ${rows.length}\\)${rows.length === 1 ? ', 1 not run' : ''}`),
    );
  });

  it('the first wave times out (a model loading), the retries answer: no stop, every prompt answered', async () => {
    const { run } = await fresh();
    const input = writeFile(
      'cold.txt',
      prompts(8, 'cold')
        .map((p) => `${p} [[fault:hang*1]]`)
        .join('\n') + '\n',
    );
    // A second for the retries to answer in: under load the mock (in this busy worker) has answered later than 0.3 s.
    const r = await run([input, '-o', path.join(dir, 'cold.jsonl'), '--no-cache', '--idle-timeout', '1', '-q']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('a slow server that answers some: never stopped; only the prompts that hang fail', async () => {
    const { run } = await fresh();
    const lines = prompts(12, 'slow').map((p, i) => (i % 3 === 0 ? p : `${p} [[fault:hang*9]]`));
    const input = writeFile('slow.txt', lines.join('\n') + '\n');
    const out = path.join(dir, 'slow.jsonl');
    const r = await run([input, '-o', out, '--no-cache', '--idle-timeout', '1', '--retries', '1', '-c', '4', '-q']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/stopped/);
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    expect(rows).toHaveLength(12);
    expect(rows.filter((row) => row.error === null)).toHaveLength(4);
    expect(rows.filter((row) => row.error?.type === 'timeout')).toHaveLength(8);
  });
});

describe('a server that answered, then went away', () => {
  it('connections refused mid-run: exit 4 with a diagnosis, the rest not run, not every prompt failed 4 times', async () => {
    const { run, server } = await fresh({ latencyMs: 20 });
    const input = writeFile('gone.txt', prompts(200, 'gone').join('\n') + '\n');
    const out = path.join(dir, 'gone.jsonl');
    const summary = path.join(dir, 'gone-summary.json');
    const running = run([input, '-o', out, '--no-cache', '-c', '4', '-q', '--summary-json', summary]);
    // As a local server that crashed: what was in flight is cut, and nothing listens any more.
    await until(() => server.requests.length >= 20, 'the first answers');
    await server.close();
    const r = await running;
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(
      /every connection has been refused for 1 s, a retry included \(.*ECONNREFUSED.*\), so the run stopped rather than fail every prompt: http:\/\/127\.0\.0\.1:\d+\/v1 answered earlier and went away/,
    );
    expect(r.stderr).toMatch(/to finish the rest, run: .*--resume/);
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    const { ok, failed, notRun } = JSON.parse(fs.readFileSync(summary, 'utf8')) as { ok: number; failed: number; notRun: number };
    expect(ok).toBeGreaterThanOrEqual(15);
    expect(ok + failed).toBe(rows.length);
    // A prompt whose retries ran out within the second may have its failed row; the rest wait for --resume.
    expect(failed).toBeLessThan(20);
    expect(notRun).toBeGreaterThan(150);
  });
});

/**
 * --retries 0: no retry can fail too, so each failure is a prompt's row. The breaker stops the same
 * runs once the failures have outlasted every request out when they began and 3 requests sent since
 * failed the same way; a run whose other requests go on being answered is never stopped.
 */
describe('--retries 0', () => {
  it('every request hangs: exit 4 after the second wave, not every prompt waiting out its timeout', async () => {
    const { run, server } = await fresh({ fault: () => 'hang', stallMs: 20_000 });
    const input = writeFile('hang-r0.txt', prompts(40, 'bh0').join('\n') + '\n');
    const out = path.join(dir, 'hang-r0.jsonl');
    const summary = path.join(dir, 'hang-r0-summary.json');
    const r = await run([input, '-o', out, '--no-cache', '--idle-timeout', '0.3', '--retries', '0', '-c', '4', '-q', '--summary-json', summary]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(
      /the first requests all failed the same way, so the run stopped rather than fail every prompt: http:\/\/127\.0\.0\.1:\d+\/v1 accepts connections but sent no response, 3 requests sent after the first timeout included \(no data for 0\.3s \(--idle-timeout\)\)/,
    );
    expect(r.stderr).not.toMatch(/retry included/);
    expect(r.stderr).toMatch(/to finish the rest, run: .*--resume/);
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    for (const row of rows) expect([row.error?.type, row.attempts]).toEqual(['timeout', 1]);
    const { ok, failed, notRun } = JSON.parse(fs.readFileSync(summary, 'utf8')) as { ok: number; failed: number; notRun: number };
    expect([ok, failed]).toEqual([0, rows.length]);
    // The first wave (4 at -c 4) and the 3 or 4 sent after it; the rest wait for --resume.
    expect(failed).toBeGreaterThanOrEqual(4 + 3);
    expect(failed).toBeLessThan(16);
    expect(notRun).toBe(40 - failed);
    expect(server.requests.length).toBeLessThan(20);
  });

  it('the first wave times out (a model loading), the next answers: no stop, only the first wave failed', async () => {
    const { run } = await fresh();
    const lines = prompts(16, 'cold0').map((p, i) => (i < 4 ? `${p} [[fault:hang*1]]` : p));
    const input = writeFile('cold-r0.txt', lines.join('\n') + '\n');
    const out = path.join(dir, 'cold-r0.jsonl');
    const r = await run([input, '-o', out, '--no-cache', '--idle-timeout', '1', '--retries', '0', '-c', '4', '-q']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/stopped/);
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    expect(rows).toHaveLength(16);
    expect(rows.filter((row) => row.error?.type === 'timeout')).toHaveLength(4);
  });

  it('connections refused mid-run: exit 4 with a diagnosis, the rest not run, not every prompt a failed row', async () => {
    const { run, server } = await fresh({ latencyMs: 20 });
    const input = writeFile('gone-r0.txt', prompts(200, 'gone0').join('\n') + '\n');
    const out = path.join(dir, 'gone-r0.jsonl');
    const summary = path.join(dir, 'gone-r0-summary.json');
    const running = run([input, '-o', out, '--no-cache', '--retries', '0', '-c', '4', '-q', '--summary-json', summary]);
    await until(() => server.requests.length >= 20, 'the first answers');
    await server.close();
    const r = await running;
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(
      /every connection has been refused for 1 s, a retry included \(.*ECONNREFUSED.*\), so the run stopped rather than fail every prompt: http:\/\/127\.0\.0\.1:\d+\/v1 answered earlier and went away/,
    );
    expect(r.stderr).toMatch(/to finish the rest, run: .*--retries 0.*--resume/);
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    const { ok, failed, notRun } = JSON.parse(fs.readFileSync(summary, 'utf8')) as { ok: number; failed: number; notRun: number };
    expect(ok).toBeGreaterThanOrEqual(15);
    expect(ok + failed).toBe(rows.length);
    // The requests the crash cut (sent: their rows), a refused one whose free retries all fell in that second: the rest wait for --resume.
    expect(failed).toBeLessThan(20);
    expect(notRun).toBeGreaterThan(150);
  });

  it('a restart of 300 ms (a proxy reloaded) under --retries 0: the refused prompts are tried again (they sent nothing), the run goes on', async () => {
    const { server } = await fresh({ latencyMs: 20 });
    const proxy = await blipProxy(server.port);
    try {
      const input = writeFile('blip-r0.txt', prompts(300, 'blip0').join('\n') + '\n');
      const out = path.join(dir, 'blip-r0.jsonl');
      const running = runCli([input, '-o', out, '--no-cache', '--retries', '0', '-c', '8', '-q', '--base-url', proxy.url]);
      await until(() => server.requests.length >= 40, 'the first answers');
      await proxy.blip(300);
      const r = await running;
      expect(r.stderr).not.toMatch(/went away/);
      expect([0, 1]).toContain(r.code);
      const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
      expect(rows).toHaveLength(300);
      // Only the requests the blip cut, sent and so not tried again under --retries 0, failed.
      expect(rows.filter((row) => row.error !== null).length).toBeLessThanOrEqual(8);
    } finally {
      await proxy.close();
    }
  });
});

/** A TCP proxy to the mock server whose `blip(ms)` drops every connection, refuses new ones for `ms`, then listens again on its port. */
async function blipProxy(target: number) {
  const sockets = new Set<net.Socket>();
  const make = () =>
    net.createServer((client) => {
      const upstream = net.connect(target, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
  const listen = (s: net.Server, port: number) => new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
  const close = (s: net.Server) =>
    new Promise<void>((resolve) => {
      s.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  let server = make();
  await listen(server, 0);
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    async blip(ms: number) {
      await close(server);
      await new Promise((resolve) => setTimeout(resolve, ms));
      server = make();
      await listen(server, port);
    },
    close: () => close(server),
  };
}
