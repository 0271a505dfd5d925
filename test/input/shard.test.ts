import { describe, expect, it } from 'vitest';
import { idHash, inShard, parseShard } from '../../src/input/shard.js';

describe('shards', () => {
  it('FNV-1a 32 of the UTF-8 id: fixed values other tools can reproduce', () => {
    expect(idHash('')).toBe(0x811c9dc5);
    expect(idHash('a')).toBe(0xe40c292c);
    expect(idHash('foobar')).toBe(0xbf9cf968);
  });

  it('every id is in exactly one shard, and they spread', () => {
    const sizes = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      const owners = [1, 2, 3, 4].filter((index) => inShard(`id-${i}`, { index, count: 4 }));
      expect(owners).toHaveLength(1);
      sizes[owners[0]! - 1]!++;
    }
    for (const size of sizes) expect(size).toBeGreaterThan(800);
  });

  it.each([['0/3'], ['4/3'], ['a/b'], ['1'], ['1/0']])('refuses %s', (value) => {
    expect(() => parseShard(value)).toThrow(/i\/N|from 1 to N/);
  });
});
