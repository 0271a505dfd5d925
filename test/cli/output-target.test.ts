import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { OutputWriteError } from '../../src/errors.js';
import { resolveCliConfig } from '../../src/cli/config.js';
import { closeOutputTarget, openOutputTarget, type OutputTarget } from '../../src/cli/output-target.js';
import { onIo, parseArgv } from '../../src/cli/commander-io.js';
import { createProgram, type RawFlags } from '../../src/cli/program.js';
import { openFileWriter, PLAIN_CSV, readResults } from '../../src/output/index.js';
import { memoryIo } from '../helpers/memory-io.js';
import { collect, errRow, okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

/** The output target a run with `argv` opens, with its settings, as the CLI resolves them. */
async function openTarget(argv: string[]) {
  const io = memoryIo();
  const program = onIo(createProgram('0.0.0'), io);
  expect(parseArgv(program, argv)).toBeUndefined();
  const config = resolveCliConfig(program.args[0], program.opts<RawFlags>(), { env: {}, stdinIsTTY: false, stdoutIsTTY: false }, []);
  return { config, target: await openOutputTarget(config, io, null, 'txt', undefined, PLAIN_CSV) };
}

/** Two prompts' input, and an output where the second's failed row was superseded by an answer. */
async function supersededOutput(): Promise<{ input: string; out: string }> {
  const dir = tmp();
  const input = path.join(dir, 'in.txt');
  const out = path.join(dir, 'out.jsonl');
  fs.writeFileSync(input, 'alpha\nbeta\n');
  const w = openFileWriter(out, 'jsonl', { append: false });
  for (const row of [okRow('a', 'A'), errRow('b', 'connection reset'), okRow('b', 'B')]) await w.write(row);
  await w.close();
  return { input, out };
}

describe('a --resume with nothing left to ask', () => {
  it('compacts the superseded rows an earlier resume left, and removes a killed compaction’s temp file', async () => {
    // What a resume killed before its compaction (or stopped by a full disk in it) leaves.
    const { input, out } = await supersededOutput();
    fs.writeFileSync(`${out}.compact.tmp`, 'half a compaction');

    const { config, target } = await openTarget([input, '-o', out, '--resume', '--mock']);
    try {
      expect(fs.existsSync(`${out}.compact.tmp`)).toBe(false);
      const said: string[] = [];
      // No row written: both prompts are done.
      await closeOutputTarget(config, target, undefined, (line) => said.push(line));
      expect((await collect(readResults(out, 'jsonl'))).map((r) => r.response)).toEqual(['A', 'B']);
      expect(said).toEqual([`${out}: 1 superseded row left by an earlier run dropped (compacted)`]);
    } finally {
      target.lock?.release();
    }
  });
});

describe('a --resume after one killed before its compaction', () => {
  it('says which superseded rows it replaced and which an earlier run left (it claimed them all)', async () => {
    const dir = tmp();
    const input = path.join(dir, 'in.txt');
    const out = path.join(dir, 'out.jsonl');
    fs.writeFileSync(input, 'alpha\nbeta\ngamma\n');
    // b's failure answered by the killed resume, c's still failed.
    const w = openFileWriter(out, 'jsonl', { append: false });
    for (const row of [okRow('a', 'A'), errRow('b', 'connection reset'), errRow('c', 'connection reset'), okRow('b', 'B')]) await w.write(row);
    await w.close();

    const { config, target } = await openTarget([input, '-o', out, '--resume', '--mock']);
    try {
      await target.writer.write(okRow('c', 'C'));
      const said: string[] = [];
      await closeOutputTarget(config, target, undefined, (line) => said.push(line));
      expect((await collect(readResults(out, 'jsonl'))).map((r) => r.response)).toEqual(['A', 'B', 'C']);
      expect(said).toEqual([`${out}: 1 superseded row replaced by this run's, 1 row left by an earlier run dropped (compacted)`]);
    } finally {
      target.lock?.release();
    }
  });
});

/**
 * An output target opened on a fresh out.jsonl with the lock's heartbeat on a fake clock (advance it
 * with vi.advanceTimersByTime); its lock released and real timers back after `test`.
 */
async function onHeartbeatTarget(test: (target: OutputTarget, out: string) => Promise<void>): Promise<void> {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  const dir = tmp();
  const out = path.join(dir, 'out.jsonl');
  const { target } = await openTarget([path.join(dir, 'in.txt'), '-o', out, '--mock']);
  try {
    await test(target, out);
  } finally {
    target.lock?.release();
    vi.useRealTimers();
  }
}

describe('an output removed during the run', () => {
  it('is noticed on the lock’s heartbeat: the next write fails saying so, and so does the close', async () => {
    await onHeartbeatTarget(async (target, out) => {
      await target.writer.write(okRow('a', 'A'));
      vi.advanceTimersByTime(10_000);
      await target.writer.write(okRow('b', 'B'));
      fs.rmSync(out);
      const said = `${out} was removed during the run: the 2 rows written to it went to a file no longer on disk; a --resume asks again the prompts ${out} has no row for`;
      vi.advanceTimersByTime(10_000);
      await expect(target.writer.write(okRow('c', 'C'))).rejects.toThrow(new OutputWriteError(said));
      await expect(target.writer.close()).rejects.toThrow(said);
    });
  });

  it('its lock removed and taken by another run: the next write fails naming that run, the rows written stay, and so does the close', async () => {
    await onHeartbeatTarget(async (target, out) => {
      await target.writer.write(okRow('a', 'A'));
      // `rm out.jsonl.lock`, then a --resume of the same output takes it.
      fs.rmSync(`${out}.lock`);
      fs.writeFileSync(`${out}.lock`, JSON.stringify({ pid: 4242, host: os.hostname(), startedAt: new Date().toISOString() }));
      await target.writer.write(okRow('b', 'B'));
      vi.advanceTimersByTime(10_000);
      const said = `the lock ${out}.lock was removed during the run and pid 4242 holds it now: this run stopped writing to ${out}, which keeps the 2 rows it wrote; once that run is over, a --resume asks again the prompts ${out} has no row for`;
      await expect(target.writer.write(okRow('c', 'C'))).rejects.toThrow(new OutputWriteError(said));
      await expect(target.writer.close()).rejects.toThrow(said);
      expect((await collect(readResults(out, 'jsonl'))).map((r) => r.response)).toEqual(['A', 'B']);
    });
  });

  it('moved away: its close fails saying where the rows went; in place, it closes as before', async () => {
    const dir = tmp();
    const out = path.join(dir, 'out.jsonl');
    const kept = openFileWriter(out, 'jsonl', { append: false });
    await kept.write(okRow('a', 'A'));
    await expect(kept.close()).resolves.toBeUndefined();
    const moved = openFileWriter(out, 'jsonl', { append: true });
    await moved.write(okRow('b', 'B'));
    fs.renameSync(out, `${out}.1`);
    await expect(moved.close()).rejects.toThrow(
      `${out} was moved or replaced during the run: the 1 row written to it went to the file moved away, not to ${out}; a --resume asks again the prompts ${out} has no row for`,
    );
    expect((await collect(readResults(`${out}.1`, 'jsonl'))).map((r) => r.response)).toEqual(['A', 'B']);
  });
});

describe('a resume whose compaction cannot be written', () => {
  it('keeps every row and says so, failing as the output does (a stop, not an internal error)', async () => {
    const { input, out } = await supersededOutput();
    const before = fs.readFileSync(out, 'utf8');

    const { config, target } = await openTarget([input, '-o', out, '--resume', '--mock']);
    try {
      // Where the compaction writes, something it cannot open (as a folder made read-only would).
      fs.mkdirSync(`${out}.compact.tmp`);
      const closing = closeOutputTarget(config, target, undefined, () => {});
      await expect(closing).rejects.toBeInstanceOf(OutputWriteError);
      await expect(closing).rejects.toThrow(
        new RegExp(
          `^${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} was not compacted \\(Cannot open output file .*EISDIR.*\\): every row is kept, the superseded ones too \\(the last row per prompt counts\\), and the next --resume compacts them$`,
        ),
      );
      expect(fs.readFileSync(out, 'utf8')).toBe(before);
    } finally {
      target.lock?.release();
    }
  });
});
