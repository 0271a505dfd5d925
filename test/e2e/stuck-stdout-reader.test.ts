/**
 * A reader of stdout that is there but does not read (`llm-batch big.txt | less` not scrolled, a
 * consumer that hangs under `timeout`): the hard stop (a second Ctrl-C, or the grace period's end
 * after SIGTERM) gives up on the rows it has not taken and ends the run as interrupted, exit 130,
 * --summary-json written, those rows among notRun. Through the BUILT CLI against the mock server,
 * its stdout a pipe this test never reads until the CLI has exited.
 */
import type { Readable } from 'node:stream';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, spawnCli, writePrompts } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';
import type { RunSummary } from '../../src/ui/summary.js';

const ctx = useServerAndCaseDir('llm-batch-stuck-reader-');

/** Rows of ~16 KB (the answer echoes the prompt): a few fill the pipe and what node buffers of it. */
const PROMPTS = Array.from({ length: 300 }, (_, i) => `stuck reader ${i} ${'x'.repeat(8000)}`);

/** All that is left to read of `stream`, once its writer is gone. */
async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

describe('a stdout reader that does not read', () => {
  it.each([
    ['a second SIGINT', ['SIGINT', 'SIGINT'] as const, 3_000],
    ['SIGTERM, once its grace period is over', ['SIGTERM'] as const, 8_000],
  ])('%s ends the run: exit 130, the rows it did not take not counted', async (_name, signals, withinMs) => {
    writePrompts(ctx.dir, 'p.txt', PROMPTS);
    const summaryFile = path.join(ctx.dir, 's.json');
    const child = spawnCli([path.join(ctx.dir, 'p.txt'), '--base-url', ctx.server.url, '-c', '4', '--summary-json', summaryFile]);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += String(d)));
    const out = child.stdout!;
    // Read from the exit on, in the listener: node drains an unread pipe of a child that exited a tick later.
    const exited = new Promise<{ code: number | null; text: Promise<string> }>((resolve) => child.on('exit', (code) => resolve({ code, text: readAll(out) })));
    try {
      // The pipe and what node reads of it hold ~9 rows: with 30 prompts asked (-c 4), the rows made
      // are more than it can take, and the engine, reading ~24 ahead of the writer, stalls behind it.
      await until(() => ctx.server.requests.length >= 30, 'more rows made than the pipe holds');
      child.kill(signals[0]);
      await until(() => /stopping/.test(stderr), 'the stop acknowledged');
      const since = Date.now();
      if (signals[1]) child.kill(signals[1]);
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), withinMs + 5_000)));
      const end = await Promise.race([exited, hung]);
      clearTimeout(timer);
      expect(end?.code, stderr).toBe(130);
      expect(Date.now() - since).toBeLessThan(withinMs);
      const text = await end!.text;
      const rows = parseJsonl<{ id: string }>(text.slice(0, text.lastIndexOf('\n') + 1));
      const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as RunSummary;
      expect(summary).toMatchObject({ stopped: 'interrupted', exitCode: 130, failed: 0 });
      expect(summary.ok).toBeGreaterThan(0);
      // No row counted that the reader cannot read; those given up are among notRun.
      expect(summary.ok).toBeLessThanOrEqual(rows.length);
      expect(summary.notRun).toBe(PROMPTS.length - summary.ok);
      expect(summary.ok).toBeLessThan(PROMPTS.length / 2);
      expect(stderr).toMatch(/interrupted: \d+ ok, 0 failed, [\d,]+ not run/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
