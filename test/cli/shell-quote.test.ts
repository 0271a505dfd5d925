import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellQuote } from '../../src/cli/shell-quote.js';
import { TERMINAL_CONTROL } from '../../src/util/sanitize.js';

/** Arguments with what a terminal would act on: an escape sequence, a bell, C1, bidi controls, a CR. */
const CONTROLLED = [
  'in\u001b]0;owned\u0007.txt',
  'a\u001b[2Jb',
  'evil\u202etxt.exe',
  'x\u2066y\u2069\u200e\u200f\u061cz',
  'c1\u009b31m',
  'two\nlines and \'quotes\' \\ $HOME `id` "x"\u001b',
  'tab\there\r',
  'del\u007f',
  'after\u00e9\u202a1f', // a hex digit after an escape stays itself
];

/** dash where it is installed: the POSIX shell without bash's `$'…'` (plain `sh` elsewhere). */
const POSIX_SH = spawnSync('dash', ['-c', ':']).status === 0 ? 'dash' : 'sh';

describe('shellQuote', () => {
  it.each([
    ['in.txt', 'in.txt'],
    ['dir/sub-1/out_2.jsonl', 'dir/sub-1/out_2.jsonl'],
    ['my prompts.txt', "'my prompts.txt'"],
    ["it's.txt", `'it'\\''s.txt'`],
    ['', "''"],
    ['caf\u00e9.txt', "'caf\u00e9.txt'"],
    ['in\u001b]0;owned\u0007.txt', "$'in\\x1b]0;owned\\x07.txt'"],
    ['evil\u202etxt', "$'evil\\xe2\\x80\\xaetxt'"],
    // A bidi mark is kept on screen (sanitize) but escaped here: invisible in a name to be pasted.
    ['r\u200fl.txt', "$'r\\xe2\\x80\\x8fl.txt'"],
    // A newline or a tab stays in plain quotes, which every POSIX shell reads (dash has no $'…').
    ["a\nb'c\\", `'a\nb'\\''c\\'`],
    ['Q: {{prompt}}\n\tline2', "'Q: {{prompt}}\n\tline2'"],
    ["a\nb\u001b'c", "$'a\\nb\\x1b\\'c'"],
  ])('%j → %s', (arg, quoted) => {
    expect(shellQuote(arg)).toBe(quoted);
  });

  it('prints no character a terminal acts on, and each quoted word is one line', () => {
    for (const arg of CONTROLLED) {
      expect(shellQuote(arg)).not.toMatch(TERMINAL_CONTROL);
      expect(shellQuote(arg)).toMatch(/^\$'.*'$/);
    }
  });

  it('pastes back to the same arguments in dash (/bin/sh on Debian), newlines and tabs included', () => {
    const args = ['plain', "it's", '', 'two\nlines and \'quotes\' \\ $HOME `id` "x"', '\ttab\tand\n\nblank', 'caf\u00e9'];
    const out = execFileSync(POSIX_SH, ['-c', `printf '%s\\0' ${args.map(shellQuote).join(' ')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out.toString('utf8').split('\0').slice(0, -1)).toEqual(args);
  });

  it('pastes back to the same arguments in bash, in a C locale too', () => {
    const args = ['plain', 'my prompts.txt', "it's", '', 'caf\u00e9 \u4e2d\u6587', '$HOME `id`', ...CONTROLLED];
    for (const locale of ['C', 'C.UTF-8']) {
      const out = execFileSync('bash', ['--norc', '--noprofile', '-c', `printf '%s\\0' ${args.map(shellQuote).join(' ')}`], {
        env: { PATH: process.env.PATH, LC_ALL: locale },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(out.toString('utf8').split('\0').slice(0, -1)).toEqual(args);
    }
  });
});
