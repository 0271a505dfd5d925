import { describe, expect, it } from 'vitest';
import { reflowsOnResize } from '../../src/cli/create-reporter.js';

describe('reflowsOnResize', () => {
  it('is false where a narrowed terminal cuts the cursor line: xterm, the Linux console, xterm.js hosts', () => {
    expect(reflowsOnResize({ TERM: 'xterm-256color' })).toBe(true);
    expect(reflowsOnResize({ TERM: 'xterm-256color', TERM_PROGRAM: 'iTerm.app' })).toBe(true);
    expect(reflowsOnResize({ TERM: 'xterm-256color', XTERM_VERSION: 'XTerm(390)' })).toBe(false);
    expect(reflowsOnResize({ TERM: 'linux' })).toBe(false);
    // VS Code's integrated terminal (review s64: narrowing it erased the answers above the bar).
    for (const host of ['vscode', 'Hyper', 'Tabby']) expect(reflowsOnResize({ TERM: 'xterm-256color', TERM_PROGRAM: host }), host).toBe(false);
  });
});
