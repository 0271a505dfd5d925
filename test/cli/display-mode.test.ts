import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { useColor } from '../../src/cli/display-mode.js';

const io = (env: NodeJS.ProcessEnv) => ({ env }) as unknown as CliIo;
const terminal = { isTTY: true };
const pipe = { isTTY: false };

describe('useColor', () => {
  it.each([
    [{}, true],
    [{ NO_COLOR: '1' }, false],
    // no-color.org: set and not empty.
    [{ NO_COLOR: '' }, true],
    [{ TERM: 'dumb' }, false],
    // FORCE_COLOR as node's util.styleText and chalk read it.
    [{ FORCE_COLOR: '0' }, false],
    [{ FORCE_COLOR: 'false' }, false],
    [{ FORCE_COLOR: 'no' }, false],
    [{ FORCE_COLOR: '' }, true],
    [{ FORCE_COLOR: 'true' }, true],
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, true],
    [{ FORCE_COLOR: '2', TERM: 'dumb' }, true],
    [{ FORCE_COLOR: '3' }, true],
  ])('on a terminal with %j: %s', (env, expected) => {
    expect(useColor(io(env), terminal)).toBe(expected);
  });

  it.each([{}, { FORCE_COLOR: '1' }, { FORCE_COLOR: '3' }])('off a terminal with %j: never (no escape codes in pipes and logs)', (env) => {
    expect(useColor(io(env), pipe)).toBe(false);
  });
});
