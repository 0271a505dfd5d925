/**
 * A failed row's `✗ …` line among the answers on a terminal: answer text and messages are broken
 * between words to fit the width, and this line was not: the terminal cut an error body mid-word.
 * It is wrapped as answer text is, where that is (stdout and stderr one terminal).
 */
import { describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/run-cli.js';
import { useServer } from '../helpers/mock-server-hooks.js';
import { runPty } from '../helpers/run-pty.js';

const ctx = useServer('llm-batch-tty-failure-');

const plain = (raw: string) => raw.replace(/\x1b\[[0-9;]*m/g, '');

describe("a failed row's line on a 36-column terminal", () => {
  it('breaks between words, as the answers do', async () => {
    const file = writePrompts(ctx.dir, 'wrapped.txt', ['[[fault:400*9]]bad', 'good']);
    const r = await runPty([file, '--base-url', ctx.server.url, '-c', '1', '--no-cache'], { cols: 36 });
    expect(r.code).toBe(1);
    const at = r.screen.indexOf('✗ http: HTTP 400: Invalid request');
    expect(at, r.screen.join('\n')).toBeGreaterThan(0);
    expect(r.screen[at + 1]).toBe('(mock fault).');
  });

  it('stays one line with stderr off the terminal, as the answers stream as they come there', async () => {
    const file = writePrompts(ctx.dir, 'whole.txt', ['[[fault:400*9]]bad', 'good']);
    const r = await runPty([file, '--base-url', ctx.server.url, '-c', '1', '--no-cache'], { cols: 36, setup: 'exec 2>/dev/null' });
    expect(r.code).toBe(1);
    expect(plain(r.raw)).toContain('✗ http: HTTP 400: Invalid request (mock fault).\r\n');
  });
});
