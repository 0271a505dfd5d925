/**
 * openChunkBodies reads a chunk's request bodies back one at a time by custom_id, as collected
 * answers are stored in the response cache: the right body for each id, in any order, byte-exact
 * with non-ASCII text, and none for an id the chunk does not hold.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openChunkBodies } from '../../src/batch/chunk-files.js';
import type { Chunk } from '../../src/batch/manifest.js';
import { tempDir } from '../helpers/run-cli.js';

const tmp = tempDir('llm-batch-chunk-bodies-');
afterAll(() => tmp.cleanup());

const line = (id: string, content: string) =>
  JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'user', content }] } });

describe('openChunkBodies', () => {
  it('gives each line’s body by its custom_id, in any order; none for an unknown id', async () => {
    const texts = ['plain', 'naïve café — “quoted” 漢字 😀', 'x'.repeat(70_000), 'last'];
    fs.writeFileSync(path.join(tmp.dir, 'chunk-00001.jsonl'), `${texts.map((t, i) => line(`${i + 1}-k`, t)).join('\n')}\n`);
    const chunk = { n: 1, model: 'm', file: 'chunk-00001.jsonl', lines: 4, bytes: 0, status: 'built' } as Chunk;
    const bodies = await openChunkBodies(tmp.dir, chunk);
    try {
      for (const i of [3, 0, 2, 1]) expect(bodies.body(`${i + 1}-k`)).toEqual({ model: 'm', messages: [{ role: 'user', content: texts[i] }] });
      expect(bodies.body('9-k')).toBeUndefined();
    } finally {
      bodies.close();
    }
  });
});
