/**
 * `llm-batch … --report r.html --summary-json s.json | head -1` through the BUILT CLI and the mock
 * server: the reader leaving stops the run (exit 141, quietly), but the files the user named are
 * not stdout and are still written with what was done, as after Ctrl-C, the answers whose rows the
 * reader never got in the tokens and the cost alike. A --batch-api run writing
 * into a FIFO whose reader leaves stops the same way, its batches left for --resume to collect.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { reportDataOf } from '../helpers/report-data.js';
import { BIN, SECRET_KEY, isolatedCacheDir, userCanRunCli, writePrompts, runCliAsUser } from '../helpers/run-cli.js';
import type { RunSummary } from '../../src/ui/summary.js';

const { dir, fresh } = useServers('llm-batch-pipe-closed-');

/** Runs a bash line (a real pipeline); resolves with what reached the test's stdout and stderr. */
function shell(script: string): Promise<{ stdout: string; stderr: string }> {
  const child = spawn('bash', ['-c', script], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, OPENAI_API_KEY: SECRET_KEY, LLM_BATCH_CACHE_DIR: isolatedCacheDir() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => resolve({ stdout, stderr }));
  });
}

describe('stdout closed by its reader, with side files', () => {
  it.each([['jsonl'], ['csv']])('-f %s | head -1: exit 141, nothing on stderr, --report, --summary-json and --trace written', async (format) => {
    const { server } = await fresh({ latencyMs: 50 });
    const input = writePrompts(
      dir,
      `closed-${format}.txt`,
      Array.from({ length: 200 }, (_, i) => `closed prompt ${i}`),
    );
    const [report, summaryFile, trace] = ['r.html', 's.json', 't.log'].map((name) => path.join(dir, `${format}-${name}`)) as [string, string, string];
    const { stdout, stderr } = await shell(
      `"${process.execPath}" "${BIN}" "${input}" --base-url "${server.url}" -c 4 -f ${format} --report "${report}" --summary-json "${summaryFile}" --trace "${trace}" | head -n 1; echo "status=\${PIPESTATUS[0]}" >&2`,
    );
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(stderr.trim()).toBe('status=141'); // a pipe closing is normal: no summary, no "report written"
    expect(server.requests.length).toBeLessThan(40); // it still stopped at once

    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as RunSummary;
    expect(summary.stopped).toBe('output_closed');
    expect(summary.ok).toBeGreaterThanOrEqual(format === 'csv' ? 0 : 1);
    expect(summary.ok + summary.failed).toBeLessThan(200);
    expect(summary.notRun).toBe(200 - summary.ok - summary.failed);
    // The cost is priced on the answers the tokens count, those whose rows never reached the reader
    // included (they were paid for); the report's "this run" cost is its rows' own.
    const cost = summary.estimatedCost!;
    expect(summary.promptTokens).toBeGreaterThan(0);
    expect(cost.byModel.reduce((n, m) => n + m.promptTokens, 0)).toBe(summary.promptTokens);
    expect(cost.byModel.reduce((n, m) => n + m.completionTokens, 0)).toBe(summary.completionTokens);
    const data = reportDataOf(report);
    expect(data.run.costUsd).toBe(data.figures.cost.usd);

    const html = fs.readFileSync(report, 'utf8');
    expect(html).toContain('output_closed');
    if (format === 'jsonl') expect(html).toContain(JSON.parse(stdout).id as string); // the row head saw is in the report
    expect(fs.readFileSync(trace, 'utf8')).toMatch(/closed prompt \d+/);
    expect(fs.readFileSync(trace, 'utf8')).not.toContain(SECRET_KEY);
  });

  it('-o /dev/stdout --report into a pipe: every row reaches the reader, the report is written, exit 0', async () => {
    const { server } = await fresh({ latencyMs: 5 });
    const input = writePrompts(
      dir,
      'devstdout.txt',
      Array.from({ length: 20 }, (_, i) => `devstdout prompt ${i}`),
    );
    const report = path.join(dir, 'devstdout.html');
    // `timeout` ends a hang in seconds, with its own status (124), instead of the test's timeout.
    const { stdout, stderr } = await shell(
      `timeout -s KILL 20 "${process.execPath}" "${BIN}" "${input}" --base-url "${server.url}" -o /dev/stdout --report "${report}" | cat; echo "status=\${PIPESTATUS[0]}" >&2`,
    );
    expect(stderr, stderr).toMatch(/status=0\s*$/);
    const rows = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string });
    expect(rows).toHaveLength(20);
    const html = fs.readFileSync(report, 'utf8');
    for (const row of rows) expect(html).toContain(row.id);
  });

  it('--batch-api -o FIFO, reader gone after one row: exit 141, quiet, side files written, --resume collects the rest', async () => {
    const { server } = await fresh();
    server.options.batches = { stepMs: 30 };
    // Rows far beyond a pipe's buffer: the reader leaves while the run still has rows to write.
    const prompts = Array.from({ length: 1000 }, (_, i) => `batch closed prompt ${i} ${'x'.repeat(400)}`);
    const input = writePrompts(dir, 'batch-closed.txt', prompts);
    const fifo = path.join(dir, 'batch-closed-fifo.jsonl');
    const [report, summaryFile, trace] = ['r.html', 's.json', 't.log'].map((name) => path.join(dir, `batch-closed-${name}`)) as [string, string, string];
    // `timeout` ends a hang with its own status (137) instead of the test's timeout.
    const cli = `timeout -s KILL 30 "${process.execPath}" "${BIN}" "${input}" --base-url "${server.url}" -m gpt-4o-mini --batch-api --poll 0.05 --batch-size 200 -o "${fifo}"`;
    const first = await shell(
      `mkfifo "${fifo}"; ${cli} --summary-json "${summaryFile}" --report "${report}" --trace "${trace}" & timeout 30 head -n 1 "${fifo}"; wait $!; echo "status=$?" >&2`,
    );
    expect(first.stdout.trim().split('\n')).toHaveLength(1);
    const lines = first.stderr.trim().split('\n');
    expect(lines.at(-1), first.stderr).toBe('status=141');
    // Quiet: the batches' own progress lines, then nothing about the stop (no summary, no error).
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^llm-batch: ([\d,]+ requests in \d+ batches|batch \d+\/\d+ \(batch_mock\w*\): )/);

    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as RunSummary & { pendingBatches: number; resumeHint: string | null };
    expect(summary.stopped).toBe('output_closed');
    expect(summary.ok).toBeGreaterThanOrEqual(1);
    expect(summary.ok).toBeLessThan(1000);
    expect(summary.pendingBatches).toBeGreaterThanOrEqual(1);
    expect(summary.resumeHint).toContain('--resume');
    const html = fs.readFileSync(report, 'utf8');
    expect(html).toContain('output_closed');
    expect(html).toContain(JSON.parse(first.stdout).id as string); // the row head saw is in the report
    expect(fs.readFileSync(trace, 'utf8')).toMatch(/#b\d+/);
    expect(fs.readFileSync(trace, 'utf8')).not.toContain(SECRET_KEY);

    // The batches stay in OUT.batch.json: the same command with --resume collects the ones not
    // collected yet, and submits nothing again.
    const manifest = JSON.parse(fs.readFileSync(`${fifo}.batch.json`, 'utf8')) as { chunks: Array<{ lines: number; collected?: boolean }> };
    const left = manifest.chunks.filter((c) => !c.collected).reduce((n, c) => n + c.lines, 0);
    expect(left).toBeGreaterThan(0);
    const creates = server.batchState.counts.creates;
    const rest = path.join(dir, 'batch-closed-rest.jsonl');
    const second = await shell(`timeout 30 cat "${fifo}" > "${rest}" & ${cli} --resume -q; echo "status=$?" >&2; wait`);
    expect(second.stderr.trim()).toBe('status=0');
    const rows = fs
      .readFileSync(rest, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; error: unknown });
    expect(rows).toHaveLength(left);
    expect(new Set(rows.map((r) => r.id)).size).toBe(left);
    expect(rows.every((r) => r.error === null)).toBe(true);
    expect(server.batchState.counts.creates).toBe(creates);
  });

  // `-o /dev/stdout` would put the batches' state into /dev (refused for root too; run as a user, so a
  // regression cannot litter /dev).
  it.skipIf(!userCanRunCli())('--batch-api -o /dev/stdout as a user: one line naming where the state cannot go and what works; exit 2', async () => {
    const r = await runCliAsUser(['--mock', '--batch-api', '-o', '/dev/stdout'], 'one prompt\n');
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "llm-batch: --batch-api -o /dev/stdout: the batches' state is kept beside the output, in /dev/stdout.batch.json, and /dev/stdout is a stream in /dev, not a file; to pipe the rows on, make a FIFO of your own (mkfifo rows.jsonl) and give -o rows.jsonl\n",
    );
    expect(r.code).toBe(2);
  });
});
