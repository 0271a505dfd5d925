import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStats } from '../../src/engine/stats.js';
import { Screen } from '../../src/ui/screen.js';
import { type DisplayModules, TerminalDisplay } from '../../src/ui/terminal-display.js';
import { TERMINAL_CONTROL } from '../../src/ui/sanitize.js';

/** An ora that only keeps the texts it was given. */
function fakeOra(texts: string[]): DisplayModules['ora'] {
  return ((options: { text: string }) => {
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

describe('TerminalDisplay spinner', () => {
  it('shows a file name with an escape sequence or a bidi control with � in their place', () => {
    vi.useFakeTimers();
    const texts: string[] = [];
    const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    let now = 0;
    display = new TerminalDisplay({
      stderr,
      stats: createStats(0),
      screen: new Screen(new PassThrough(), stderr),
      modules: { ora: fakeOra(texts), cliProgress: {} as DisplayModules['cliProgress'] },
      color: false,
      inputName: 'in\u001b]0;PWNED\u0007\u202etxt.csv',
      total: () => undefined,
      counted: () => 3,
      now: () => now,
    });
    now = 1000; // past the spinner's delay: the next tick shows it
    vi.advanceTimersByTime(100);
    expect(texts.length).toBeGreaterThan(0);
    expect(texts.at(-1)).toBe('reading in\ufffd]0;PWNED\ufffd\ufffdtxt.csv · 3 prompts…');
    for (const text of texts) expect(text).not.toMatch(TERMINAL_CONTROL);
  });
});
