/**
 * A run sent to the background (`llm-batch … &`, or Ctrl-Z then `bg`) drew its bar over the shell's
 * prompt, every frame erasing what the user typed there, and its last erase took the typed line
 * with it. In the background it now draws nothing, and its summary starts below the prompt's line;
 * `fg` brings the bar back.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/run-cli.js';
import { holdAnswers, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { startPty } from '../helpers/run-pty.js';
import { until } from '../helpers/until.js';

const ctx = useServerAndCaseDir('llm-batch-tty-background-');

/** A frame of the bar for three prompts (`0/3 · 0 ok`), or any cursor movement or erase. */
const BAR = /\d\/3 \S \d ok/;
const DRAWING = /\x1b\[[\d;]*[A-HJK]/;

function args(): string[] {
  const file = writePrompts(ctx.dir, 'three.txt', ['one', 'two', 'three']);
  return [file, '--base-url', ctx.server.url, '-c', '1', '--no-cache', '-o', path.join(ctx.dir, 'out.jsonl')];
}

/** Types a line while the answers are held, lets them go, and ends the shell's `read` once the run is done. */
async function typeThenFinish(session: ReturnType<typeof startPty>, release: () => void) {
  session.type('typed-text');
  await session.waitFor(/typed-text/);
  release();
  await session.waitFor(/3 ok/);
  session.type('\n');
  return session.done;
}

describe('a run in the background of its terminal', () => {
  it('started with &: draws nothing over the prompt, and its summary starts below what was typed', async () => {
    const release = holdAnswers(ctx.server);
    const session = startPty(args(), { jobs: { background: true, after: 'read x; wait' } });
    await until(() => ctx.server.requests.length > 0, 'the first request');
    const r = await typeThenFinish(session, release);
    expect(r.code).toBe(0);
    expect(r.raw).not.toMatch(BAR);
    expect(r.raw).not.toMatch(DRAWING);
    const typed = r.screen.indexOf('typed-text');
    expect(typed).toBeGreaterThanOrEqual(0);
    expect(r.screen[typed + 1]).toMatch(/^llm-batch: 3 ok, 0 failed/);
  });

  it('stopped with Ctrl-Z and continued with bg: draws nothing more, and leaves the typed line alone', async () => {
    const release = holdAnswers(ctx.server);
    // `sleep 0.3`: the time a person takes to type `bg`, past the 250 ms an answer from /proc stands.
    const session = startPty(args(), { jobs: { after: 'echo STOPPED; sleep 0.3; bg; read x; wait' } });
    await session.waitFor(BAR);
    session.type('\x1a');
    await session.waitFor(/STOPPED\r?\n\[1\] [^\n]*\n/);
    const r = await typeThenFinish(session, release);
    expect(r.code).toBe(0);
    const afterStop = r.raw.slice(r.raw.indexOf('STOPPED'));
    expect(afterStop).not.toMatch(BAR);
    expect(afterStop).not.toMatch(DRAWING);
    const typed = r.screen.indexOf('typed-text');
    expect(typed).toBeGreaterThanOrEqual(0);
    expect(r.screen[typed + 1]).toMatch(/^llm-batch: 3 ok, 0 failed/);
  });

  it('brought back with fg: draws the bar again', async () => {
    const release = holdAnswers(ctx.server);
    const session = startPty(args(), { jobs: { background: true, after: 'read x; echo FOREGROUND; fg' } });
    await until(() => ctx.server.requests.length > 0, 'the first request');
    session.type('\n');
    await session.waitFor(/FOREGROUND[\s\S]*\d\/3 \S \d ok/);
    release();
    const r = await session.done;
    expect(r.code).toBe(0);
    const [before = '', after = ''] = r.raw.split('FOREGROUND');
    expect(before).not.toMatch(BAR);
    expect(after).toMatch(BAR);
  });
});
