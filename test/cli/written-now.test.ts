import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCompact } from '../../src/cli/compact-command.js';
import { onIo, parseArgv } from '../../src/cli/commander-io.js';
import { resolveCliConfig } from '../../src/cli/config.js';
import { createProgram, type RawFlags } from '../../src/cli/program.js';
import { runSubcommand } from '../../src/cli/subcommands.js';
import { acquireLock } from '../../src/output/index.js';
import { memoryIo } from '../helpers/memory-io.js';
import { okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

function compact(args: readonly string[], io: ReturnType<typeof memoryIo>): Promise<number> {
  const program = onIo(createProgram('0.0.0'), io);
  expect(parseArgv(program, args)).toBeUndefined();
  return runCompact(resolveCliConfig(program.args[0], program.opts<RawFlags>(), { env: {}, stdinIsTTY: false, stdoutIsTTY: false }, []), io);
}

describe('merge and --compact of an output a run is still writing', () => {
  it('say so in one line on stderr, as report does; merge exits 1 (its file lacks the rows to come)', async () => {
    const dir = tmp();
    const out = path.join(dir, 'out.jsonl');
    // The row the run is writing, half written: said as the file being written, not as a row cut short.
    fs.writeFileSync(out, `${JSON.stringify(okRow('a', 'A'))}\n${JSON.stringify(okRow('b', 'B')).slice(0, 30)}`);
    const note = (what: string) =>
      `llm-batch: ${out} is still being written by a run in progress (it holds ${out}.lock): the ${what} covers the rows written so far\n`;
    const lock = acquireLock(out);
    try {
      const merged = memoryIo();
      expect(await runSubcommand(['merge', out, '-o', path.join(dir, 'm.jsonl')], merged)).toBe(1);
      expect(merged.err()).toContain(`${note('merge')}llm-batch: merged 1 row`);
      const compacted = memoryIo();
      expect(await compact([out, '--compact', '-o', path.join(dir, 'c.jsonl')], compacted)).toBe(0);
      expect(compacted.err()).toBe(`${note('compaction')}llm-batch: compacted 1 row (0 superseded rows dropped)\n`);
      // -q (cron): said as a merge with rows missing is, note and closing line.
      const quiet = memoryIo();
      expect(await runSubcommand(['merge', out, '-o', path.join(dir, 'q.jsonl'), '-q'], quiet)).toBe(1);
      expect(quiet.err()).toContain(`${note('merge')}llm-batch: merged 1 row`);
      expect(quiet.out()).toBe('');
      const quietCompact = memoryIo();
      expect(await compact([out, '--compact', '-o', path.join(dir, 'qc.jsonl'), '-q'], quietCompact)).toBe(0);
      expect(quietCompact.err()).toBe(note('compaction'));
    } finally {
      lock.release();
    }
    const after = memoryIo();
    expect(await compact([out, '--compact', '-o', path.join(dir, 'd.jsonl')], after)).toBe(0);
    expect(after.err()).not.toMatch(/still being written/);
  });
});

describe('merge and --compact of a file that ends with a row cut short', () => {
  it('leave that row out and say so in one line, even under -q; a whole file says nothing', async () => {
    const dir = tmp();
    const rows = [okRow('a', 'A'), okRow('b', 'B', { line: 2 })];
    const clean = path.join(dir, 'clean.jsonl');
    fs.writeFileSync(clean, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    // A JSONL row torn mid-line; a CSV whose last record lost its line end (as a cut or an editor leaves it).
    const jsonl = path.join(dir, 'torn.jsonl');
    fs.writeFileSync(jsonl, `${fs.readFileSync(clean, 'utf8')}${JSON.stringify(okRow('c', 'C', { line: 3 })).slice(0, 40)}`);
    const csv = path.join(dir, 'torn.csv');
    expect(await compact([clean, '--compact', '-o', csv, '-q'], memoryIo())).toBe(0);
    fs.writeFileSync(csv, fs.readFileSync(csv, 'utf8').replace(/\r?\n$/, ''));
    const note = (file: string) =>
      `llm-batch: ${file} ends with a row cut short (no line end after it), left out; a --resume of its run asks that prompt again\n`;
    for (const file of [jsonl, csv]) {
      const quiet = memoryIo();
      const copy = path.join(dir, `copy-${path.basename(file)}.jsonl`);
      expect(await compact([file, '--compact', '-o', copy, '-q'], quiet)).toBe(0);
      expect(quiet.err()).toBe(note(file));
      expect(fs.readFileSync(copy, 'utf8').trim().split('\n')).toHaveLength(file === csv ? 1 : 2);
      const merged = memoryIo();
      // Named twice, said once.
      expect(await runSubcommand(['merge', file, clean, file, '-o', path.join(dir, `m-${path.basename(file)}.jsonl`), '-q'], merged)).toBe(0);
      expect(
        merged
          .err()
          .split(/(?<=\n)/)
          .filter((l) => !/has no run metadata/.test(l)),
      ).toEqual([note(file)]);
    }
    const whole = memoryIo();
    expect(await compact([clean, '--compact', '-o', path.join(dir, 'w.jsonl'), '-q'], whole)).toBe(0);
    expect(whole.err()).toBe('');
  });
});
