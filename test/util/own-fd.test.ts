/**
 * writeWholeFile into a FIFO (`--summary-json fifo`): opened as a plain file it waited in open(2)
 * for a reader without end and took no signal; now it asks without blocking and gives up after a
 * while with ENXIO. A real FIFO (mkfifo) and a real reader (a child `cat`).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeWholeFile } from '../../src/util/own-fd.js';
import { tempDir } from '../helpers/run-cli.js';

const root = tempDir('llm-batch-own-fd-');
afterAll(() => root.cleanup());

describe('writeWholeFile into a FIFO', () => {
  it('with nobody reading it: gives up after the wait with ENXIO, the FIFO left a FIFO', () => {
    const fifo = path.join(root.dir, 'nobody');
    execFileSync('mkfifo', [fifo]);
    const t0 = performance.now();
    expect(() => writeWholeFile(fifo, '{"ok": 1}\n', 300)).toThrow(
      expect.objectContaining({ code: 'ENXIO', message: 'nobody opened the FIFO for reading within 0.3 s' }),
    );
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
  });

  it('with a reader: it gets the whole text, one larger than a pipe holds too', async () => {
    const fifo = path.join(root.dir, 'read');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise((resolve) => reader.on('close', resolve));
    const text = 'x'.repeat(200_000) + '\n';
    // cat may open the FIFO only after the first ask: the wait covers it.
    writeWholeFile(fifo, text, 10_000);
    await ended;
    expect(Buffer.concat(chunks).toString()).toBe(text);
  });
});
