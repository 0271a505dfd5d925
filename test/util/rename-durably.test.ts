import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openReplacingWriter } from '../../src/cli/replacing-writer.js';
import { compactFile } from '../../src/output/compact.js';
import { writeFileAtomic } from '../../src/util/write-file-atomic.js';
import { okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

/**
 * The renames and fsyncs made while `run` runs, in order: `rename TO` and `fsync PATH` (the path the
 * fsynced descriptor was opened on). Through node:fs's module object, as the source calls them.
 */
async function fsCalls(run: () => unknown): Promise<string[]> {
  const calls: string[] = [];
  const opened = new Map<number, string>();
  const real = { openSync: fs.openSync, fsyncSync: fs.fsyncSync, renameSync: fs.renameSync };
  vi.spyOn(fs, 'openSync').mockImplementation(((file: fs.PathLike, ...rest: unknown[]) => {
    const fd = (real.openSync as (...a: unknown[]) => number)(file, ...rest);
    opened.set(fd, String(file));
    return fd;
  }) as typeof fs.openSync);
  vi.spyOn(fs, 'fsyncSync').mockImplementation((fd) => {
    calls.push(`fsync ${opened.get(fd) ?? fd}`);
    real.fsyncSync(fd);
  });
  vi.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
    calls.push(`rename ${String(to)}`);
    real.renameSync(from, to);
  });
  await run();
  return calls;
}

afterEach(() => {
  vi.restoreAllMocks();
});

/** The calls after the last rename onto `file`: the folder's fsync must be among them. */
function afterRename(calls: string[], file: string): string[] {
  const at = calls.lastIndexOf(`rename ${file}`);
  expect(at, calls.join('\n')).toBeGreaterThanOrEqual(0);
  return calls.slice(at + 1);
}

describe('a file replaced by a rename has its folder fsynced after (a power loss keeps the new file)', () => {
  it('writeFileAtomic', async () => {
    const dir = fs.realpathSync(tmp());
    const file = path.join(dir, 'out.jsonl.meta.json');
    fs.writeFileSync(file, '{}\n');
    const calls = await fsCalls(() => writeFileAtomic(file, '{"a":1}\n'));
    expect(afterRename(calls, file)).toContain(`fsync ${dir}`);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}\n');
  });

  it('the -o of merge and --compact (openReplacingWriter)', async () => {
    const dir = fs.realpathSync(tmp());
    const file = path.join(dir, 'clean.jsonl');
    fs.writeFileSync(file, 'yesterday\n');
    const calls = await fsCalls(async () => {
      const out = openReplacingWriter(file, 'jsonl', undefined);
      await out.writer.write(okRow('a', 'hi'));
      await out.commit();
    });
    expect(afterRename(calls, file)).toContain(`fsync ${dir}`);
    expect(fs.readFileSync(file, 'utf8')).toContain('"id":"a"');
  });

  it("a resume's compaction of its output (compactFile)", async () => {
    const dir = fs.realpathSync(tmp());
    const file = path.join(dir, 'out.jsonl');
    fs.writeFileSync(file, [okRow('a', 'old'), okRow('a', 'new')].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const calls = await fsCalls(() => compactFile(file, 'jsonl'));
    expect(afterRename(calls, file)).toContain(`fsync ${dir}`);
    expect(fs.readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
