import { describe, expect, it } from 'vitest';
import { asBuilt, KEPT_BUILDS, staleCaches } from '../../src/cli/load-cli.js';

const a = 'a'.repeat(16);
const b = 'b'.repeat(16);
const c = 'c'.repeat(16);
const d = 'd'.repeat(16);

describe('staleCaches', () => {
  it('keeps the caches of the builds written last, every node version of each, and removes the rest', () => {
    expect(KEPT_BUILDS).toBe(3);
    const caches = [
      { name: `cli-${a}-v22.23.3-x64.v8`, mtimeMs: 1 },
      { name: `cli-${a}-v24.21.0-x64.v8`, mtimeMs: 50 },
      { name: `cli-${b}-v22.23.3-x64.v8`, mtimeMs: 10 },
      { name: `cli-${b}-v24.21.0-x64.partial.v8`, mtimeMs: 5 },
      { name: `cli-${c}-v22.23.3-x64.v8`, mtimeMs: 20 },
      { name: `cli-${d}-v22.23.3-x64.v8`, mtimeMs: 30 },
      { name: `cli-${d}-v22.23.3-x64.v8.123.tmp`, mtimeMs: 0 },
    ];
    // a's node 24 cache is its latest: a stays with both, b goes, its partial cache too.
    expect(staleCaches(caches)).toEqual([`cli-${b}-v22.23.3-x64.v8`, `cli-${b}-v24.21.0-x64.partial.v8`]);
    expect(staleCaches(caches, 1)).toEqual([
      `cli-${b}-v22.23.3-x64.v8`,
      `cli-${b}-v24.21.0-x64.partial.v8`,
      `cli-${c}-v22.23.3-x64.v8`,
      `cli-${d}-v22.23.3-x64.v8`,
    ]);
  });

  it('two builds used in turn keep both', () => {
    expect(
      staleCaches([
        { name: `cli-${a}-v22.23.3-x64.v8`, mtimeMs: 1 },
        { name: `cli-${b}-v22.23.3-x64.v8`, mtimeMs: 2 },
      ]),
    ).toEqual([]);
  });
});

describe('asBuilt', () => {
  it("names a build as installed: 16 hex digits that change with the build's hash and with the script's mtime", () => {
    const built = asBuilt(a, 1_733_300_000_000.5);
    expect(built).toMatch(/^[0-9a-f]{16}$/);
    expect(asBuilt(a, 1_733_300_000_000.5)).toBe(built);
    expect(asBuilt(a, 1_733_300_000_001.5)).not.toBe(built);
    expect(asBuilt(b, 1_733_300_000_000.5)).not.toBe(built);
    // npm's fixed mtime for every installed file (1985-10-26T08:15:00Z).
    expect(asBuilt(a, 499_162_500_000)).toMatch(/^[0-9a-f]{16}$/);
  });
});
