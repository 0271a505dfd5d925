import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FRAME_MS, MIN_PROGRESS_BYTES, aboveProgress, bytesOfTotal, createFileProgress, fit, progressText } from '../../src/ui/file-progress.js';

const MB = 1e6;

/** A progress line on a fake terminal: what it wrote, and a clock to move. */
function terminal(options: { columns?: number; ascii?: boolean } = {}) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += String(d)));
  const clock = { t: 0 };
  const progress = createFileProgress(out, { columns: () => options.columns ?? 100, ascii: options.ascii, now: () => clock.t, foreground: () => true });
  return { out, progress, clock, written: () => text };
}

describe('file progress', () => {
  it.each([
    [1_200_000_000, 3_400_000_000, '1.2 GB of 3.4 GB'],
    [0, 3_400_000_000, '0.0 GB of 3.4 GB'],
    [12 * MB, 107.3 * MB, '12.0 MB of 107.3 MB'],
    [5_000, 9_500, '5.0 kB of 9.5 kB'],
    [700, 999, '700 bytes of 999 bytes'],
    [4e12, 3.4e12, '3.4 TB of 3.4 TB'],
  ])('%d of %d bytes reads %s', (done, total, text) => {
    expect(bytesOfTotal(done, total)).toBe(text);
  });

  it('reads "reading out.jsonl: 1.2 GB of 3.4 GB", a step with no count by its name alone', () => {
    expect(progressText('reading out.jsonl', 1.2e9, 3.4e9)).toBe('reading out.jsonl: 1.2 GB of 3.4 GB');
    expect(progressText('writing the report', 0, undefined)).toBe('writing the report');
  });

  it('draws at once, then at most every FRAME_MS, in place, and erases the line when done', () => {
    const { progress, clock, written } = terminal();
    progress.phase('reading big.jsonl', 20 * MB);
    progress.advance(2 * MB);
    clock.t = FRAME_MS - 1;
    progress.advance(2 * MB);
    clock.t = FRAME_MS;
    progress.advance(2 * MB);
    progress.phase('writing the report');
    progress.done();
    expect(written()).toBe('reading big.jsonl: 0.0 MB of 20.0 MB' + '\r\x1b[Kreading big.jsonl: 6.0 MB of 20.0 MB' + '\r\x1b[Kwriting the report' + '\r\x1b[K');
  });

  it('shows nothing for a pass over a small file, nor for the steps after it', () => {
    const { progress, clock, written } = terminal();
    progress.phase('reading small.jsonl', MIN_PROGRESS_BYTES - 1);
    clock.t = 10 * FRAME_MS;
    progress.advance(MIN_PROGRESS_BYTES - 1);
    progress.phase('writing the report');
    progress.done();
    expect(written()).toBe('');
  });

  it('fits the line to the terminal, shows a control in a name as �, and ASCII in a locale that is not UTF-8', () => {
    const narrow = terminal({ columns: 30 });
    narrow.progress.phase('reading results/2026-12-01/run.jsonl', 3.4e9);
    expect(narrow.written()).toBe('reading results/2026-12-01/…');
    const ascii = terminal({ ascii: true });
    ascii.progress.phase('reading a\x1b[2Jb.jsonl', 3.4e9);
    expect(ascii.written()).toBe('reading a?[2Jb.jsonl: 0.0 GB of 3.4 GB');
  });

  it.each([
    ['out.jsonl', 9, 'out.jsonl'],
    ['results.jsonl', 9, 'results…'],
    ['結果.jsonl', 9, '結果.js…'],
  ])('fit(%j, %i) is %j: a character beyond ASCII counts two columns', (text, width, fitted) => {
    expect(fit(text, width, '…')).toBe(fitted);
  });

  it('a message written above the line starts a clean line; the next frame draws the line again', () => {
    const { out, progress, clock, written } = terminal();
    const stderr = aboveProgress(out, progress);
    progress.phase('reading big.jsonl', 20 * MB);
    stderr.write('llm-batch: interrupted\n');
    clock.t = FRAME_MS;
    progress.advance(MB);
    expect(written()).toBe('reading big.jsonl: 0.0 MB of 20.0 MB' + '\r\x1b[Kllm-batch: interrupted\n' + 'reading big.jsonl: 1.0 MB of 20.0 MB');
  });
});
