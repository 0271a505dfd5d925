/**
 * A user with no home: HOME unset and a uid the password database does not know, as a container run
 * with `--user 12345` or a job under `env -i` has it. Node's os.homedir() throws then, and every
 * command, `--version` too, ended in a stack trace. Now the code caches are skipped, a run goes on
 * without the response cache after one line, and `cache` names what to set. The built CLI, as a uid
 * with no passwd entry (needs root to take one).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../helpers/mock-server.js';
import { BIN, runCli, SECRET_KEY, tempDir, waitForExit } from '../helpers/run-cli.js';

const UID = 54321;
const unknown = () => spawnSync('getent', ['passwd', String(UID)]).status === 2;
const canRun = () => spawnSync(process.execPath, [BIN, '--version'], { uid: UID, gid: UID, cwd: '/', env: { PATH: process.env.PATH } }).error === undefined;

function asNobodyKnown(args: string[], stdin = '') {
  const child = spawn(process.execPath, [BIN, ...args], {
    uid: UID,
    gid: UID,
    cwd: '/',
    // No HOME, no XDG_CACHE_HOME, no LLM_BATCH_CACHE_DIR: the default cache has nowhere to go.
    env: { PATH: process.env.PATH, OPENAI_API_KEY: SECRET_KEY },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin!.end(stdin);
  return waitForExit(child, 20_000);
}

describe.runIf(process.getuid?.() === 0 && unknown() && canRun())('a user with no home directory', () => {
  let server: MockServer;
  beforeAll(async () => {
    server = await startMockServer({ latencyMs: 1 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('--version and --help work', async () => {
    const version = await asNobodyKnown(['--version']);
    expect(version.stderr).toBe('');
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const help = await asNobodyKnown(['--help']);
    expect(help.code, help.stderr).toBe(0);
  });

  it('a run answers every prompt without the response cache, after one line saying why', async () => {
    const r = await asNobodyKnown(['-', '--base-url', server.url], 'one\ntwo\n');
    expect(r.code, r.stderr).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).response !== null),
    ).toEqual([true, true]);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(
      'llm-batch: no home directory for the default cache (HOME is not set and this user has no entry in the password database): running without the response cache (LLM_BATCH_CACHE_DIR, XDG_CACHE_HOME or --cache-dir gives it one, --no-cache silences this)',
    );
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^llm-batch: 2 ok, 0 failed/)]);
  });

  it('cache stats without a directory says what to set (exit 2); with --cache-dir it works', async () => {
    const r = await asNobodyKnown(['cache', 'stats']);
    expect(r.stderr).toBe(
      'llm-batch: no home directory for the default cache (HOME is not set and this user has no entry in the password database): pass --cache-dir, or set LLM_BATCH_CACHE_DIR or XDG_CACHE_HOME\n',
    );
    expect(r.code).toBe(2);
    const named = await asNobodyKnown(['cache', 'stats', '--cache-dir', '/nonexistent/cache']);
    expect(named.code, named.stderr).toBe(0);
    expect(named.stdout).toMatch(/the directory does not exist/);
  });
});

// A service user's HOME that is not there (Debian's `/nonexistent`): a run as root made it, with
// .cache/llm-batch and its code caches inside, on the first run of a cron job.
describe('a HOME that does not exist', () => {
  let server: MockServer;
  const tmp = tempDir('llm-batch-missing-home-');
  beforeAll(async () => {
    server = await startMockServer({ latencyMs: 1 });
  });
  afterAll(async () => {
    await server?.close();
    tmp.cleanup();
  });

  it('is not made: the run goes on without the response cache, after one line saying why', async () => {
    const home = path.join(tmp.dir, 'nonexistent');
    const r = await runCli(['-', '--base-url', server.url], { stdin: 'one\ntwo\n', cache: true, env: { HOME: home, LLM_BATCH_CACHE_DIR: undefined } });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(home)).toBe(false);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(
      `llm-batch: no home directory for the default cache (the home directory ${home} does not exist): running without the response cache (LLM_BATCH_CACHE_DIR, XDG_CACHE_HOME or --cache-dir gives it one, --no-cache silences this)`,
    );
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^llm-batch: 2 ok, 0 failed/)]);
  });
});
