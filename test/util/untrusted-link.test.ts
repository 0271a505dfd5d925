/**
 * A symlink another user planted in a shared directory (sticky, writable by all: /tmp) is not
 * followed by a file replaced by a rename, as fs.protected_symlinks does not let open(2) follow it.
 * Another user is needed to plant one: as root the link is handed to nobody (skipped otherwise).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openReplacingFile, openReplacingWriter } from '../../src/cli/replacing-writer.js';
import { unwritableReason } from '../../src/cli/check-writable.js';
import { compactFile } from '../../src/output/compact.js';
import { removeDeadTemps } from '../../src/output/dead-temps.js';
import { untrustedLink, UntrustedLinkError } from '../../src/util/untrusted-link.js';
import { writeFileAtomic } from '../../src/util/write-file-atomic.js';
import { okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** A file of the victim's, and a `mode` directory (1777: shared) holding `name`, a link to it owned by `owner`. */
function planted(name: string, { mode = 0o1777, owner = NOBODY, dirOwner = 0 } = {}): { victim: string; link: string; dir: string } {
  const victim = path.join(tmp(), 'authorized_keys');
  fs.writeFileSync(victim, 'ssh-ed25519 AAAA\n');
  const dir = tmp();
  fs.chmodSync(dir, mode);
  fs.chownSync(dir, dirOwner, dirOwner);
  const link = path.join(dir, name);
  fs.symlinkSync(victim, link);
  fs.lchownSync(link, owner, owner);
  return { victim, link, dir };
}

const ROW = `${JSON.stringify(okRow('a', 'hi'))}\n`;

describe.runIf(asRoot)('a symlink another user planted in a shared directory', () => {
  it.each<[string, (file: string) => Promise<unknown> | unknown]>([
    ['writeFileAtomic (OUT.meta.json, --report)', (file) => writeFileAtomic(file, '{}\n')],
    ['openReplacingWriter (merge -o, --compact -o)', (file) => openReplacingWriter(file, 'jsonl', undefined)],
    ['openReplacingFile (report -o)', (file) => openReplacingFile(file)],
    ['compactFile (a resume compacting its output)', (file) => compactFile(file, 'jsonl')],
  ])('%s: refused, the file it leads to untouched', async (_, replace) => {
    const { victim, link, dir } = planted('out.jsonl');
    fs.writeFileSync(victim, ROW); // a results file, for the compaction
    let thrown: unknown;
    try {
      await replace(link);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UntrustedLinkError);
    expect((thrown as UntrustedLinkError).code).toBe('EUNTRUSTEDLINK');
    expect((thrown as Error).message).toBe(`it is a symlink that another user (uid ${NOBODY}) made in ${dir}, a directory anyone can write to: not followed`);
    expect(fs.readFileSync(victim, 'utf8')).toBe(ROW);
    expect(fs.readdirSync(dir)).toEqual(['out.jsonl']);
    expect(fs.readdirSync(path.dirname(victim))).toEqual(['authorized_keys']);
  });

  it('is refused before the run as a path that cannot be written, and its dead temp files are not looked for', () => {
    const { link, victim } = planted('out.jsonl.meta.json');
    fs.writeFileSync(`${victim}.999999.tmp`, 'not ours');
    expect(unwritableReason(link)).toMatch(/^it is a symlink that another user \(uid 65534\) made in .*: not followed$/);
    expect(removeDeadTemps(link)).toEqual([]);
    expect(fs.existsSync(`${victim}.999999.tmp`)).toBe(true);
  });

  it('one further down a chain of links is refused too', () => {
    const { victim, link } = planted('hop');
    const mine = path.join(tmp(), 'report.html');
    fs.symlinkSync(link, mine);
    expect(untrustedLink(mine)).toBe(
      `it leads to ${link}, a symlink that another user (uid ${NOBODY}) made in ${path.dirname(link)}, a directory anyone can write to: not followed`,
    );
    expect(() => writeFileAtomic(mine, 'x')).toThrow(UntrustedLinkError);
    expect(fs.readFileSync(victim, 'utf8')).toBe('ssh-ed25519 AAAA\n');
  });

  it.each([
    ['a link of this user’s own', { owner: 0 }],
    ['a link of the shared directory’s owner', { dirOwner: NOBODY }],
    ['a link in a directory that is not sticky', { mode: 0o777 }],
    ['a link in a sticky directory others cannot write to', { mode: 0o1775 }],
  ])('%s is followed, as the kernel follows it', (_, how) => {
    const { victim, link } = planted('r.html', how);
    expect(untrustedLink(link)).toBeUndefined();
    writeFileAtomic(link, '<html>\n');
    expect(fs.readFileSync(victim, 'utf8')).toBe('<html>\n');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
  });
});
