/**
 * Stopped while an answer streams on a terminal: that answer gets no row (only complete rows are
 * written), and on the screen it said nothing either: its first words passed for a whole answer.
 * It now ends with a line saying it was cut off.
 */
import { describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/run-cli.js';
import { useServer } from '../helpers/mock-server-hooks.js';
import { startPty } from '../helpers/run-pty.js';
import { until } from '../helpers/until.js';

const ctx = useServer('llm-batch-tty-cut-');

describe('Ctrl-C while an answer streams on a terminal', () => {
  it('the cut answer says it was cut off; the summary follows', async () => {
    const file = writePrompts(ctx.dir, 'two.txt', ['whole', 'halfway [[fault:stall*9]]']);
    const session = startPty([file, '--base-url', ctx.server.url, '-c', '1', '--no-cache']);
    // The stalled answer's first piece has gone out: the server holds the rest.
    await until(() => ctx.server.requests.some((q) => q.prompt.startsWith('halfway') && q.status === 200), 'the stalled stream');
    // ... and its header reached the screen (its first word waits there for a whole row): under load
    // the client can read the first piece well after the server sent it.
    await session.waitFor(/\] halfway/);
    session.type('\x03');
    await session.waitFor(/stopping: /);
    session.type('\x03'); // at once, not after the 5 s grace
    const r = await session.done;
    expect(r.code).toBe(130);
    const at = r.screen.findIndex((l) => /^── \[2-\w+\] halfway/.test(l));
    expect(at).toBeGreaterThan(0);
    // The answer's rows, with the "stopping" message (a line of its own) left out.
    const after = r.screen.slice(at + 1).filter((l) => !l.startsWith('llm-batch: stopping') && !/^ {11}\S/.test(l));
    expect(after.slice(0, 2)).toEqual(['ECHO', '(cut off: the run stopped before this answer was complete)']);
    expect(after.slice(2).find((l) => l !== '')).toMatch(/^llm-batch: interrupted: 1 ok, /);
  });
});
