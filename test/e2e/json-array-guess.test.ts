/**
 * Stdin, or a file without an extension, whose first line starts as a JSON array does (`["`, `[`
 * alone) is read as a `.json` array; one that does not parse may be text that starts with a bracket
 * (`["Fact check"] The moon…`). Through the BUILT CLI (--mock): refused (exit 2) naming the line, why
 * it was read as JSON, and `--input-format txt` to read it as text, as a `{` line that is no JSON
 * object is; it was a bare JSON error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJsonl, runCli, tempDir } from '../helpers/run-cli.js';

const tmp = tempDir('llm-batch-json-array-guess-');
afterAll(() => tmp.cleanup());

const TEXT = '["Fact check"] The moon is cheese\nSecond prompt\n';

describe.concurrent('a first line that starts like a JSON array', () => {
  it('on stdin, not JSON: refused with why it was read as JSON and --input-format txt', async () => {
    const r = await runCli(['--mock'], { stdin: TEXT, cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `llm-batch: <stdin>:1: not valid JSON at column 16 (Unexpected non-whitespace character after JSON); it was read as a JSON array because line 1 starts with '["': if it is text, a prompt a line, pass --input-format txt`,
    ]);
    // The advice works.
    const text = await runCli(['--mock', '--input-format', 'txt', '-o', '-', '--order', 'input', '-q'], { stdin: TEXT, cwd: tmp.dir });
    expect(text.code).toBe(0);
    expect(parseJsonl<{ prompt: string }>(text.stdout).map((x) => x.prompt)).toEqual(['["Fact check"] The moon is cheese', 'Second prompt']);
  });

  it('in a file without an extension, an array broken on a later line: that line, and no advice to read it as text', async () => {
    // Its lines as prompts would be fragments of JSON: the advice is for a failure on the line that made the guess, or the next.
    fs.writeFileSync(path.join(tmp.dir, 'prompts'), '\n[\n  "a",\n  "b" x\n]\n');
    const r = await runCli(['prompts', '--mock', '-o', 'out.jsonl'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^llm-batch: prompts:4: not valid JSON at column 7 \([^)]*\)\n$/);
    fs.writeFileSync(path.join(tmp.dir, 'prompts'), '\n[\nsome text\n');
    const text = await runCli(['prompts', '--mock', '-o', 'out.jsonl'], { cwd: tmp.dir });
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(
      /^llm-batch: prompts:3: .*; it was read as a JSON array because line 2 is "\[": if it is text, a prompt a line, pass --input-format txt\n$/,
    );
    expect(fs.existsSync(path.join(tmp.dir, 'out.jsonl'))).toBe(false);
  });

  it('a .json file is JSON by its name: the message has no guess to explain', async () => {
    fs.writeFileSync(path.join(tmp.dir, 'named.json'), TEXT);
    const r = await runCli(['named.json', '--mock'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^llm-batch: named\.json:1: not valid JSON at column 16 \([^)]*\)\n$/);
  });
});
