import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressLine, readProgress, REDRAW_MS } from '../../src/ui/read-progress.js';

/** A terminal `columns` wide that keeps what it was sent, and a clock the test moves. */
function terminal(columns?: number) {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns });
  let text = '';
  stream.on('data', (d) => (text += String(d)));
  const clock = { t: 0 };
  return { stream, clock, now: () => clock.t, text: () => text };
}

describe('the progress line of work that reads files', () => {
  it('says how much is read, with the time left once there is a pace', () => {
    expect(progressLine('compacting out.jsonl', 0, 1000, 0)).toBe('compacting out.jsonl: 0%');
    expect(progressLine('compacting out.jsonl', 250, 1000, 999)).toBe('compacting out.jsonl: 25%');
    expect(progressLine('compacting out.jsonl', 250, 1000, 20_000)).toBe('compacting out.jsonl: 25%, 1m00s left');
    // More than the total (a file that grew since): at most 100%, and no time left.
    expect(progressLine('merging 2 files', 1500, 1000, 20_000)).toBe('merging 2 files: 100%');
    expect(progressLine('merging 2 files', 0, 0, 0)).toBe('merging 2 files: 100%');
  });

  it(`draws nothing for work done within ${REDRAW_MS} ms, then at most once every ${REDRAW_MS} ms; done erases it`, () => {
    const { stream, clock, now, text } = terminal(80);
    const progress = readProgress(stream, 'compacting out.jsonl', 1000, { now, foreground: () => true });
    clock.t = REDRAW_MS - 1;
    progress.add(100);
    expect(text()).toBe('');
    clock.t = REDRAW_MS;
    progress.add(100);
    clock.t = REDRAW_MS + 100;
    progress.add(100);
    clock.t = 2 * REDRAW_MS;
    progress.add(200);
    progress.done();
    progress.add(100);
    progress.done();
    expect(text()).toBe('\rcompacting out.jsonl: 20%\x1b[K\rcompacting out.jsonl: 50%\x1b[K\r\x1b[K');
  });

  it('erases nothing when it drew nothing', () => {
    const { stream, now, text } = terminal(80);
    const progress = readProgress(stream, 'merging 2 files', 1000, { now, foreground: () => true });
    progress.add(1000);
    progress.done();
    expect(text()).toBe('');
  });

  it("in the background draws no line and erases none: the terminal's last line is the shell's prompt", () => {
    const { stream, clock, now, text } = terminal(80);
    let foreground = true;
    const progress = readProgress(stream, 'merging 2 files', 1000, { now, foreground: () => foreground });
    clock.t = REDRAW_MS;
    progress.add(100);
    foreground = false;
    clock.t = 2 * REDRAW_MS;
    progress.add(100);
    progress.done();
    expect(text()).toBe('\rmerging 2 files: 10%\x1b[K');
  });

  it('fits one row of the terminal, keeping the figures; a control character in the label is shown as �', () => {
    const { stream, clock, now, text } = terminal(30);
    const progress = readProgress(stream, `compacting /data/${'x'.repeat(40)}\x1b[2J.jsonl`, 1000, { now, foreground: () => true });
    clock.t = REDRAW_MS;
    progress.add(500);
    const line = text().slice(1, -'\x1b[K'.length);
    expect(line).toBe(`...${'x'.repeat(11)}\ufffd[2J.jsonl: 50%`);
    expect(line).toHaveLength(29);
  });
});
