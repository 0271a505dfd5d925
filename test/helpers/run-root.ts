import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A test run's temp root: one directory in the temp dir, made by test/global-setup.ts before the
 * workers start and removed by its teardown after they are done, in vitest's own process. A worker
 * is torn down, not exited (its `process.on('exit')` never runs), and may be killed; an `afterAll`
 * does not run for a suite whose tests are all skipped (`-t`, `runIf`): so what the tests make
 * without removing it themselves goes under the root, or is recorded in it with `recordTempDir`.
 * Named `llm-batch-run-<pid of vitest's process>-XXXXXX`, so that a later run can tell one whose
 * run was killed (`sweepStaleRunRoots`).
 */
const PREFIX = 'llm-batch-run-';
const NAME = /^llm-batch-run-(\d+)-[0-9A-Za-z]{6}$/;
/** In a run root: the temp dirs the tests made outside it, one a line, for the run's end to remove. */
const RECORDED = 'recorded-dirs';
/** A dead run's root is left alone this long, in case its pid is of another pid namespace. */
const STALE_MS = 60 * 60 * 1000;

export function makeRunRoot(tmp = os.tmpdir(), pid = process.pid): string {
  return fs.mkdtempSync(path.join(tmp, `${PREFIX}${pid}-`));
}

/**
 * Records `dir`, a temp dir made outside the root, for the run's end to remove; returns it. The
 * tests' own dirs stay where they were (`tempDir`'s in the temp dir, some in /tmp for another user
 * to enter): their paths show in what the tests check, e.g. a summary line drawn in a narrowed
 * terminal, and must not grow. Appends one short line, which concurrent workers write whole.
 */
export function recordTempDir(root: string, dir: string): string {
  fs.appendFileSync(path.join(root, RECORDED), `${dir}\n`);
  return dir;
}

/** The dirs recorded in `root`, in the order recorded (a dir may be there twice). */
export function recordedDirs(root: string): string[] {
  try {
    return fs.readFileSync(path.join(root, RECORDED), 'utf8').split('\n').filter(Boolean);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Only a direct child of the temp dir (or /tmp) named llm-batch-*: a wrong record must not remove anything else. */
function removable(root: string, dir: string): boolean {
  const parent = path.dirname(dir);
  return path.isAbsolute(dir) && (parent === path.dirname(root) || parent === '/tmp') && path.basename(dir).startsWith('llm-batch-');
}

/**
 * Removes the dirs recorded in `root`, then `root` with all under it. Returns what is left, one
 * line each (the path and why); empty when all is gone.
 */
export function removeRunRoot(root: string): string[] {
  const left: string[] = [];
  let recorded: string[] = [];
  try {
    recorded = recordedDirs(root);
  } catch (error) {
    left.push(`${path.join(root, RECORDED)}: ${(error as Error).message}`);
  }
  for (const dir of new Set(recorded)) {
    if (!removable(root, dir)) left.push(`${dir}: not an llm-batch-* dir of the temp dir, left alone`);
    else remove(dir, left);
  }
  remove(root, left);
  return left;
}

function remove(dir: string, left: string[]): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
    if (fs.existsSync(dir)) left.push(`${dir}: still there after removing it`);
  } catch (error) {
    left.push(`${dir}: ${(error as Error).message}`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the roots of earlier runs whose vitest process is gone (killed: no teardown ran) and that
 * were last changed over an hour before `now`. Returns the roots removed.
 */
export function sweepStaleRunRoots(tmp = os.tmpdir(), now = Date.now()): string[] {
  const removed: string[] = [];
  for (const name of fs.readdirSync(tmp)) {
    const pid = NAME.exec(name)?.[1];
    if (pid === undefined || alive(Number(pid))) continue;
    const root = path.join(tmp, name);
    try {
      if (now - fs.statSync(root).mtimeMs < STALE_MS) continue;
    } catch {
      continue;
    }
    if (removeRunRoot(root).length === 0) removed.push(root);
  }
  return removed;
}
