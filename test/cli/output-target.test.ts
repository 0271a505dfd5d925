import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveCliConfig } from '../../src/cli/config.js';
import { closeOutputTarget, openOutputTarget } from '../../src/cli/output-target.js';
import { onIo, parseArgv } from '../../src/cli/commander-io.js';
import { createProgram, type RawFlags } from '../../src/cli/program.js';
import { openFileWriter, PLAIN_CSV, readResults } from '../../src/output/index.js';
import { memoryIo } from '../helpers/memory-io.js';
import { collect, errRow, okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

describe('a --resume with nothing left to ask', () => {
  it('compacts the superseded rows an earlier resume left, and removes a killed compaction’s temp file', async () => {
    const dir = tmp();
    const input = path.join(dir, 'in.txt');
    const out = path.join(dir, 'out.jsonl');
    fs.writeFileSync(input, 'alpha\nbeta\n');
    // What a resume killed before its compaction (or stopped by a full disk in it) leaves.
    const w = openFileWriter(out, 'jsonl', { append: false });
    for (const row of [okRow('a', 'A'), errRow('b', 'connection reset'), okRow('b', 'B')]) await w.write(row);
    await w.close();
    fs.writeFileSync(`${out}.compact.tmp`, 'half a compaction');

    const io = memoryIo();
    const program = onIo(createProgram('0.0.0'), io);
    expect(parseArgv(program, [input, '-o', out, '--resume', '--mock'])).toBeUndefined();
    const config = resolveCliConfig(program.args[0], program.opts<RawFlags>(), { env: {}, stdinIsTTY: false, stdoutIsTTY: false }, []);
    const target = await openOutputTarget(config, io, null, 'txt', undefined, PLAIN_CSV);
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
