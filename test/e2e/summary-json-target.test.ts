/**
 * --summary-json is written at the end of a run, live or --batch-api. A name that cannot be created
 * is refused before anything is sent (root passes access(2) in /proc, where no file can be made);
 * a write that fails only at the end (a full disk, the directory removed meanwhile) is one line and
 * exit 2 on both paths, never an internal error, and every row stays.
 * The BUILT CLI against the mock server (its Batch API for --batch-api).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { stderrLines, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const ctx = useServerAndCaseDir('llm-batch-summary-target-');

beforeEach(() => {
  ctx.server.options.batches = { stepMs: 20 };
});

const MODES = [
  ['live', [] as string[]],
  ['--batch-api', ['--batch-api', '--poll', '0.05']],
] as const;

const args = (mode: readonly string[]) => ['--base-url', ctx.server.url, '--no-cache', ...mode];
const sent = () => ctx.server.requests.length + ctx.server.batchState.uploaded.length;
const rows = (file: string) => parseJsonl<{ id: string; response: string | null }>(fs.readFileSync(file, 'utf8'));

describe('--summary-json FILE that cannot be created', () => {
  it.runIf(fs.existsSync('/proc/self')).each(MODES)('%s: /proc/x.json is refused up front, exit 2, nothing sent or created', async (_name, mode) => {
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b', 'c']);
    const r = await runCli([input, '-o', path.join(ctx.dir, 'out.jsonl'), ...args(mode), '--summary-json', '/proc/x.json']);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^llm-batch: --summary-json \/proc\/x\.json: \S.*$/)]);
    expect(r.code).toBe(2);
    expect(sent()).toBe(0);
    expect(fs.readdirSync(ctx.dir)).toEqual(['p.txt']);
  });
});

describe('--report FILE that cannot be created', () => {
  it.runIf(fs.existsSync('/proc/self')).each(MODES)('%s: /proc/x.html is refused up front, exit 2, nothing sent or created', async (_name, mode) => {
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b']);
    const r = await runInWorker([input, '-o', path.join(ctx.dir, 'out.jsonl'), ...args(mode), '--report', '/proc/x.html']);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^llm-batch: --report \/proc\/x\.html: \S.*$/)]);
    expect(r.code).toBe(2);
    expect(sent()).toBe(0);
    expect(fs.readdirSync(ctx.dir)).toEqual(['p.txt']);
  });
});

describe('--summary-json FILE that cannot be written at the end', () => {
  it.runIf(fs.existsSync('/dev/full')).each(MODES)('%s: a full disk (/dev/full) is one line and exit 2; every row is kept', async (_name, mode) => {
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b', 'c']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...args(mode), '-q', '--summary-json', '/dev/full']);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^llm-batch: cannot write --summary-json \/dev\/full: ENOSPC\b[^\n]*$/)]);
    expect(r.code).toBe(2);
    expect(rows(out).map((row) => row.response)).toEqual([expect.any(String), expect.any(String), expect.any(String)]);
  });

  it('--batch-api: the directory removed while the batch runs is one line and exit 2', async () => {
    const sub = path.join(ctx.dir, 'reports');
    fs.mkdirSync(sub);
    // Removed when the batch is first polled: after every check, before the summary is written.
    ctx.server.options.batches = {
      stepMs: 20,
      hold: () => {
        fs.rmSync(sub, { recursive: true, force: true });
        return false;
      },
    };
    const input = writePrompts(ctx.dir, 'p.txt', ['a', 'b']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(sub, 'sum.json');
    const r = await runCli([input, '-o', out, ...args(MODES[1][1]), '-q', '--summary-json', summary]);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(stderrLines(r)).toEqual([`llm-batch: cannot write --summary-json ${summary}: ENOENT: no such file or directory, open '${summary}'`]);
    expect(r.code).toBe(2);
    expect(rows(out)).toHaveLength(2);
  });
});
