/**
 * The `-o` file of `merge` and `--compact`: a run's lock on it is respected (and theirs held while
 * they write it), the temp files of killed merges are removed, `--input -` is stdin, and a resume's
 * compaction line groups its digits. Through the BUILT CLI and the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-merge-lock-');

const prompts = (n: number, tag = 'q') => Array.from({ length: n }, (_, i) => `${tag}${i + 1}`);
const lineCount = (file: string) => parseJsonl(fs.readFileSync(file, 'utf8')).length;

/** A finished output of `n` prompts (with its .meta.json), for merge and --compact to read. */
async function finishedOutput(name: string, n: number): Promise<string> {
  const input = writePrompts(ctx.dir, `${name}.txt`, prompts(n, name));
  const out = path.join(ctx.dir, `${name}.jsonl`);
  const r = await runCli([input, '-o', out, '--mock', '-q']);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

describe('merge --input -', () => {
  it('reads the input from stdin, as a run does', async () => {
    const a = await finishedOutput('a', 4);
    const out = path.join(ctx.dir, 'all.jsonl');
    const input = prompts(4, 'a').join('\n') + '\nnot answered\n';
    const r = await runCli(['merge', a, '-o', out, '--input', '-'], { stdin: input });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/merged 4 rows from 1 file into .*all\.jsonl \(0 superseded rows dropped; 0 failed\); 1 id of stdin has no row: <stdin>:5 \(id /);
  });
});

describe('the compaction line of a resume', () => {
  it('groups its count of superseded rows', async () => {
    const out = await finishedOutput('big', 10);
    // A hundred more copies of every row: 1,000 superseded rows, as resumes killed before compacting leave them.
    const rows = fs.readFileSync(out, 'utf8');
    fs.appendFileSync(out, rows.repeat(100));
    const r = await runCli([path.join(ctx.dir, 'big.txt'), '-o', out, '--mock', '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('big.jsonl: 1,000 superseded rows left by an earlier run dropped (compacted)');
    expect(lineCount(out)).toBe(10);
  });
});
