/**
 * A signal while a run opens its output: locked and, with --resume, read back, which takes seconds
 * for a large file. The stop must end the run as an interrupt does (exit 130, `interrupted:`, the
 * resume command) and release the lock, or a replacement pod on another host is refused for 5 min.
 * Spawns the BUILT CLI (`npm run build` first) against the in-repo mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { runCli, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';

const ctx = useServerAndCaseDir('llm-batch-signal-open-');

/** ~20 MB: most of a second of reading for a resume, so that a signal sent as the lock appears comes during it. */
const FILLER_ROWS = 1000;

/**
 * A finished output of three long prompts (rows of ~20 KB, the mock echoes each prompt), then
 * grown to ~50 MB with copies of its rows under other ids: a large output a --resume reads back.
 */
async function largeOutput(format: 'jsonl' | 'csv', runFlags: string[] = []): Promise<{ input: string; out: string }> {
  const prompts = ['a', 'b', 'c'].map((p) => p.repeat(10_000));
  const input = writePrompts(ctx.dir, 'p.txt', prompts);
  const out = path.join(ctx.dir, `out.${format}`);
  const first = await runCli([input, '-o', out, '--base-url', ctx.server.url, '-m', 'm', ...runFlags]);
  expect(first.code, first.stderr).toBe(0);
  const lines = fs.readFileSync(out, 'utf8').split('\n');
  const row = format === 'jsonl' ? lines[0]! : lines[1]!;
  const pad = (i: number) =>
    format === 'jsonl' ? JSON.stringify({ ...(JSON.parse(row) as object), id: `pad-${i}` }) : `pad-${i}${row.slice(row.indexOf(','))}`;
  fs.appendFileSync(out, `${Array.from({ length: FILLER_ROWS }, (_, i) => pad(i)).join('\n')}\n`);
  return { input, out };
}

describe('a signal while a --resume reads a large output', () => {
  it.each([
    ['SIGTERM' as const, 'jsonl' as const, []],
    ['SIGINT' as const, 'jsonl' as const, []],
    ['SIGTERM' as const, 'csv' as const, []],
    // The Batch API's resume read its output back before it listened: exit 143, the lock kept.
    ['SIGTERM' as const, 'jsonl' as const, ['--batch-api', '--poll', '0.05']],
  ])('%s into a %s output %j: exit 130, interrupted: and the resume command, the lock released', async (signal, format, runFlags) => {
    const { input, out } = await largeOutput(format, runFlags);
    const summaryJson = path.join(ctx.dir, 'summary.json');
    const args = [input, '-o', out, '--base-url', ctx.server.url, '-m', 'm', ...runFlags, '--resume', '--summary-json', summaryJson];
    const sentBefore = ctx.server.requests.length;

    const child = spawnCli(args);
    const exit = waitForExit(child);
    // The lock is taken just before the output is read back: the signal comes as the read starts.
    await until(() => child.exitCode !== null || fs.existsSync(`${out}.lock`), `${out}.lock`);
    child.kill(signal);
    const r = await exit;

    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/^llm-batch: interrupted: /m);
    const command = /to finish the rest, run: (.+)$/m.exec(r.stderr)?.[1];
    expect(command, r.stderr).toBe(['llm-batch', ...args].join(' '));
    expect(fs.existsSync(`${out}.lock`)).toBe(false);
    expect(ctx.server.requests.length).toBe(sentBefore);
    const summary = JSON.parse(fs.readFileSync(summaryJson, 'utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({ stopped: 'interrupted', exitCode: 130, resumeHint: command });

    // The next run (a replacement pod) is not refused: nothing is left to send.
    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/already done/);
    expect(ctx.server.requests.length).toBe(sentBefore);
    fs.rmSync(out);
  });
});

/**
 * A preload (NODE_OPTIONS=--require) that sends `signal` to the process as bin/ compiles the CLI's
 * script (src/cli/load-cli.ts): while the CLI loads, before it parses its options and listens itself.
 */
function signalWhileLoading(signal: 'SIGTERM' | 'SIGINT'): string {
  const preload = path.join(ctx.dir, `load-${signal}.cjs`);
  fs.writeFileSync(
    preload,
    `const vm = require('node:vm');\nconst Script = vm.Script;\nvm.Script = class extends Script { constructor(...args) { super(...args); if (String(args[1]?.filename).endsWith('cli.cjs')) process.kill(process.pid, '${signal}'); } };\n`,
  );
  return `--require=${preload}`;
}

describe('a signal while the CLI loads', () => {
  // The bundle takes ~0.1-0.9 s to load: a signal then killed the run outright (exit 143, no
  // summary, no --summary-json). It is held for the run, which ends as interrupted.
  it.each(['SIGTERM' as const, 'SIGINT' as const])('%s: the run ends as interrupted, exit 130, with its summary', async (signal) => {
    const input = writePrompts(ctx.dir, 'loading.txt', ['one', 'two']);
    const summaryJson = path.join(ctx.dir, `loading-${signal}.summary.json`);
    const r = await runCli([input, '-o', path.join(ctx.dir, `loading-${signal}.jsonl`), '--base-url', ctx.server.url, '--summary-json', summaryJson], {
      env: { NODE_OPTIONS: signalWhileLoading(signal) },
    });
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/^llm-batch: interrupted: /m);
    expect(JSON.parse(fs.readFileSync(summaryJson, 'utf8'))).toMatchObject({ stopped: 'interrupted', exitCode: 130 });
  });

  it('a command that does not stop on signals itself (--help) ends on the held one, as before', async () => {
    const child = spawnCli(['--help'], { env: { NODE_OPTIONS: signalWhileLoading('SIGTERM') } });
    const r = await waitForExit(child);
    expect(r.signal).toBe('SIGTERM');
  });
});
