import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { libcFamily } from '../../src/cache/load-lmdb.js';
import { ROOT, tempDir } from '../helpers/run-cli.js';

const tmp = tempDir('llm-batch-load-lmdb-');
afterAll(() => tmp.cleanup());

/** A file whose first bytes are an ELF header naming `interpreter`, as node's own binary does. */
function fakeExe(name: string, interpreter: string): string {
  const file = path.join(tmp.dir, name);
  const head = Buffer.alloc(4096);
  head.write('\x7fELF', 0, 'latin1');
  head.write(`${interpreter}\0`, 0x318, 'latin1');
  fs.writeFileSync(file, head);
  return file;
}

describe('libcFamily', () => {
  it.runIf(process.platform === 'linux')('reads the C library from the dynamic loader named in the binary', () => {
    expect(libcFamily(fakeExe('musl', '/lib/ld-musl-x86_64.so.1'))).toBe('musl');
    expect(libcFamily(fakeExe('glibc', '/lib64/ld-linux-x86-64.so.2'))).toBe('glibc');
    expect(libcFamily(fakeExe('arm', '/lib/ld-linux-aarch64.so.1'))).toBe('glibc');
  });

  it.runIf(process.platform === 'linux')('says nothing where no loader is named, or the file cannot be read: detect-libc decides', () => {
    expect(libcFamily(fakeExe('static', ''))).toBeUndefined();
    expect(libcFamily(path.join(tmp.dir, 'missing'))).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')("agrees with detect-libc about this machine's node", () => {
    const { familySync } = createRequire(import.meta.url)('detect-libc') as { familySync(): string | null };
    expect(libcFamily()).toBe(familySync() ?? undefined);
  });
});

describe('loadLmdb', () => {
  it("with the CLI's own code caches: loads lmdb and msgpackr once a process, as node's require would", () => {
    const dist = (file: string) => JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', file)).href);
    const script = `
      import { createRequire } from 'node:module';
      const { cachePackageCode } = await import(${dist('util/cached-cjs.js')});
      cachePackageCode(${JSON.stringify(path.join(tmp.dir, 'code'))});
      const { loadLmdb } = await import(${dist('cache/load-lmdb.js')});
      const first = loadLmdb();
      const again = loadLmdb();
      const viaNode = Object.keys(createRequire(import.meta.url).cache).filter((f) => /[\\/](lmdb|msgpackr)[\\/]dist[\\/]/.test(f));
      console.log(JSON.stringify({ same: first === again, open: typeof first.open, viaNode }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH }, encoding: 'utf8' }));
    expect(out).toEqual({ same: true, open: 'function', viaNode: [] });
  });

  it('loads lmdb without detect-libc or msgpackr-extract, and leaves the environment as it was', () => {
    // A process of its own: this one may have loaded lmdb already.
    const script = `
      import { createRequire } from 'node:module';
      const { loadLmdb } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/cache/load-lmdb.js')).href)});
      const { open } = loadLmdb();
      const loaded = Object.keys(createRequire(import.meta.url).cache).map((f) => f.split('node_modules/').pop().split('/')[0]);
      console.log(JSON.stringify({ open: typeof open, loaded: [...new Set(loaded)].sort(), LIBC: process.env.LIBC ?? null, MSGPACKR: process.env.MSGPACKR_NATIVE_ACCELERATION_DISABLED ?? null }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH }, encoding: 'utf8' }));
    expect(out.open).toBe('function');
    expect(out.loaded).toContain('lmdb');
    expect(out.loaded).toContain('msgpackr');
    expect(out.loaded).not.toContain('msgpackr-extract');
    if (process.platform === 'linux') expect(out.loaded).not.toContain('detect-libc');
    expect(out).toMatchObject({ LIBC: null, MSGPACKR: null });
  });
});
