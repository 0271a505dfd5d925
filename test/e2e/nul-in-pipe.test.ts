/**
 * A NUL byte in a pipe's next write, after its first lines were read and answered: through the BUILT
 * CLI (--mock), the documented `<stdin>:3: a NUL byte …` naming its line, after the rows before it.
 * It was "this is a binary file" with no line, because the NUL was within the stream's first 8 KB,
 * though rows of it had been answered.
 */
import { describe, expect, it } from 'vitest';
import { parseJsonl, spawnCli, waitForExit } from '../helpers/run-cli.js';

describe('a NUL in a pipe written twice', () => {
  it('after rows were answered: names its line, keeps the rows, exit 2', async () => {
    const child = spawnCli(['--mock', '-o', '-'], { openStdin: 'a\nb\n' });
    const done = waitForExit(child, 30_000);
    // The second write goes once the first row is out: no sleep to guess it.
    let seen = '';
    await new Promise<void>((resolve) => {
      const onData = (d: Buffer | string) => {
        seen += String(d);
        if (seen.includes('\n')) {
          child.stdout!.off('data', onData);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.on('close', () => resolve());
    });
    child.stdin!.end('c\u0000d\ne\n');
    const r = await done;
    expect(r.code).toBe(2);
    expect(
      parseJsonl<{ prompt: string; line: number }>(r.stdout)
        .map((x) => [x.prompt, x.line])
        .sort(),
    ).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(r.stderr).toMatch(
      /^llm-batch: <stdin>:3: a NUL byte, which text does not have: files with NUL bytes are refused as binary; if the rest is text, remove them \(tr -d '\\000'\)$/m,
    );
    expect(r.stderr).not.toMatch(/binary file/);
  });
});
