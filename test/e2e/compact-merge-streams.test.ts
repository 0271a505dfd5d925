/**
 * `--compact` and `merge` into an `-o` that is not a regular file (`/dev/stdout`, `/dev/null`, a
 * FIFO) write a stream, as a run's `-o` does: nothing truncated (`--overwrite -o /dev/stdout >> log`
 * appends to the log), no "already exists", no run settings file beside it (`/dev/stdout.meta.json`). Through
 * the BUILT CLI; the /dev paths only as AS_USER, so that a regression fails on permissions instead of
 * writing into /dev.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AS_USER, BIN, parseJsonl, runShell, tempDir, userCanRunCli, waitForExit } from '../helpers/run-cli.js';
import { mockShardOutputs } from '../helpers/shard-outputs.js';

const root = tempDir('llm-batch-compact-streams-');
afterAll(() => root.cleanup());
const dir = root.dir;

beforeAll(async () => {
  await mockShardOutputs(
    dir,
    Array.from({ length: 8 }, (_, i) => `prompt ${i}`),
  );
  // AS_USER (nobody, when the tests run as root) reads the outputs and writes the log here.
  fs.chmodSync(dir, 0o777);
});

/** `script` in bash as AS_USER in the test's folder, `$LLM` the built CLI. */
function shellAsUser(script: string) {
  return waitForExit(
    spawn('bash', ['-c', script], {
      ...AS_USER,
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: '/', LLM_BATCH_CACHE_DIR: '/nonexistent', LLM: `${process.execPath} ${BIN}` },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    }),
    20_000,
    true,
  );
}

describe('into a FIFO', () => {
  it.each([
    ['merge', 'merge out-1.jsonl out-2.jsonl -o rows.jsonl -q'],
    ['--compact', '--compact out-1.jsonl -o rows.jsonl -q'],
  ])('%s -o FIFO: the reader gets the rows, exit 0, no run settings beside it', async (_name, args) => {
    fs.rmSync(path.join(dir, 'rows.jsonl'), { force: true });
    execFileSync('mkfifo', [path.join(dir, 'rows.jsonl')]);
    const r = await runShell(`timeout 10 cat rows.jsonl > got.jsonl & $LLM ${args}; rc=$?; wait; exit $rc`, dir, {}, 20_000);
    expect(r.code, r.stderr).toBe(0);
    const expected = args.startsWith('merge') ? 8 : parseJsonl(fs.readFileSync(path.join(dir, 'out-1.jsonl'), 'utf8')).length;
    expect(parseJsonl(fs.readFileSync(path.join(dir, 'got.jsonl'), 'utf8'))).toHaveLength(expected);
    expect(fs.existsSync(path.join(dir, 'rows.jsonl.meta.json'))).toBe(false);
  });
});

describe.skipIf(!userCanRunCli())('into /dev/stdout and /dev/null', () => {
  it.each([
    ['merge', 'merge out-1.jsonl out-2.jsonl', 8],
    ['--compact', '--compact out-1.jsonl', -1],
  ])('%s --overwrite -o /dev/stdout >> log: appended after what the log held; -o /dev/null: exit 0', async (_name, args, rows) => {
    const r = await shellAsUser(`echo 'an earlier line' > log; $LLM ${args} -q --overwrite -o /dev/stdout >> log && $LLM ${args} -q -o /dev/null`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const [first, ...rest] = fs.readFileSync(path.join(dir, 'log'), 'utf8').trimEnd().split('\n');
    expect(first).toBe('an earlier line');
    const expected = rows >= 0 ? rows : parseJsonl(fs.readFileSync(path.join(dir, 'out-1.jsonl'), 'utf8')).length;
    expect(rest.map((line) => JSON.parse(line) as unknown)).toHaveLength(expected);
    expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
  });
});
