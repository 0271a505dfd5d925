/**
 * `--encoding utf-16le` / `utf-16be` on a UTF-8 file, through the BUILT CLI (--mock): refused (exit
 * 2) in one line naming the file and the flag, before an output is made. It went out as CJK mojibake
 * (`敨汬⁯桴牥…`), exit 0. UTF-16 with a line break always holds a NUL (`0A 00`), and this has none.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJsonl, runCli, tempDir } from '../helpers/run-cli.js';

const tmp = tempDir('llm-batch-utf16-on-utf8-');
afterAll(() => tmp.cleanup());

describe.concurrent('--encoding utf-16… on a UTF-8 file', () => {
  it.each([
    ['utf-16le', 'UTF-16LE'],
    ['utf-16be', 'UTF-16BE'],
  ])('--encoding %s is refused, naming the file and the flag to drop', async (encoding, name) => {
    fs.writeFileSync(path.join(tmp.dir, `x-${encoding}.txt`), 'hello there\nworld peace\n');
    const r = await runCli([`x-${encoding}.txt`, '--mock', '--encoding', encoding, '-o', `out-${encoding}.jsonl`], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `llm-batch: x-${encoding}.txt: looks like UTF-8, not ${name}: it has line breaks but no NUL byte, which UTF-16 text with line breaks always has (0A 00); drop --encoding ${encoding}\n`,
    );
    expect(fs.existsSync(path.join(tmp.dir, `out-${encoding}.jsonl`))).toBe(false);
    // On stdin too.
    const piped = await runCli(['--mock', '--encoding', encoding], { stdin: 'hello there\nworld peace\n', cwd: tmp.dir });
    expect(piped.code).toBe(2);
    expect(piped.stderr).toMatch(/^llm-batch: <stdin>: looks like UTF-8, not UTF-16..: .*drop --encoding utf-16..\n$/);
  });

  it('real UTF-16 without a byte order mark, CJK only, is still read under the flag', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'cjk.txt'), Buffer.from('日本語\n中文\n', 'utf16le'));
    const r = await runCli(['cjk.txt', '--mock', '--encoding', 'utf-16le', '-o', '-', '--order', 'input', '-q'], { cwd: tmp.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(parseJsonl<{ prompt: string }>(r.stdout).map((x) => x.prompt)).toEqual(['日本語', '中文']);
  });
});
