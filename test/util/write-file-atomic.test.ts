import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/util/write-file-atomic.js';
import { useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

/** The file's siblings other than itself: a temp file left behind shows here. */
const others = (file: string): string[] => fs.readdirSync(path.dirname(file)).filter((name) => name !== path.basename(file));

describe("writeFileAtomic's beforeRename (--overwrite empties the old rows there)", () => {
  it('runs once the new text is in its temp file, while the old file is still in place', () => {
    const file = path.join(tmp(), 'out.jsonl.meta.json');
    fs.writeFileSync(file, 'old\n');
    let seen: { current: string; temps: string[] } | undefined;
    writeFileAtomic(file, 'new\n', () => {
      const temps = others(file);
      seen = { current: fs.readFileSync(file, 'utf8'), temps: temps.map((t) => fs.readFileSync(path.join(path.dirname(file), t), 'utf8')) };
    });
    expect(seen).toEqual({ current: 'old\n', temps: ['new\n'] });
    expect(fs.readFileSync(file, 'utf8')).toBe('new\n');
    expect(others(file)).toEqual([]);
  });

  it('what it throws stops the replacement: the old file stays, the temp file goes', () => {
    const file = path.join(tmp(), 'out.jsonl.meta.json');
    fs.writeFileSync(file, 'old\n');
    expect(() =>
      writeFileAtomic(file, 'new\n', () => {
        throw new Error('cannot empty the output');
      }),
    ).toThrow('cannot empty the output');
    expect(fs.readFileSync(file, 'utf8')).toBe('old\n');
    expect(others(file)).toEqual([]);
  });

  it('does not run when the new text cannot be written', () => {
    const dir = tmp();
    const file = path.join(dir, 'gone', 'out.jsonl.meta.json');
    let ran = false;
    expect(() =>
      writeFileAtomic(file, 'new\n', () => {
        ran = true;
      }),
    ).toThrow(/ENOENT/);
    expect(ran).toBe(false);
  });
});
