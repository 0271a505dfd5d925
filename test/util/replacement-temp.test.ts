import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openReplacingFile, openReplacingWriter } from '../../src/cli/replacing-writer.js';
import { compactFile } from '../../src/output/compact.js';
import { writeFileAtomic } from '../../src/util/write-file-atomic.js';
import { okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

const ROWS = [okRow('a', 'old'), okRow('a', 'new')].map((r) => `${JSON.stringify(r)}\n`).join('');

/** Each way a file is replaced by a rename: the meta and manifest, `merge -o`/`--compact -o`, `report -o`, a resume's compaction. */
const REPLACERS: Array<[string, (file: string) => Promise<void> | void]> = [
  ['writeFileAtomic (OUT.meta.json, OUT.batch.json, --report)', (file) => writeFileAtomic(file, '{}\n')],
  [
    'openReplacingWriter (merge -o, --compact -o)',
    async (file) => {
      const out = openReplacingWriter(file, 'jsonl', undefined);
      await out.writer.write(okRow('a', 'hi'));
      await out.commit();
    },
  ],
  [
    'openReplacingFile (report -o)',
    async (file) => {
      const out = openReplacingFile(file);
      out.writer.write('<html>');
      await out.commit();
    },
  ],
  ['compactFile (a resume compacting its output)', (file) => compactFile(file, 'jsonl').then(() => {})],
];

/** `out.jsonl` holding two rows for one id, with `mode`, in a fresh dir. */
function oldFile(mode: number): string {
  const file = path.join(tmp(), 'out.jsonl');
  fs.writeFileSync(file, ROWS);
  fs.chmodSync(file, mode);
  return file;
}

const modeOf = (file: string): number => fs.statSync(file).mode & 0o7777;

describe.each(REPLACERS)('%s', (_, replace) => {
  it.each([0o600, 0o640, 0o666, 0o400].map((m) => m.toString(8)))('keeps the mode of the file it replaces (%s), umask or not', async (octal) => {
    const mode = Number.parseInt(octal, 8);
    const file = oldFile(mode);
    await replace(file);
    expect(modeOf(file).toString(8)).toBe(mode.toString(8));
    expect(fs.readdirSync(path.dirname(file))).toEqual(['out.jsonl']);
  });

  it('keeps its owner and group', async () => {
    const file = oldFile(0o640);
    const before = fs.statSync(file);
    await replace(file);
    const after = fs.statSync(file);
    expect([after.uid, after.gid]).toEqual([before.uid, before.gid]);
  });

  it.runIf(process.getuid?.() === 0)('as root, gives the new file the old one’s owner and group', async () => {
    const file = oldFile(0o600);
    fs.chownSync(file, 65534, 65534);
    await replace(file);
    const after = fs.statSync(file);
    expect([after.uid, after.gid, after.mode & 0o7777]).toEqual([65534, 65534, 0o600]);
  });

  it('does not write through a symlink planted at its temp file’s name', async () => {
    const file = oldFile(0o600);
    const victim = path.join(tmp(), 'authorized_keys');
    fs.writeFileSync(victim, 'ssh-ed25519 AAAA\n');
    for (const name of [`out.jsonl.${process.pid}.tmp`, 'out.jsonl.compact.tmp']) fs.symlinkSync(victim, path.join(path.dirname(file), name));
    await replace(file);
    expect(fs.readFileSync(victim, 'utf8')).toBe('ssh-ed25519 AAAA\n');
    expect(fs.lstatSync(file).isFile()).toBe(true);
  });
});
