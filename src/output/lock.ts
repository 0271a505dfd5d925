import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { writeAllSync } from '../util/write-all-sync.js';
import { hostname } from 'node:os';
import { OutputLockedError, RunError } from '../errors.js';
import { errnoCode, errorMessage } from '../util/error-message.js';
import { lockOwnerAlive } from './lock-owner.js';
import { lockPath as lockFileOf } from './side-paths.js';

export interface LockHandle {
  /** The lock file, `${outputPath}.lock` beside the file the output lands on (see side-paths.ts). */
  path: string;
  /** Set when a stale lock of a run elsewhere (another host or pid namespace) was taken over: one line for stderr. */
  note?: string;
  /** Removes the lock file if it is still ours. Synchronous so exit handlers can call it; idempotent. */
  release(): void;
  /**
   * Also runs `check` at each heartbeat while the lock is held: a cheap look at the output every 10 s
   * (see RowWriter.checkInPlace), not one per row.
   */
  watch(check: () => void): void;
  /**
   * Set by a heartbeat that found the lock file removed (by hand, by a clean-up) and another run's in
   * its place: `the lock … was removed during the run and pid N holds it now`, which stops this
   * run's writes (see RowWriter.checkInPlace).
   */
  readonly lost: string | undefined;
  /**
   * Says, once, that a heartbeat found the lock file removed and made it again (before another run
   * could take it). A lock remade before it is set (a resume's read-back runs under the lock) is
   * said as it is set; never set, nothing is said.
   */
  say: ((line: string) => void) | undefined;
}

export interface AcquireOptions {
  /**
   * The holder replaces the file by a rename (`merge`, `--compact`) rather than appending to it: the
   * new file is a name of its own, the other hard links keep the old one, so they are no reason to
   * refuse. A run never writes into a file with more than one name, so no run is missed either.
   * @default false
   */
  replaced?: boolean;
}

interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  /** The holder's pid namespace (Linux), e.g. `pid:[4026531836]`: a pid means nothing outside it. */
  pidns?: string;
}

/** An unparsable lock younger than this may be one another run is still writing. */
const UNPARSABLE_GRACE_MS = 60_000;
/** As UNPARSABLE_GRACE_MS for an empty lock: its run writes it right after creating it. */
const EMPTY_GRACE_MS = 2_000;
const MAX_ATTEMPTS = 10;
/**
 * The holder touches its lock this often. A holder in another pid namespace (another container with
 * the same hostname: the containers of one pod share it) cannot be looked up by pid, so its lock is
 * held while it is touched and stale once it has not been for HEARTBEAT_STALE_MS.
 */
const HEARTBEAT_MS = 10_000;
const HEARTBEAT_STALE_MS = 35_000;
/**
 * A holder on another host (a container's hostname changes with each `docker run`) is judged by the
 * heartbeat alone too, but the touch time is its clock and the age ours: the wide margin absorbs
 * clock skew between machines sharing the file system.
 */
const OTHER_HOST_STALE_MS = 5 * 60_000;

let ownPidns: string | null | undefined;
/** This process's pid namespace; undefined where /proc does not say (macOS, Windows). */
export function pidNamespace(): string | undefined {
  if (ownPidns === undefined) {
    try {
      ownPidns = readlinkSync('/proc/self/ns/pid');
    } catch {
      ownPidns = null;
    }
  }
  return ownPidns ?? undefined;
}

function parseLock(raw: string): LockInfo | undefined {
  try {
    const v = JSON.parse(raw) as Partial<LockInfo> | null;
    if (v && typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 && typeof v.host === 'string') {
      const info: LockInfo = { pid: v.pid, host: v.host, startedAt: typeof v.startedAt === 'string' ? v.startedAt : '' };
      if (typeof v.pidns === 'string') info.pidns = v.pidns;
      return info;
    }
  } catch {
    // fall through: unparsable
  }
  return undefined;
}

function lockedAt(info: LockInfo): number | undefined {
  const ms = Date.parse(info.startedAt);
  return Number.isFinite(ms) ? ms : undefined;
}

/** When this process started, to tell our own lock from one left by an earlier process with our pid (containers). */
const processStartMs = (): number => Date.now() - process.uptime() * 1000;

/** How long ago the lock was last touched, for people: `40 s`, `7 min`, `26 h`. */
function quiet(mtimeMs: number): string {
  const s = Math.max(0, Math.round((Date.now() - mtimeMs) / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h`;
}

/** The line said when a stale lock of a run elsewhere is taken over; undefined for one of this host's. */
function takeOverNote(lockPath: string, info: LockInfo | undefined, mtimeMs: number): string | undefined {
  if (!info) return undefined;
  const ours = pidNamespace();
  const elsewhere =
    info.host !== hostname()
      ? `on host ${info.host}`
      : info.pidns !== undefined && ours !== undefined && info.pidns !== ours
        ? 'in another pid namespace'
        : undefined;
  if (!elsewhere) return undefined;
  return `took over the stale lock ${lockPath} of pid ${info.pid} ${elsewhere}: untouched for ${quiet(mtimeMs)}, so that run is gone (a running one touches it every ${HEARTBEAT_MS / 1000} s)`;
}

/**
 * Decides whether an existing lock is held. Returns undefined when it is stale, or the reason to refuse.
 */
function heldBy(lockPath: string, info: LockInfo | undefined, mtimeMs: number, raw = '?'): string | undefined {
  if (!info) {
    // An empty lock is one whose run was killed between creating and writing it (microseconds
    // apart): taken as held for a minute, every --resume of a restarting cron job was refused.
    if (Date.now() - mtimeMs > (raw === '' ? EMPTY_GRACE_MS : UNPARSABLE_GRACE_MS)) return undefined;
    return (
      `${lockPath} exists but cannot be read as a lock (another run may be creating it). ` +
      `If no other llm-batch run uses this output, delete ${lockPath} and try again.`
    );
  }
  const since = info.startedAt ? `, started ${info.startedAt}` : '';
  if (info.host !== hostname()) {
    if (Date.now() - mtimeMs > OTHER_HOST_STALE_MS) return undefined;
    return (
      `the output is locked by pid ${info.pid} on host ${info.host}${since} (${lockPath}), which touched the lock ${quiet(mtimeMs)} ago. ` +
      `A running llm-batch touches it every ${HEARTBEAT_MS / 1000} s: if that run has ended, the lock is taken over once it has been ` +
      `untouched for ${OTHER_HOST_STALE_MS / 60_000} min (or delete ${lockPath}).`
    );
  }
  const ours = pidNamespace();
  if (info.pidns !== undefined && ours !== undefined && info.pidns !== ours) {
    const quietS = Math.round((Date.now() - mtimeMs) / 1000);
    if (Date.now() - mtimeMs > HEARTBEAT_STALE_MS) return undefined;
    return (
      `the output is locked by pid ${info.pid} in another pid namespace (another container on host ${info.host}?${since}; ${lockPath}), ` +
      `which touched the lock ${quietS} s ago. A running llm-batch touches it every ${HEARTBEAT_MS / 1000} s: if that run has ended, ` +
      `the lock is taken over once it has been untouched for ${HEARTBEAT_STALE_MS / 1000} s (or delete ${lockPath}).`
    );
  }
  if (info.pid === process.pid) {
    // Same pid: an earlier process (pid reuse, e.g. pid 1 in a restarted container) or this one.
    const started = Date.parse(info.startedAt);
    if (Number.isFinite(started) && started < processStartMs() - 1000) return undefined;
    return `this process (pid ${info.pid}) already holds the lock ${lockPath}; release it first.`;
  } else if (!lockOwnerAlive(info.pid, lockedAt(info))) {
    return undefined;
  }
  return (
    `the output is in use by another llm-batch run (pid ${info.pid}${since}; lock file ${lockPath}). ` +
    `Wait for it to finish or stop it; if that pid is not an llm-batch run, delete ${lockPath} and try again.`
  );
}

/**
 * Moves a stale lock out of the way. rename() is atomic, so of several runs taking over the same
 * stale lock only one moves it; if what we moved is no longer the stale lock we judged (another
 * run replaced it in between), it is linked back (link never overwrites) and we look again.
 */
function removeStale(lockPath: string, staleRaw: string): void {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockPath, aside);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  let raw: string | undefined;
  try {
    raw = readFileSync(aside, 'utf8');
  } catch {
    raw = undefined;
  }
  if (raw !== staleRaw) {
    try {
      linkSync(aside, lockPath);
    } catch {
      // Someone created a new lock meanwhile; theirs stands.
    }
  }
  unlinkSync(aside);
}

/**
 * Takes `${outputPath}.lock` (content {pid, host, startedAt, pidns}, created with 'wx' so only one run
 * can create it, touched every 10 s while held, made again if removed meanwhile: see makeHandle). If another live run on this host holds it, throws RunError('output') naming the lock
 * file and the pid. A lock whose pid is dead, a zombie or reused by a later process, or that is
 * unparsable and older than a minute, is
 * stale and taken over; so is one of a run elsewhere (another pid namespace, another host) once its
 * heartbeat stopped, saying so in `note`. An output with more than one hard link is refused (see
 * refuseHardLinked) unless `replaced`.
 */
export function acquireLock(outputPath: string, options: AcquireOptions = {}): LockHandle {
  if (!options.replaced) refuseHardLinked(outputPath);
  const lockPath = lockFileOf(outputPath);
  const mine: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  const pidns = pidNamespace();
  if (pidns !== undefined) mine.pidns = pidns;
  const text = JSON.stringify(mine) + '\n';
  let note: string | undefined;
  let wrote = false;

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    let fd: number | undefined;
    try {
      fd = openSync(lockPath, 'wx');
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') {
        throw new RunError(`Cannot create lock file ${lockPath}: ${errorMessage(err)}`, 'output');
      }
    }
    if (fd !== undefined) {
      try {
        writeLock(fd, lockPath, text);
      } catch (err) {
        throw new RunError(`Cannot write lock file ${lockPath}: ${errorMessage(err)}`, 'output');
      }
      // Stalled more than EMPTY_GRACE_MS between creating the lock and writing it (SIGSTOP, a frozen
      // VM), the lock may have been taken over as a dead run's meanwhile: then it is not ours.
      if (holds(lockPath, text)) return makeHandle(lockPath, text, note);
      wrote = true;
      continue;
    }

    let found: FoundLock;
    try {
      found = readLock(lockPath);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue; // released meanwhile
      throw new RunError(`Cannot read lock file ${lockPath}: ${errorMessage(err)}`, 'output');
    }
    // Our own text, written by this call before a takeover's rename put it back (see holds above).
    if (wrote && found.raw === text) return makeHandle(lockPath, text, note);
    const refusal = heldBy(lockPath, found.info, found.mtimeMs, found.raw);
    if (refusal !== undefined) throw new OutputLockedError(`Cannot write to ${outputPath}: ${refusal}`);
    note = takeOverNote(lockPath, found.info, found.mtimeMs);
    try {
      removeStale(lockPath, found.raw);
    } catch (err) {
      throw new RunError(`Cannot replace stale lock file ${lockPath}: ${errorMessage(err)}`, 'output');
    }
  }
  throw new OutputLockedError(`Cannot take the lock ${lockPath}: it kept changing (several runs starting at once?). Try again.`);
}

/** Whether the lock at `lockPath` holds `text`, this run's own. */
function holds(lockPath: string, text: string): boolean {
  try {
    return readFileSync(lockPath, 'utf8') === text;
  } catch {
    return false;
  }
}

/**
 * Refuses an output that is a regular file with more than one hard link (`ln out.jsonl other.jsonl`).
 * The lock is named after the path (symlinks followed): a run through the other name would take a
 * lock of its own and mix its rows into the same file, and keep its own `.meta.json`. Two names of
 * one inode cannot be told apart from the path, and a lock keyed on the inode would need a place
 * both names share (they may sit in different folders) and would change with the file (a compaction
 * replaces it). Refused whatever name a run comes through: once the second name exists, every run
 * sees the count, so no two runs can both pass. A file not created yet has one name.
 */
function refuseHardLinked(outputPath: string): void {
  let links: number;
  try {
    const stat = statSync(outputPath, { throwIfNoEntry: false });
    if (!stat?.isFile()) return;
    links = stat.nlink;
  } catch {
    return; // Unreadable: the lock or the writer says why.
  }
  if (links > 1) {
    throw new RunError(
      `Cannot write to ${outputPath}: it has ${links} hard links (names for one file, as ln makes them), and a run through another name would not see this run's lock and would mix its rows into the same file; remove the other names (find -samefile lists them) or write to a copy`,
      'output',
    );
  }
}

/**
 * Whether a run holds `${outputPath}.lock` now, judged as acquireLock judges it (a stale lock is not
 * held), without taking it or moving a stale one: for a reader of the output, such as `report`.
 */
export function lockHeld(outputPath: string): boolean {
  const lockPath = lockFileOf(outputPath);
  let found: FoundLock;
  try {
    found = readLock(lockPath);
  } catch {
    return false;
  }
  return heldBy(lockPath, found.info, found.mtimeMs, found.raw) !== undefined;
}

interface FoundLock {
  raw: string;
  info: LockInfo | undefined;
  /** When its run last refreshed it (see HEARTBEAT_MS). */
  mtimeMs: number;
}

/** The lock file as it is now; throws as fs does (ENOENT: there is none). */
function readLock(lockPath: string): FoundLock {
  const raw = readFileSync(lockPath, 'utf8');
  return { raw, info: parseLock(raw), mtimeMs: statSync(lockPath).mtimeMs };
}

/** Writes a lock just created (`wx`) as `fd`; one that cannot be written is removed again. */
function writeLock(fd: number, lockPath: string, text: string): void {
  try {
    writeAllSync(fd, text);
    closeSync(fd);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    unlinkSync(lockPath);
    throw err;
  }
}

/**
 * What a heartbeat finds: the lock still ours (touched), `remade` after it was removed (created
 * again with `wx`, so that no run can take it from now on), or another run's lock in its place: the
 * words naming who holds it. A lock that cannot be read or made again (its folder removed: the
 * writer's own check says so) is left to the next acquire, as before.
 */
function keepLock(lockPath: string, text: string): 'held' | 'remade' | { heldBy: string } {
  let raw: string;
  try {
    raw = readFileSync(lockPath, 'utf8');
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') return 'held';
    try {
      writeLock(openSync(lockPath, 'wx'), lockPath, text);
      return 'remade';
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') return 'held';
      // Another run made it first, between the two calls.
      return keepLock(lockPath, text);
    }
  }
  if (raw !== text) {
    const info = parseLock(raw);
    return { heldBy: info ? `pid ${info.pid}${info.host === hostname() ? '' : ` on host ${info.host}`}` : 'another run' };
  }
  try {
    const now = new Date();
    utimesSync(lockPath, now, now);
  } catch {
    // Unwritable: the next acquire by anyone decides.
  }
  return 'held';
}

function makeHandle(lockPath: string, text: string, note: string | undefined): LockHandle {
  let released = false;
  let lost: string | undefined;
  let remade: 'no' | 'unsaid' | 'said' = 'no';
  let say: ((line: string) => void) | undefined;
  const sayRemade = () => {
    if (remade !== 'unsaid' || !say) return;
    remade = 'said';
    say(`${lockPath} was removed during the run: made it again, so that no other run writes to the same output`);
  };
  const checks: (() => void)[] = [];
  const handle: LockHandle = {
    path: lockPath,
    ...(note !== undefined ? { note } : {}),
    get lost() {
      return lost;
    },
    get say() {
      return say;
    },
    set say(line) {
      say = line;
      sayRemade();
    },
    watch(check: () => void): void {
      checks.push(check);
    },
    release(): void {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      try {
        // Only remove it if it is still ours (it could have been deleted and re-taken by hand).
        if (readFileSync(lockPath, 'utf8') === text) unlinkSync(lockPath);
      } catch {
        // Already gone, or unreadable while exiting: nothing more we can do.
      }
    },
  };
  // Keeps the lock fresh for a run in another pid namespace (see HEARTBEAT_MS), and this run's: a lock
  // removed under it is made again, or, taken by another run meanwhile, ends this run's writes (the
  // checks see `lost`) within one period. Never keeps the process alive.
  const heartbeat = setInterval(() => {
    if (lost === undefined) {
      const found = keepLock(lockPath, text);
      if (typeof found === 'object') lost = `the lock ${lockPath} was removed during the run and ${found.heldBy} holds it now`;
      else if (found === 'remade' && remade === 'no') {
        remade = 'unsaid';
        sayRemade();
      }
    }
    for (const check of checks) check();
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return handle;
}
