import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachePackageCode, keepPackageCode, requireCached } from '../../src/util/cached-cjs.js';
import { tempDir } from '../helpers/run-cli.js';

const tmp = tempDir('llm-batch-cached-cjs-');
afterAll(() => tmp.cleanup());

/** A package's CommonJS script in `dir`, with a relative require of its own. */
function writeScript(dir: string, body: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'dep.js'), 'exports.y = 7;\n');
  const file = path.join(dir, 'index.cjs');
  fs.writeFileSync(file, `'use strict';\n${body}\n`);
  return file;
}

const cachesIn = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.v8')) : []);

describe('requireCached', () => {
  it("runs a script as node's loader does: exports, module.exports, __filename, __dirname, its own require; `requires` first", () => {
    const file = writeScript(
      path.join(tmp.dir, 'plain'),
      'exports.y = require("./dep.js").y; exports.file = __filename; exports.dir = __dirname; exports.other = require("msgpackr-like"); exports.strict = (function () { return this === undefined; })();',
    );
    expect(requireCached(file, { 'msgpackr-like': 'given' })).toEqual({ y: 7, file, dir: path.dirname(file), other: 'given', strict: true });
    const replaced = writeScript(path.join(tmp.dir, 'replaced'), 'module.exports = { whole: true };');
    expect(requireCached(replaced)).toEqual({ whole: true });
  });

  it('makes a cache at the end of a worthy run only, for the user alone, named by the script and node', () => {
    const caches = path.join(tmp.dir, 'caches');
    cachePackageCode(caches);
    const file = writeScript(path.join(tmp.dir, 'cached'), 'exports.f = function f(n) { return n + 1; };');
    expect((requireCached(file) as { f(n: number): number }).f(1)).toBe(2);
    keepPackageCode(false);
    expect(cachesIn(caches)).toEqual([]);
    keepPackageCode(true);
    const [name, ...more] = cachesIn(caches);
    expect(more).toEqual([]);
    expect(name).toMatch(new RegExp(`^pkg-[0-9a-f]{16}-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.v8$`));
    const cache = path.join(caches, name!);
    expect(fs.statSync(cache).mode & 0o777).toBe(0o600);
    const made = fs.statSync(cache);
    // Not made again where V8 took it (a damaged one, which it refuses, is: test/e2e/startup-cost.test.ts).
    requireCached(file);
    keepPackageCode(true);
    expect(fs.statSync(cache).mtimeMs).toBe(made.mtimeMs);
    // An edited script is another cache.
    fs.appendFileSync(file, 'exports.g = 1;\n');
    requireCached(file);
    keepPackageCode(true);
    expect(cachesIn(caches)).toHaveLength(2);
  });

  it('keeps the caches of the 8 scripts written last', () => {
    const caches = path.join(tmp.dir, 'pruned');
    fs.mkdirSync(caches, { recursive: true });
    const old = Array.from({ length: 9 }, (_, i) => `pkg-${String(i).padStart(16, '0')}-v22.0.0-x64.v8`);
    old.forEach((name, i) => {
      fs.writeFileSync(path.join(caches, name), '');
      fs.utimesSync(path.join(caches, name), 1000 + i, 1000 + i);
    });
    fs.writeFileSync(path.join(caches, 'cli-0123456789abcdef-v22.0.0-x64.v8'), '');
    cachePackageCode(caches);
    requireCached(writeScript(path.join(tmp.dir, 'newest'), 'exports.n = 1;'));
    keepPackageCode(true);
    const left = cachesIn(caches);
    expect(left).toHaveLength(9);
    expect(left).toContain('cli-0123456789abcdef-v22.0.0-x64.v8');
    expect(left.filter((n) => old.includes(n)).sort()).toEqual(old.slice(-7));
  });
});
