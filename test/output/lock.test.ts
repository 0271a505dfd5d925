import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readFileSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RunError } from '../../src/errors.js';
import { acquireLock, lockHeld, type LockHandle } from '../../src/output/index.js';
import { pidNamespace } from '../../src/output/lock.js';
import { useTmpDir } from '../helpers/result-rows.js';
import { until } from '../helpers/until.js';

const tmp = useTmpDir();

const procState = (pid: number): string | undefined => {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return raw.slice(raw.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
};

const held: LockHandle[] = [];
afterEach(() => {
  for (const h of held.splice(0)) h.release();
});
const take = (out: string): LockHandle => {
  const h = acquireLock(out);
  held.push(h);
  return h;
};

/** Pid of a process that has exited (and been reaped), so it is certainly dead. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  const pid = child.pid!;
  await new Promise((resolve) => child.on('exit', resolve));
  return pid;
}

function refusal(out: string): RunError {
  try {
    acquireLock(out);
  } catch (err) {
    expect(err).toBeInstanceOf(RunError);
    expect((err as RunError).code).toBe('output');
    return err as RunError;
  }
  throw new Error('expected acquireLock to throw');
}

describe('acquireLock', () => {
  it('creates `${output}.lock` with pid, host and start time', () => {
    const out = join(tmp(), 'out.jsonl');
    const h = take(out);
    expect(h.path).toBe(`${out}.lock`);
    const info = JSON.parse(readFileSync(h.path, 'utf8')) as Record<string, unknown>;
    expect(info).toMatchObject({ pid: process.pid, host: hostname() });
    expect(Date.parse(info['startedAt'] as string)).not.toBeNaN();
  });

  it('a second acquire throws naming the lock file and pid', () => {
    const out = join(tmp(), 'out.jsonl');
    take(out);
    const err = refusal(out);
    expect(err.message).toContain(`${out}.lock`);
    expect(err.message).toContain(`pid ${process.pid}`);
  });

  it('refuses a lock held by another live process', async () => {
    const out = join(tmp(), 'out.jsonl');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(`${out}.lock`, JSON.stringify({ pid: child.pid, host: hostname(), startedAt: new Date().toISOString() }));
      const err = refusal(out);
      expect(err.message).toContain(`pid ${child.pid}`);
      expect(err.message).toContain(`${out}.lock`);
      expect(err.message).toMatch(/delete/);
    } finally {
      child.kill();
    }
  });

  it('takes over a stale lock from a dead pid', async () => {
    const out = join(tmp(), 'out.jsonl');
    const pid = await deadPid();
    writeFileSync(`${out}.lock`, JSON.stringify({ pid, host: hostname(), startedAt: '2020-01-01T00:00:00.000Z' }));
    const h = take(out);
    expect(JSON.parse(readFileSync(h.path, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it.runIf(process.platform === 'linux')('takes over a lock whose pid is a zombie (killed run, parent not reaping)', async () => {
    const out = join(tmp(), 'out.jsonl');
    // perl forks a child that exits at once and never waits for it: a zombie. (A shell is no good
    // here: dash may reap its background child before it execs into something that does not.)
    const parent = spawn('perl', ['-e', '$| = 1; my $pid = fork(); exit 0 unless $pid; print "$pid\n"; sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString()))));
      await until(() => procState(pid) === 'Z', `pid ${pid} to be a zombie`);
      writeFileSync(`${out}.lock`, JSON.stringify({ pid, host: hostname(), startedAt: new Date().toISOString() }));
      const h = take(out);
      expect(JSON.parse(readFileSync(h.path, 'utf8'))).toMatchObject({ pid: process.pid });
    } finally {
      parent.kill();
    }
  });

  it.runIf(process.platform === 'linux')('takes over a lock whose pid now belongs to a process started after it (pid reuse)', () => {
    const out = join(tmp(), 'out.jsonl');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(`${out}.lock`, JSON.stringify({ pid: child.pid, host: hostname(), startedAt: '2020-01-01T00:00:00.000Z' }));
      const h = take(out);
      expect(JSON.parse(readFileSync(h.path, 'utf8'))).toMatchObject({ pid: process.pid });
    } finally {
      child.kill();
    }
  });

  it('takes over a lock left by an earlier process with our own pid (container restart)', () => {
    const out = join(tmp(), 'out.jsonl');
    writeFileSync(`${out}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: '2000-01-01T00:00:00.000Z' }));
    const h = take(out);
    expect(JSON.parse(readFileSync(h.path, 'utf8'))).toMatchObject({ startedAt: expect.not.stringContaining('2000') });
  });

  describe.skipIf(pidNamespace() === undefined)('a lock from another pid namespace (a container beside this one)', () => {
    const other = 'pid:[1]';
    const lockFrom = (out: string, ageSeconds: number) => {
      // Our own pid, as two containers' llm-batch both running as pid 1 would have.
      writeFileSync(`${out}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: '2000-01-01T00:00:00.000Z', pidns: other }));
      const then = new Date(Date.now() - ageSeconds * 1000);
      utimesSync(`${out}.lock`, then, then);
    };

    it('is held while its holder touches it, whatever its pid', () => {
      const out = join(tmp(), 'out.jsonl');
      lockFrom(out, 5);
      expect(refusal(out).message).toMatch(/locked by pid \d+ in another pid namespace .* touched the lock 5 s ago/);
    });

    it('is taken over once untouched for 35 s', () => {
      const out = join(tmp(), 'out.jsonl');
      lockFrom(out, 40);
      const h = take(out);
      expect(JSON.parse(readFileSync(h.path, 'utf8'))).toMatchObject({ pid: process.pid, pidns: pidNamespace() });
      expect(h.note).toMatch(/^took over the stale lock .* in another pid namespace: untouched for 40 s/);
    });
  });

  it('the holder touches its lock every 10 s until it releases it', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const out = join(tmp(), 'out.jsonl');
      const h = take(out);
      const old = new Date(Date.now() - 60_000);
      utimesSync(h.path, old, old);
      vi.advanceTimersByTime(10_000);
      expect(Date.now() - statSync(h.path).mtimeMs).toBeLessThan(5_000);
      h.release();
      expect(existsSync(h.path)).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  describe('removed while held (rm out.jsonl.lock, as the refusal of a second run suggests)', () => {
    it('is made again at the next heartbeat, said once: a run started after that is refused', () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        const out = join(tmp(), 'out.jsonl');
        const h = take(out);
        const mine = readFileSync(h.path, 'utf8');
        const said: string[] = [];
        h.say = (line) => said.push(line);
        for (let i = 0; i < 2; i++) {
          unlinkSync(h.path);
          vi.advanceTimersByTime(10_000);
          expect(readFileSync(h.path, 'utf8')).toBe(mine);
        }
        expect(said).toEqual([`${out}.lock was removed during the run: made it again, so that no other run writes to the same output`]);
        expect(h.lost).toBeUndefined();
        expect(refusal(out).message).toContain(`pid ${process.pid}`);
      } finally {
        vi.useRealTimers();
      }
    });

    it('made again before anyone listens (a resume reading its output back): said as soon as one does', () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        const out = join(tmp(), 'out.jsonl');
        const h = take(out);
        unlinkSync(h.path);
        vi.advanceTimersByTime(10_000);
        expect(existsSync(h.path)).toBe(true);
        const said: string[] = [];
        h.say = (line) => said.push(line);
        vi.advanceTimersByTime(10_000);
        expect(said).toEqual([`${out}.lock was removed during the run: made it again, so that no other run writes to the same output`]);
      } finally {
        vi.useRealTimers();
      }
    });

    it('taken by another run before the heartbeat: `lost` names the lock and its pid, which keeps it', () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        const out = join(tmp(), 'out.jsonl');
        const h = take(out);
        let checks = 0;
        h.watch(() => checks++);
        unlinkSync(h.path);
        const theirs = JSON.stringify({ pid: 4242, host: hostname(), startedAt: new Date().toISOString() });
        writeFileSync(h.path, theirs);
        vi.advanceTimersByTime(10_000);
        expect(h.lost).toBe(`the lock ${out}.lock was removed during the run and pid 4242 holds it now`);
        expect(checks).toBe(1);
        // Once lost, never made again (when that run ends), nor removed by this one's release.
        unlinkSync(h.path);
        vi.advanceTimersByTime(10_000);
        expect(existsSync(h.path)).toBe(false);
        writeFileSync(h.path, theirs);
        h.release();
        expect(readFileSync(h.path, 'utf8')).toBe(theirs);
        unlinkSync(h.path);
      } finally {
        vi.useRealTimers();
      }
    });
  });

  describe('a lock from another host (a container killed yesterday)', () => {
    const lockFrom = (out: string, ageSeconds: number) => {
      writeFileSync(`${out}.lock`, JSON.stringify({ pid: 7, host: 'some-other-host', startedAt: '2020-01-01T00:00:00.000Z', pidns: 'pid:[4026532999]' }));
      const then = new Date(Date.now() - ageSeconds * 1000);
      utimesSync(`${out}.lock`, then, then);
    };

    it.each([5, 290])('is held while its holder touches it (last %i s ago)', (age) => {
      const out = join(tmp(), 'out.jsonl');
      lockFrom(out, age);
      const message = refusal(out).message;
      expect(message).toMatch(/locked by pid 7 on host some-other-host, started 2020-01-01T00:00:00.000Z .*which touched the lock \d+ (s|min) ago/);
      expect(message).toContain('taken over once it has been untouched for 5 min');
    });

    it('is taken over once untouched for 5 min, saying so in one line', () => {
      const out = join(tmp(), 'out.jsonl');
      lockFrom(out, 26 * 3600);
      const h = take(out);
      expect(JSON.parse(readFileSync(h.path, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
      expect(h.note).toBe(
        `took over the stale lock ${out}.lock of pid 7 on host some-other-host: untouched for 26 h, so that run is gone (a running one touches it every 10 s)`,
      );
    });
  });

  it('a stale lock of this host (dead pid) is taken over without a note', async () => {
    const out = join(tmp(), 'out.jsonl');
    writeFileSync(`${out}.lock`, JSON.stringify({ pid: await deadPid(), host: hostname(), startedAt: new Date().toISOString() }));
    expect(take(out).note).toBeUndefined();
  });

  it.each([
    ['fresh unparsable lock is respected', '{"pid": 12', 0, true],
    ['unparsable lock older than a minute is stale', '{"pid": 12', 120, false],
    ['unparsable lock 5 s old is respected', '{"pid": 12', 5, true],
    // A run killed between creating its lock and writing it: a cron job's restart took a minute.
    ['empty lock 5 s old is stale', '', 5, false],
    ['fresh empty lock is respected', '', 0, true],
  ])('%s', (_name, content, ageSeconds, refused) => {
    const out = join(tmp(), 'out.jsonl');
    const lock = `${out}.lock`;
    writeFileSync(lock, content);
    const then = new Date(Date.now() - ageSeconds * 1000);
    utimesSync(lock, then, then);
    if (refused) expect(refusal(out).message).toContain(lock);
    else expect(take(out).path).toBe(lock);
  });

  describe('is keyed on the file the output lands on, not the path as given', () => {
    it.each([
      ['a symlink to the output', true],
      ['a symlink to an output not created yet', false],
    ])('%s takes the same lock', (_name, created) => {
      const dir = tmp();
      const out = join(dir, 'out-2026-12-01.jsonl');
      if (created) writeFileSync(out, '');
      symlinkSync('out-2026-12-01.jsonl', join(dir, 'latest.jsonl'));
      const h = take(out);
      expect(h.path).toBe(`${out}.lock`);
      const err = refusal(join(dir, 'latest.jsonl'));
      expect(err.message).toContain(`${out}.lock`);
      expect(existsSync(join(dir, 'latest.jsonl.lock'))).toBe(false);
    });

    it('the same output through a symlinked directory takes the same lock, also for a new file', () => {
      const dir = tmp();
      mkdirSync(join(dir, 'vol'));
      symlinkSync(join(dir, 'vol'), join(dir, 'data'));
      const h = take(join(dir, 'data', 'new.jsonl'));
      expect(h.path).toBe(join(dir, 'vol', 'new.jsonl.lock'));
      expect(refusal(join(dir, 'vol', 'new.jsonl')).message).toContain(join(dir, 'vol', 'new.jsonl.lock'));
    });
  });

  it('refuses an output with another hard link, through either name: each would take a lock of its own', () => {
    const dir = tmp();
    const out = join(dir, 'out.jsonl');
    writeFileSync(out, '{"id":"a"}\n');
    linkSync(out, join(dir, 'other.jsonl'));
    for (const name of [out, join(dir, 'other.jsonl')]) {
      const err = refusal(name);
      expect(err.message).toMatch(new RegExp(`^Cannot write to ${name}: it has 2 hard links .*; remove the other names .* or write to a copy$`));
      expect(err.message).not.toContain('\n');
      expect(existsSync(`${name}.lock`)).toBe(false);
    }
    // Once it has one name again, the output is locked as before.
    unlinkSync(join(dir, 'other.jsonl'));
    expect(take(out).path).toBe(`${out}.lock`);
  });

  it('release removes the file; releasing twice is fine; the output can be locked again', () => {
    const out = join(tmp(), 'out.jsonl');
    const h = acquireLock(out);
    h.release();
    expect(existsSync(h.path)).toBe(false);
    h.release();
    take(out).release();
  });

  it('release leaves a lock that is no longer ours', () => {
    const out = join(tmp(), 'out.jsonl');
    const h = acquireLock(out);
    writeFileSync(h.path, JSON.stringify({ pid: 999999, host: hostname(), startedAt: 'x' }));
    h.release();
    expect(existsSync(h.path)).toBe(true);
  });

  it('fails clearly when the lock cannot be created', () => {
    const out = join(tmp(), 'no-such-dir', 'out.jsonl');
    expect(() => acquireLock(out)).toThrow(/Cannot create lock file/);
  });
});

describe('lockHeld', () => {
  it('says whether a run holds the lock, as acquireLock judges it, and never moves a stale one', async () => {
    const out = join(tmp(), 'out.jsonl');
    expect(lockHeld(out)).toBe(false);
    const h = take(out);
    expect(lockHeld(out)).toBe(true);
    h.release();
    expect(lockHeld(out)).toBe(false);
    const stale = JSON.stringify({ pid: await deadPid(), host: hostname(), startedAt: new Date().toISOString() });
    writeFileSync(`${out}.lock`, stale);
    expect(lockHeld(out)).toBe(false);
    expect(readFileSync(`${out}.lock`, 'utf8')).toBe(stale);
  });
});
