/**
 * `llm-batch cache stats` and `--dry-run` only look: they open the cache read-only. Opened
 * read-write (as they were), LMDB commits a write transaction while opening, so they waited for the
 * write lock for as long as a run or a `cache prune` held it, and stats wrote the file it was asked
 * about (a zero-byte file came out an 8 kB database).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir, waitForExit } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';

const { dir, cleanup } = tempDir('llm-batch-stats-ro-');
afterAll(cleanup);

const stats = async (cacheDir: string) => {
  // A hang is the old failure: cut short well before the test's own timeout, and said as such.
  const r = await runCli(['cache', 'stats', '--json', '--cache-dir', cacheDir], { timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`cache stats --json: exit ${r.code} (signal ${r.signal}), stderr: ${r.stderr}`);
  return JSON.parse(r.stdout) as { entries: number; exists: boolean; bytesOnDisk: number };
};

/**
 * Another process holding the cache's write lock: a write transaction, open until `release` exists
 * (as a run's commit or a `cache prune` over a large cache holds it).
 */
const HOLDER = `
const fs = require('node:fs');
const { createRequire } = require('node:module');
const [root, file, release] = process.argv.slice(1);
const { open } = createRequire(root + '/package.json')('lmdb');
const db = open({ path: file, keyEncoding: 'binary', compression: false, sharedStructuresKey: Buffer.from('structures') });
const cell = new Int32Array(new SharedArrayBuffer(4));
db.transactionSync(() => {
  fs.writeSync(1, 'holding\\n');
  while (!fs.existsSync(release)) Atomics.wait(cell, 0, 0, 10);
});
db.close().then(() => fs.writeSync(1, 'released\\n'));
`;

/** A cache of three answers in `name`, and `look` run while another process holds its write lock. */
const whileLockHeld = async <T>(name: string, look: (cacheDir: string, input: string) => Promise<T>): Promise<T> => {
  const cacheDir = path.join(dir, name);
  const input = path.join(dir, `${name}.txt`);
  fs.writeFileSync(input, 'one\ntwo\nthree\n');
  const run = await runCli([input, '--mock', '--cache-dir', cacheDir, '-f', 'jsonl', '--quiet']);
  expect(run.code, run.stderr).toBe(0);

  const release = path.join(dir, `${name}.release`);
  const holder = spawn(process.execPath, ['-e', HOLDER, ROOT, path.join(cacheDir, 'answers-v2.lmdb'), release], { stdio: ['ignore', 'pipe', 'pipe'] });
  const held = waitForExit(holder, 40_000);
  let out = '';
  holder.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await until(() => out.includes('holding'), 'the holder to take the write lock');
  try {
    return await look(cacheDir, input);
  } finally {
    fs.writeFileSync(release, '');
    const h = await held;
    expect(h.code, h.stderr).toBe(0);
  }
};

describe('commands that only read the cache open it read-only', () => {
  it('cache stats answers while another process holds the write lock', async () => {
    const s = await whileLockHeld('stats', (cacheDir) => stats(cacheDir));
    expect(s).toMatchObject({ exists: true, entries: 3 });
  });

  it('--dry-run counts the cached answers while another process holds the write lock', async () => {
    const dry = await whileLockHeld('dry', (cacheDir, input) => runCli([input, '--mock', '--cache-dir', cacheDir, '--dry-run'], { timeoutMs: 15_000 }));
    expect(dry.code, `signal ${dry.signal}, stderr: ${dry.stderr}`).toBe(0);
    expect(dry.stdout).toContain('3 records: 0 to send, 3 answered from the cache, 0 bad');
  });

  it("cache stats of a FIFO in the cache file's place: one line naming it, exit 2, at once", async () => {
    const cacheDir = path.join(dir, 'fifo');
    fs.mkdirSync(cacheDir);
    const file = path.join(cacheDir, 'answers-v2.lmdb');
    execFileSync('mkfifo', [file]);
    // It hung (LMDB's open waits for a writer): cut short well before the test's own timeout.
    const r = await runCli(['cache', 'stats', '--json', '--cache-dir', cacheDir], { timeoutMs: 15_000 });
    expect(r.code, `signal ${r.signal}`).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`llm-batch: cache stats: cache file ${file} is a FIFO, not a regular file: move it away\n`);
    expect(fs.statSync(file).isFIFO()).toBe(true);
  });

  it('cache stats leaves a zero-byte cache file as it is', async () => {
    const cacheDir = path.join(dir, 'empty');
    fs.mkdirSync(cacheDir);
    const file = path.join(cacheDir, 'answers-v2.lmdb');
    fs.writeFileSync(file, '');
    expect(await stats(cacheDir)).toMatchObject({ exists: true, entries: 0, bytesOnDisk: 0 });
    expect(fs.statSync(file).size).toBe(0);
  });
});
