import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { afterAll, describe, expect, it } from 'vitest';
import setup from '../global-setup.js';
import { isolatedCacheDir, runRoot, tempDir } from './run-cli.js';
import { makeRunRoot, recordTempDir, recordedDirs, removeRunRoot, sweepStaleRunRoots } from './run-root.js';

const base = tempDir('llm-batch-run-root-');
afterAll(base.cleanup);

/** A dir in `parent` with a file in a subdir: something to remove. */
function filled(parent: string, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(parent, prefix));
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub', 'data.mdb'), 'x');
  return dir;
}

/** A pid no process has: one of a process that has exited. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid!;

describe('the run root of this run', () => {
  it('is a dir of the temp dir, and holds the cache dirs of the CLIs the tests start', () => {
    const root = runRoot();
    expect(path.dirname(root)).toBe(os.tmpdir());
    expect(fs.statSync(root).isDirectory()).toBe(true);
    expect(isolatedCacheDir().startsWith(root + path.sep)).toBe(true);
  });

  it('has a record of the temp dirs made outside it', () => {
    const t = tempDir();
    t.cleanup();
    expect(recordedDirs(runRoot())).toContain(t.dir);
  });
});

describe('removeRunRoot', () => {
  it('removes what a killed worker leaves: the cache dirs under the root and the dirs recorded in it', () => {
    const root = makeRunRoot(base.dir);
    const cache = filled(root, 'cache-');
    const made = filled(base.dir, 'llm-batch-case-');
    recordTempDir(root, made);
    recordTempDir(root, made);
    expect(removeRunRoot(root)).toEqual([]);
    expect([root, cache, made].filter((d) => fs.existsSync(d))).toEqual([]);
  });

  it('leaves a recorded path that is no llm-batch-* dir of the temp dir, and names it', () => {
    const root = makeRunRoot(base.dir);
    const other = filled(base.dir, 'not-ours-');
    const deeper = filled(filled(base.dir, 'llm-batch-outer-'), 'llm-batch-inner-');
    for (const dir of [other, deeper, 'llm-batch-relative']) recordTempDir(root, dir);
    expect(removeRunRoot(root)).toEqual([other, deeper, 'llm-batch-relative'].map((d) => `${d}: not an llm-batch-* dir of the temp dir, left alone`));
    expect([other, deeper].every((d) => fs.existsSync(d))).toBe(true);
    expect(fs.existsSync(root)).toBe(false);
  });
});

describe('sweepStaleRunRoots', () => {
  it("removes an earlier run's root when its vitest process is gone and it is over an hour old", () => {
    const dead = deadPid();
    const stale = makeRunRoot(base.dir, dead);
    const made = filled(base.dir, 'llm-batch-case-');
    recordTempDir(stale, made);
    const young = makeRunRoot(base.dir, dead);
    const running = makeRunRoot(base.dir, process.pid);
    const hoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    for (const root of [stale, running]) fs.utimesSync(root, hoursAgo, hoursAgo);
    expect(sweepStaleRunRoots(base.dir)).toEqual([stale]);
    expect([stale, made].filter((d) => fs.existsSync(d))).toEqual([]);
    expect([young, running].every((d) => fs.existsSync(d))).toBe(true);
  });
});

describe('the global setup', () => {
  it('provides a root to the workers and fails the run, naming it, when something is left at the end', async () => {
    let provided: string | undefined;
    const project = { isRootProject: () => true, provide: (_key: string, root: string) => (provided = root) } as unknown as TestProject;
    const teardown = (await setup(project))!;
    expect(fs.statSync(provided!).isDirectory()).toBe(true);
    const kept = filled(base.dir, 'kept-');
    recordTempDir(provided!, kept);
    const exitCode = process.exitCode;
    try {
      expect(teardown).toThrow(`the test run left temp dirs behind:\n${kept}: not an llm-batch-* dir of the temp dir, left alone`);
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = exitCode;
    }
    expect(fs.existsSync(provided!)).toBe(false);
  });

  it('leaves it to the root project: what that provides reaches every project', async () => {
    const project = { isRootProject: () => false, provide: () => expect.unreachable() } as unknown as TestProject;
    expect(await setup(project)).toBeUndefined();
  });
});
