/**
 * `--resume` of an output through another spelling of the same input path (`./in.txt`, the absolute
 * path, the path from another folder): the same prompts, so the run continues; it used to be
 * refused as "written by a different run (input: was "in.txt", now "./in.txt")". Another file with
 * other prompts is still refused. Through the BUILT CLI with --mock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parseJsonl, runCli, tempDir, writePrompts } from '../helpers/run-cli.js';

const root = tempDir('llm-batch-resume-input-path-');
afterAll(() => root.cleanup());
let dir = '';
let caseNo = 0;
beforeEach(() => {
  dir = path.join(root.dir, `case-${caseNo++}`);
  fs.mkdirSync(dir);
  writePrompts(
    dir,
    'in.txt',
    Array.from({ length: 6 }, (_, i) => `prompt ${i}`),
  );
});

const rows = () => parseJsonl<{ id: string }>(fs.readFileSync(path.join(dir, 'out.jsonl'), 'utf8'));

describe('--resume with the input named another way', () => {
  it('./in.txt, the absolute path, and from the parent folder: each continues, every prompt once', async () => {
    const first = await runCli(['in.txt', '--mock', '-q', '-o', 'out.jsonl', '--limit', '2'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const resumes: Array<[string[], string]> = [
      [['./in.txt', '--mock', '-q', '-o', 'out.jsonl', '--resume', '--limit', '3'], dir],
      [[path.join(dir, 'in.txt'), '--mock', '-q', '-o', 'out.jsonl', '--resume', '--limit', '4'], dir],
      [[path.join(path.basename(dir), 'in.txt'), '--mock', '-q', '-o', path.join(path.basename(dir), 'out.jsonl'), '--resume'], root.dir],
    ];
    for (const [args, cwd] of resumes) {
      const r = await runCli(args, { cwd });
      expect(r.code, r.stderr).toBe(0);
    }
    const ids = rows().map((row) => row.id);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
  });

  it('another file with other prompts: still refused, naming both the change and the paths', async () => {
    const first = await runCli(['in.txt', '--mock', '-q', '-o', 'out.jsonl', '--limit', '2'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    writePrompts(dir, 'other.txt', ['something else']);
    const r = await runCli(['other.txt', '--mock', '-q', '-o', 'out.jsonl', '--resume'], { cwd: dir });
    expect(r.code).toBe(2);
    // Another file is no edit of the first ("the input other.txt is shorter…"): said as another file.
    expect(r.stderr).toMatch(
      /written by a different run \(the input is another file, with other prompts than the one the output was started from; input: was "in\.txt", now "other\.txt"\)/,
    );
    expect(rows()).toHaveLength(2);
  });

  it('stdin then a file: refused in words that fit (no "older runs"), and no format line when both are text; shifted stdin refused too', async () => {
    const first = await runCli(['-', '--mock', '-q', '-o', 'out.jsonl'], { cwd: dir, stdin: 'a\nb\n' });
    expect(first.code, first.stderr).toBe(0);
    // The format the input was read as, not "auto": what a resume compares.
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'out.jsonl.meta.json'), 'utf8')).inputFormat).toBe('txt');
    const r = await runCli(['in.txt', '--input-format', 'txt', '--mock', '-q', '-o', 'out.jsonl', '--resume'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'llm-batch: out.jsonl was written by a different run (the input was stdin, now it is the file in.txt ' +
        '(what stdin or a pipe holds is not recorded, so the two cannot be compared)); refusing to mix results. ' +
        'Pass --force-resume to continue anyway, or write to a new file\n',
    );
    // Stdin again, its lines shifted by one added before them (every id is new): refused before anything is sent.
    const shifted = await runCli(['-', '--mock', '-q', '-o', 'out.jsonl', '--resume'], { cwd: dir, stdin: 'z\na\nb\n' });
    expect(shifted.code).toBe(2);
    expect(shifted.stderr).toMatch(/^llm-batch: out\.jsonl was written by a different run \(none of the 3 prompts read from stdin has a row there: /);
    expect(rows()).toHaveLength(2);
  });
});

describe('--resume of a run that gave --prompt-field beside --template', () => {
  // --prompt-field was ignored beside a template and is refused now: the run that gave both
  // resumes without it, or it could be resumed no way at all.
  it('continues without --prompt-field: every row once', async () => {
    fs.writeFileSync(path.join(dir, 'both.csv'), 'title,body\na,x\nb,y\n');
    const first = await runCli(['both.csv', '-t', '{{title}}', '--mock', '-q', '-o', 'both.jsonl'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const metaFile = path.join(dir, 'both.jsonl.meta.json');
    // As an older llm-batch recorded the run that gave both flags.
    fs.writeFileSync(metaFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(metaFile, 'utf8')), promptField: 'body' }, null, 2));
    fs.appendFileSync(path.join(dir, 'both.csv'), 'c,z\n');
    const resumed = await runCli(['both.csv', '-t', '{{title}}', '--mock', '-q', '-o', 'both.jsonl', '--resume'], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(parseJsonl<{ prompt: string }>(fs.readFileSync(path.join(dir, 'both.jsonl'), 'utf8')).map((r) => r.prompt)).toEqual(['a', 'b', 'c']);
  });
});
