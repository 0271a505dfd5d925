import { PassThrough, Writable } from 'node:stream';
import * as cliProgress from 'cli-progress';
import ora, { spinners } from 'ora';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStats } from '../../src/engine/stats.js';
import { Screen } from '../../src/ui/screen.js';
import { type DisplayModules, TerminalDisplay } from '../../src/ui/terminal-display.js';
import { TERMINAL_CONTROL } from '../../src/util/sanitize.js';
import { localeIsAscii } from '../../src/ui/plain-text.js';

type OraOptions = Parameters<DisplayModules['ora']>[0] & object;

/** An ora that only keeps the texts it was given (and the options it was made with). */
function fakeOra(texts: string[], made: OraOptions[] = []): DisplayModules['ora'] {
  return ((options: OraOptions & { text: string }) => {
    made.push(options);
    texts.push(options.text);
    return {
      start() {},
      stop() {},
      clear() {},
      render() {},
      set text(value: string) {
        texts.push(value);
      },
    };
  }) as unknown as DisplayModules['ora'];
}

let display: TerminalDisplay | undefined;
afterEach(() => {
  display?.stop();
  vi.useRealTimers();
});

/** A display reading `inputName` (3 prompts counted so far), advanced past the spinner's delay to its first tick. */
function showSpinner(ora: DisplayModules['ora'], inputName: string, ascii?: boolean): void {
  vi.useFakeTimers();
  const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
  let now = 0;
  display = new TerminalDisplay({
    stderr,
    stats: createStats(0),
    screen: new Screen(new PassThrough(), stderr),
    modules: { ora, cliProgress: {} as DisplayModules['cliProgress'] },
    color: false,
    ...(ascii !== undefined ? { ascii } : {}),
    inputName,
    total: () => undefined,
    counted: () => 3,
    now: () => now,
  });
  now = 1000; // past the spinner's delay: the next tick shows it
  vi.advanceTimersByTime(100);
}

describe('TerminalDisplay spinner', () => {
  it('shows a file name with an escape sequence or a bidi control with � in their place', () => {
    const texts: string[] = [];
    showSpinner(fakeOra(texts), 'in\u001b]0;PWNED\u0007\u202etxt.csv');
    expect(texts.length).toBeGreaterThan(0);
    expect(texts.at(-1)).toBe('reading in\ufffd]0;PWNED\ufffd\ufffdtxt.csv · 3 prompts…');
    for (const text of texts) expect(text).not.toMatch(TERMINAL_CONTROL);
  });

  it('shows a line break or tab in the file name as � too: the spinner stays on its line', () => {
    const texts: string[] = [];
    showSpinner(fakeOra(texts), 'nl\nname\t.txt');
    expect(texts.at(-1)).toBe('reading nl\ufffdname\ufffd.txt · 3 prompts…');
  });

  /** The frames ora draws for these options (its own choice when given none, as on Linux). */
  const framesOf = (options: OraOptions): string[] => {
    const spinner = options.spinner ?? 'dots';
    return typeof spinner === 'string' ? spinners[spinner].frames : spinner.frames;
  };

  it.each([
    ['LC_ALL=C', 'ASCII', { LC_ALL: 'C' }, /^[\x20-\x7e]+$/],
    ['LANG=en_US.UTF-8', 'braille', { LANG: 'en_US.UTF-8' }, /^[\u2800-\u28ff]$/],
  ])('%s: the spinner is drawn in %s', (_locale, _frames, env, frame) => {
    const made: OraOptions[] = [];
    showSpinner(fakeOra([], made), 'big.txt', localeIsAscii(env));
    expect(made).toHaveLength(1);
    const frames = framesOf(made[0]!);
    expect(frames.length).toBeGreaterThan(1);
    for (const f of frames) expect(f).toMatch(frame);
  });
});

/**
 * A stop (Ctrl-Z) between two writes of one frame, then `bg`, sent the rest of the frame (the bar's
 * erase to the line's end) over the shell's prompt: each frame and each erase is now one write.
 */
describe('TerminalDisplay frames', () => {
  /** A display on a terminal that keeps each write apart, with the real ora and cli-progress. */
  function recorded() {
    vi.useFakeTimers();
    const writes: string[] = [];
    const stderr = Object.assign(
      new Writable({
        write(chunk, _encoding, callback) {
          writes.push(String(chunk));
          callback();
        },
      }),
      { isTTY: true, columns: 80 },
    );
    let now = 0;
    const screen = new Screen(new PassThrough(), stderr);
    const stats = createStats(0);
    display = new TerminalDisplay({
      stderr,
      stats,
      screen,
      modules: { ora, cliProgress },
      color: false,
      inputName: 'in.txt',
      total: () => 3,
      counted: () => 3,
      now: () => now,
      foreground: () => true,
    });
    const later = (ms: number) => {
      now += ms;
      vi.advanceTimersByTime(ms);
    };
    return { writes, screen, later, stats };
  }

  it('draws every frame of the bar, and its erase around a message, as one write each', () => {
    const { writes, screen, later } = recorded();
    display!.start();
    later(400);
    screen.stderr('llm-batch: a message\n');
    later(400);
    display!.stop();
    const frames = writes.filter((w) => /\d\/3 \S \d ok/.test(w));
    expect(frames.length).toBeGreaterThanOrEqual(4);
    for (const frame of frames) expect(frame).toMatch(/^\x1b\[1G.*\d\/3 \S \d ok.*\x1b\[0K$/);
    expect(writes).toContain('\x1b[1G\x1b[2K');
    expect(writes).toContain('llm-batch: a message\n');
  });

  it('a pause begun right after a frame says the hold, never the input being read', () => {
    // The frame's stats, sampled less than 50 ms before, knew no pause: the spinner fell back to
    // "reading in.txt · 3 prompts…" mid-run, at every pause of a slow rate limit.
    const { writes, screen, later } = recorded();
    display!.start();
    later(100);
    screen.stderr('llm-batch: a message\n'); // the bar redrawn after it: the stats sampled now
    const from = writes.length;
    display!.rateLimited(3000);
    later(10);
    const shown = writes.slice(from).join('');
    expect(shown).toMatch(/rate limited, waiting 3\.0s/);
    expect(shown).not.toMatch(/reading/);
  });

  it("a pause keeps the bar's failed count and ETA in the line that stands in for it", () => {
    // At a slow limit a hold comes before every request: the bar, ETA and all, was seldom seen.
    const { writes, screen, later, stats } = recorded();
    display!.start();
    later(1000);
    stats.ok = 1;
    stats.failed = 1;
    later(1000);
    screen.stderr('llm-batch: a message\n');
    const from = writes.length;
    display!.rateLimited(3000);
    later(10);
    expect(writes.slice(from).join('')).toMatch(/rate limited, waiting 3\.0s · 2\/3 done · 1 failed · 0 in flight · ETA \d+s/);
  });

  it('draws every frame of the spinner, with the erase before it, as one write each', () => {
    const { writes, later } = recorded();
    later(1000);
    const frames = writes.filter((w) => w.includes('reading in.txt'));
    expect(frames.length).toBeGreaterThanOrEqual(5);
    for (const frame of frames.slice(1)) expect(frame).toMatch(/^(\x1b\[\?2026h)?\x1b\[1G\x1b\[0K.*reading in\.txt/);
  });
});
