import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FRAME_MS, MIN_PROGRESS_BYTES, aboveProgress, createFileProgress, fit, progressText, readProgress } from '../../src/ui/file-progress.js';

const MB = 1e6;

/** A progress line on a fake terminal: what it wrote, and a clock to move. */
function terminal(options: { columns?: number; ascii?: boolean } = {}) {
  const out = new PassThrough();
  let text = '';
  const writes: string[] = [];
  out.on('data', (d) => {
    text += String(d);
    writes.push(String(d));
  });
  const clock = { t: 0 };
  const progress = createFileProgress(out, { columns: () => options.columns ?? 100, ascii: options.ascii, now: () => clock.t, foreground: () => true });
  return { out, progress, clock, written: () => text, writes };
}

describe('file progress', () => {
  it('says how much is read, with the time left once there is a pace; a step with no count by its name alone', () => {
    expect(progressText('compacting out.jsonl', 0, 1000, 0)).toBe('compacting out.jsonl: 0%');
    expect(progressText('compacting out.jsonl', 250, 1000, 999)).toBe('compacting out.jsonl: 25%');
    expect(progressText('reading out.jsonl', 250, 1000, 20_000)).toBe('reading out.jsonl: 25%, 1m00s left');
    // More than the total (a file that grew since): at most 100%, and no time left.
    expect(progressText('merging 2 files', 1500, 1000, 20_000)).toBe('merging 2 files: 100%');
    expect(progressText('merging 2 files', 0, 0, 0)).toBe('merging 2 files: 100%');
    expect(progressText('writing the report', 0, undefined)).toBe('writing the report');
  });

  it('draws a large pass at once, then at most every FRAME_MS, in place, and erases the line when done', () => {
    const { progress, clock, written, writes } = terminal();
    progress.phase('reading big.jsonl', 20 * MB);
    progress.advance(2 * MB);
    clock.t = FRAME_MS - 1;
    progress.advance(2 * MB);
    clock.t = FRAME_MS;
    progress.advance(2 * MB);
    progress.phase('writing the report');
    progress.done();
    expect(written()).toBe('reading big.jsonl: 0%' + '\r\x1b[Kreading big.jsonl: 30%' + '\r\x1b[Kwriting the report' + '\r\x1b[K');
    // Each erase in one write with the line after it: a stop (Ctrl-Z) between them, then `bg`, drew
    // the line over the shell's prompt.
    expect(writes).toEqual(['reading big.jsonl: 0%', '\r\x1b[Kreading big.jsonl: 30%', '\r\x1b[Kwriting the report', '\r\x1b[K']);
  });

  it('shows nothing for a small pass done within FRAME_MS, nor for the steps after it', () => {
    const { progress, clock, written } = terminal();
    progress.phase('reading small.jsonl', MIN_PROGRESS_BYTES - 1);
    clock.t = FRAME_MS - 1;
    progress.advance(MIN_PROGRESS_BYTES - 1);
    progress.phase('writing the report');
    progress.done();
    expect(written()).toBe('');
  });

  it('shows a small pass that lasts longer than FRAME_MS', () => {
    const { progress, clock, written } = terminal();
    progress.phase('merging 2 files', 1000);
    clock.t = FRAME_MS;
    progress.advance(500);
    progress.done();
    expect(written()).toBe('merging 2 files: 50%\r\x1b[K');
  });

  it('fits the line to the terminal, the figures kept; shows a control in a name as �, and ASCII in a locale that is not UTF-8', () => {
    const narrow = terminal({ columns: 30 });
    narrow.progress.phase('reading results/2026-12-01/run.jsonl', 3.4e9);
    expect(narrow.written()).toBe('reading results/2026-12…: 0%');
    const ascii = terminal({ ascii: true });
    ascii.progress.phase('reading a\x1b[2Jb.jsonl', 3.4e9);
    expect(ascii.written()).toBe('reading a?[2Jb.jsonl: 0%');
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
    expect(written()).toBe('reading big.jsonl: 0%' + '\r\x1b[Kllm-batch: interrupted\n' + 'reading big.jsonl: 5%');
  });
});

describe('readProgress: one step of work that reads files (merge, --compact)', () => {
  function tty(columns?: number) {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns });
    let text = '';
    stream.on('data', (d) => (text += String(d)));
    const clock = { t: 0 };
    return { stream, clock, now: () => clock.t, text: () => text };
  }

  it(`draws nothing for work done within ${FRAME_MS} ms, then at most once every ${FRAME_MS} ms; done erases it, and add() draws nothing after`, () => {
    const { stream, clock, now, text } = tty(80);
    const progress = readProgress(stream, 'compacting out.jsonl', 1000, { now, foreground: () => true });
    clock.t = FRAME_MS - 1;
    progress.add(100);
    expect(text()).toBe('');
    clock.t = FRAME_MS;
    progress.add(100);
    clock.t = FRAME_MS + 100;
    progress.add(100);
    clock.t = 2 * FRAME_MS;
    progress.add(200);
    progress.done();
    clock.t = 3 * FRAME_MS;
    progress.add(100);
    progress.done();
    expect(text()).toBe('compacting out.jsonl: 20%\r\x1b[Kcompacting out.jsonl: 50%\r\x1b[K');
  });

  it("in the background draws no line and erases none: the terminal's last line is the shell's prompt", () => {
    const { stream, clock, now, text } = tty(80);
    let foreground = true;
    const progress = readProgress(stream, 'merging 2 files', 1000, { now, foreground: () => foreground });
    clock.t = FRAME_MS;
    progress.add(100);
    foreground = false;
    clock.t = 2 * FRAME_MS;
    progress.add(100);
    progress.done();
    expect(text()).toBe('merging 2 files: 10%');
  });
});
