import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileTooLargeError, readTextCapped } from '../../src/util/read-capped.js';
import { tempDir } from '../helpers/run-cli.js';

describe('readTextCapped', () => {
  const { dir } = tempDir('llm-batch-read-capped-');
  const file = (name: string, bytes: string | Buffer) => {
    const at = path.join(dir, name);
    fs.writeFileSync(at, bytes);
    return at;
  };

  it('reads a file up to the cap whole, as UTF-8', () => {
    expect(readTextCapped(file('ten.txt', 'héllo wor'), 10)).toBe('héllo wor');
    expect(readTextCapped(file('empty.txt', ''), 10)).toBe('');
  });

  it('refuses one byte more, and a device that never ends', () => {
    expect(() => readTextCapped(file('eleven.txt', 'x'.repeat(11)), 10)).toThrow(FileTooLargeError);
    expect(() => readTextCapped('/dev/zero', 3_000_000)).toThrow('is larger than 3 MB; is this the right file?');
  });

  it("passes Node's errors on", () => {
    expect(() => readTextCapped(path.join(dir, 'none.txt'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => readTextCapped(dir)).toThrow(expect.objectContaining({ code: 'EISDIR' }));
  });
});
