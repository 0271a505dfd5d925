import { describe, expect, it } from 'vitest';
import { recordSource } from '../../src/input/replay-source.js';

describe('recordSource', () => {
  it('replays the chunks read, then pulls the rest one at a time, never ahead', async () => {
    const pulled: string[] = [];
    async function* source() {
      for (const c of ['a', 'b', 'c', 'd']) {
        pulled.push(c);
        yield c;
      }
    }
    const recorded = recordSource(source());
    await recorded.next();
    await recorded.next();
    expect(recorded.read).toEqual(['a', 'b']);
    const seen: string[] = [];
    for await (const c of recorded.replay()) {
      seen.push(c);
      expect(pulled).toHaveLength(Math.max(2, seen.length));
    }
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
  });

  it('throws a failure after the chunks read', async () => {
    async function* source() {
      yield 'a';
    }
    const recorded = recordSource(source());
    await recorded.next();
    const seen: string[] = [];
    const run = async () => {
      for await (const c of recorded.replay({ err: new Error('bad byte') })) seen.push(c);
    };
    await expect(run()).rejects.toThrow('bad byte');
    expect(seen).toEqual(['a']);
  });
});
