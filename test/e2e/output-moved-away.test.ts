/**
 * An output removed or moved away during the run (`rm`, `rm -rf` of its folder, log rotation's `mv`)
 * took its rows with it: the run ends with exit 2, one line saying so and the summary, never "400 ok"
 * and exit 0 for rows no longer on disk, nor an internal error from a resume's compaction. A resume
 * whose compaction cannot be written (a folder made read-only) keeps every row, says so, and ends
 * the same way. Through the BUILT CLI against the mock server, an answer held while the test acts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stderrLines, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { BIN, SECRET_KEY, parseJsonl, removeAtRunEnd, runCli, userCanRunCli, waitForExit, writePrompts, type CliResult } from '../helpers/run-cli.js';
import { spawn } from 'node:child_process';
import { until } from '../helpers/until.js';
import type { ResultRow } from '../../src/types.js';

const ctx = useServerAndCaseDir('llm-batch-moved-away-');

const PROMPTS = ['alpha', 'beta', 'gamma', 'delta'];

/**
 * Runs `args` (with the server's --base-url) holding the answer to `held` until `act` has been
 * done to the files: by then every other prompt has its row.
 */
async function runActingOn(args: readonly string[], held: string, act: () => void, asUser?: { uid: number; gid: number; cwd: string }): Promise<CliResult> {
  let release!: () => void;
  const answer = new Promise<void>((resolve) => (release = resolve));
  ctx.server.options.hold = ({ prompt }) => (prompt === held ? answer : undefined);
  const before = ctx.server.requests.length;
  const child = spawn(process.execPath, [BIN, ...args, '--base-url', ctx.server.url], {
    cwd: ctx.dir,
    ...asUser,
    env: { PATH: process.env.PATH, HOME: asUser?.cwd ?? ctx.dir, OPENAI_API_KEY: SECRET_KEY, LLM_BATCH_NO_CACHE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = waitForExit(child, 20_000);
  try {
    await until(() => ctx.server.requests.slice(before).some((r) => r.prompt === held), `the request for ${held}`);
    act();
  } finally {
    release();
    delete ctx.server.options.hold;
  }
  return exit;
}

const summaryOf = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as { ok: number; exitCode: number; stopped?: string; error: string | null };

describe('an output removed or moved away during the run', () => {
  it('its folder removed: exit 2, one line and the summary, --summary-json says so', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', PROMPTS);
    const folder = path.join(ctx.dir, 'rmd');
    fs.mkdirSync(folder);
    const summary = path.join(ctx.dir, 's.json');
    const r = await runActingOn([input, '-c', '4', '-o', 'rmd/out.jsonl', '--summary-json', summary], 'delta', () => fs.rmSync(folder, { recursive: true }));
    expect(r.code, r.stderr).toBe(2);
    const lines = stderrLines(r);
    expect(lines[0]).toBe(
      'llm-batch: rmd/out.jsonl was removed during the run: the 4 rows written to it went to a file no longer on disk; a --resume asks again the prompts rmd/out.jsonl has no row for',
    );
    expect(lines[1]).toMatch(/^llm-batch: stopped \(output_failed\): 4 ok, 0 failed/);
    expect(r.stderr).not.toContain('internal error');
    expect(summaryOf(summary)).toMatchObject({ exitCode: 2, stopped: 'output_failed', error: expect.stringContaining('was removed during the run') });
  });

  it('moved away (log rotation): exit 2, the rows are in the file moved away', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', PROMPTS);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runActingOn([input, '-o', out], 'delta', () => fs.renameSync(out, `${out}.1`));
    expect(r.code, r.stderr).toBe(2);
    expect(stderrLines(r)[0]).toBe(
      `llm-batch: ${out} was moved or replaced during the run: the 4 rows written to it went to the file moved away, not to ${out}; a --resume asks again the prompts ${out} has no row for`,
    );
    expect(parseJsonl<ResultRow>(fs.readFileSync(`${out}.1`, 'utf8'))).toHaveLength(4);
  });

  it('a resume that would compact, its output removed: exit 2 and the summary, not an internal error', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', PROMPTS);
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await runCli([input, '-o', out, '--base-url', ctx.server.url])).code).toBe(0);
    // A timeout row after delta's answer: the resume asks it again, and its row supersedes two.
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    const delta = rows.find((row) => row.prompt === 'delta')!;
    fs.appendFileSync(out, `${JSON.stringify({ ...delta, response: null, error: { type: 'timeout', message: 'x' } })}\n`);
    const r = await runActingOn([input, '-o', out, '--resume'], 'delta', () => fs.rmSync(out));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toContain('internal error');
    const lines = stderrLines(r);
    expect(lines[0]).toBe(
      `llm-batch: ${out} was removed during the run: the 1 row written to it went to a file no longer on disk; a --resume asks again the prompts ${out} has no row for`,
    );
    expect(lines[1]).toMatch(/^llm-batch: stopped \(output_failed\): 1 ok, 0 failed, 3 already done/);
    expect(fs.existsSync(`${out}.lock`)).toBe(false);
  });
});

// As root the folder's permissions stop nobody; nobody must reach this node (see userCanRunCli).
describe.runIf(process.getuid?.() === 0 && userCanRunCli())('a resume whose compaction cannot be written', () => {
  it('keeps every row, says so, prints the summary and ends with exit 2', async () => {
    // A folder of nobody's that nobody can reach (the case dir's parent is root's alone).
    const dir = removeAtRunEnd(fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-ro-')));
    fs.chmodSync(dir, 0o755);
    const input = writePrompts(dir, 'p.txt', PROMPTS);
    const out = path.join(dir, 'out.jsonl');
    expect((await runCli([input, '-o', out, '--base-url', ctx.server.url])).code).toBe(0);
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    const delta = rows.find((row) => row.prompt === 'delta')!;
    fs.appendFileSync(out, `${JSON.stringify({ ...delta, response: null, error: { type: 'timeout', message: 'x' } })}\n`);
    for (const file of [dir, out, `${out}.meta.json`]) fs.chownSync(file, 65534, 65534);
    try {
      const nobody = { uid: 65534, gid: 65534, cwd: dir };
      const r = await runActingOn([input, '-o', out, '--resume'], 'delta', () => fs.chmodSync(dir, 0o555), nobody);
      expect(r.code, r.stderr).toBe(2);
      const lines = stderrLines(r);
      expect(lines[0]).toBe(
        `llm-batch: ${out} was not compacted (Cannot open output file ${out}.compact.tmp: EACCES: permission denied, open '${out}.compact.tmp'): every row is kept, the superseded ones too (the last row per prompt counts), and the next --resume compacts them`,
      );
      expect(lines[1]).toMatch(/^llm-batch: stopped \(output_failed\): 1 ok, 0 failed, 3 already done/);
      expect(parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'))).toHaveLength(6);
    } finally {
      fs.chmodSync(dir, 0o755);
    }
  });
});
