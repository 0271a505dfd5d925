/**
 * Rows written to a terminal (`-f text`, `-f csv`, `-o -`, `-o /dev/stdout`, `-o /dev/tty`) are shown as the
 * answer printer shows an answer: an escape sequence, CR, C1 control or bidi control the model sent
 * is `�` there, so it cannot retitle the window, clear the screen, overwrite or reorder a line.
 * Down a pipe or into a file the rows are data and keep every byte.
 */
import { describe, expect, it } from 'vitest';
import { runCli, writePrompts } from '../helpers/run-cli.js';
import { useServer } from '../helpers/mock-server-hooks.js';
import { runPty } from '../helpers/run-pty.js';

const HOSTILE = 'before \x1b[31mRED\x1b[0m \x1b]0;PWNED\x07 \x1b[2J progress\rOVERWRITE \u202eevil\u202c \x9b2J after';
/** HOSTILE as the answer printer shows it: CR dropped, every other control `�`. */
const SHOWN = 'before �[31mRED�[0m �]0;PWNED� �[2J progressOVERWRITE �evil� �2J after';
/** What must never reach the terminal from the answer (the run's own bar and colours are other escapes). */
const ACTING = /\x1b\]0;PWNED|\x1b\[2J|\x1b\[31mRED|\rOVERWRITE|[\u202e\u202c\x9b]/;

const ctx = useServer('llm-batch-tty-rows-', { reply: () => HOSTILE });

describe('rows on a terminal', () => {
  it('-f text shows the answer with its controls as �', async () => {
    const file = writePrompts(ctx.dir, 'text.txt', ['hostile']);
    const r = await runPty([file, '--base-url', ctx.server.url, '--no-cache', '-f', 'text'], { cols: 200 });
    expect(r.code).toBe(0);
    expect(r.raw).not.toMatch(ACTING);
    expect(r.screen.some((line) => line.endsWith(SHOWN))).toBe(true);
  });

  it('-o /dev/tty (JSONL) shows the C1 and bidi controls JSON leaves as they are as �', async () => {
    const file = writePrompts(ctx.dir, 'jsonl.txt', ['hostile']);
    const r = await runPty([file, '--base-url', ctx.server.url, '--no-cache', '-o', '/dev/tty', '-q'], { cols: 400 });
    expect(r.code).toBe(0);
    expect(r.raw).not.toMatch(ACTING);
    // JSON escapes ESC, BEL and CR itself; what it leaves is replaced.
    expect(r.raw).toContain('"response":"before \\u001b[31mRED\\u001b[0m \\u001b]0;PWNED\\u0007 \\u001b[2J progress\\rOVERWRITE �evil� �2J after"');
  });
});

describe('rows down a pipe', () => {
  it('keep every byte of the answer (-f text)', async () => {
    const file = writePrompts(ctx.dir, 'piped.txt', ['hostile']);
    const r = await runCli([file, '--base-url', ctx.server.url, '--no-cache', '-f', 'text']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[1-\w+\] /);
    expect(r.stdout.replace(/^\[1-\w+\] /, '')).toBe(`${HOSTILE}\n\n`);
  });
});
