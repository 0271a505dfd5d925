import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunError } from '../errors.js';
import { pidNamespace } from '../output/lock.js';
import { lockOwnerAlive } from '../output/lock-owner.js';
import { pathProblem } from '../util/path-words.js';
import { isStreamTarget } from './stream-target.js';

const PREFIX = 'llm-batch-report-';
/**
 * What the folder's maker wrote in it: its host and pid namespace, so that only a run of the same
 * ones judges its pid (the initial namespace has one id on every host: a TMPDIR on NFS is shared).
 */
const OWNER = 'owner';
const owner = (): string => JSON.stringify([os.hostname(), pidNamespace() ?? null]);
/** The file of copied rows: its last change is when the run was last known to be writing. */
export const COPY_FILE = 'rows.jsonl';

/**
 * A folder for the copy of a --report run's rows: in TMPDIR, else (TMPDIR missing or not writable,
 * as under a cron job's `env -i` or a locked-down service) beside the report. Neither: refused before
 * anything is sent, where a bare `mkdtemp` failure ended the run as a bug (exit 70, no summary).
 * Named with the pid, so the next such run can remove the folders of runs killed outright.
 */
export function makeCopyDir(report: string): string {
  try {
    return freshCopyDir(os.tmpdir(), PREFIX);
  } catch (err) {
    try {
      // Not beside a stream (`--report /dev/stdout`): /dev is no place for it.
      if (isStreamTarget(report)) throw err;
      return freshCopyDir(path.dirname(path.resolve(report)), `.${PREFIX}`);
    } catch {
      throw new RunError(
        `--report ${report}: the rows go to no results file it can be made from, and no copy of them can be kept in ${os.tmpdir()} (${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : pathProblem(err)}) or beside the report: set TMPDIR to a writable directory, or write the rows with -o FILE.jsonl`,
        'usage',
      );
    }
  }
}

function freshCopyDir(parent: string, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(parent, `${prefix}${process.pid}-`));
  try {
    fs.writeFileSync(path.join(dir, OWNER), owner());
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  removeDeadCopies(parent, prefix);
  return dir;
}

/**
 * Removes the copies that --report runs killed outright (kill -9, the OOM killer, a cron timeout's
 * SIGKILL) left in `parent`: each as large as the rows it held, in a folder nothing else would ever
 * empty. Only a folder of this user, made on this host in this pid namespace (in a /tmp shared with
 * a container or over NFS, a pid says nothing), whose process is gone (lockOwnerAlive: a pid reused
 * since the copy was last written is gone too); never this process's own.
 */
function removeDeadCopies(parent: string, prefix: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  const uid = process.getuid?.();
  const ours = owner();
  for (const name of names) {
    const pid = /^(\d{1,10})-[^/]+$/.exec(name.startsWith(prefix) ? name.slice(prefix.length) : '')?.[1];
    if (pid === undefined || Number(pid) === process.pid) continue;
    const dir = path.join(parent, name);
    try {
      const stat = fs.lstatSync(dir);
      if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue;
      if (fs.readFileSync(path.join(dir, OWNER), 'utf8') !== ours) continue;
      const rows = fs.statSync(path.join(dir, COPY_FILE), { throwIfNoEntry: false });
      if (lockOwnerAlive(Number(pid), Math.max(stat.mtimeMs, rows?.mtimeMs ?? 0))) continue;
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // Not one of ours, or gone meanwhile: left as it is.
    }
  }
}
