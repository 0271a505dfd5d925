/**
 * `--compact` and `merge` that stop on a source they cannot read through (a line that is not a row)
 * change nothing at their `-o`: an `--overwrite`n file keeps every byte, and a new path stays absent,
 * so the same command works once the source is fixed. Through the BUILT CLI (`--mock` outputs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/run-cli.js';
import { mockShardOutputs } from '../helpers/shard-outputs.js';

const root = tempDir('llm-batch-failed-source-');
afterAll(() => root.cleanup());
let dir = '';
let caseNo = 0;
beforeEach(async () => {
  dir = path.join(root.dir, `case-${++caseNo}`);
  fs.mkdirSync(dir);
  await mockShardOutputs(
    dir,
    Array.from({ length: 6 }, (_, i) => `prompt ${i}`),
  );
});

const run = (args: readonly string[]) => runCli(args, { cwd: dir });
const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
const breakLine = (name: string) => fs.appendFileSync(path.join(dir, name), 'not a row\n');

describe.each([
  [
    'merge',
    ['merge', 'out-1.jsonl', 'out-2.jsonl'],
    /^llm-batch: Cannot merge out-2\.jsonl:\d+: invalid JSON .*Fix or delete that line, or leave out-2\.jsonl out of the merge\.$/,
  ],
  ['--compact', ['--compact', 'out-2.jsonl'], /^llm-batch: Cannot compact out-2\.jsonl:\d+: invalid JSON .*Fix or delete that line, then compact again\.$/],
])('%s of a source with a line that is not a row', (_name, command, said) => {
  it('--overwrite: exit 2, the old -o file byte for byte, no temp file left', async () => {
    fs.writeFileSync(path.join(dir, 'all.jsonl'), '{"id":"kept","response":"yesterday"}\n');
    const before = fs.readdirSync(dir).sort();
    breakLine('out-2.jsonl');
    const r = await run([...command, '-o', 'all.jsonl', '--overwrite']);
    expect(r.code).toBe(2);
    // In the command's words: a resume's advice ("Cannot resume from …, or write to a new output file") is wrong here.
    expect(r.stderr.trimEnd()).toMatch(said);
    expect(read('all.jsonl')).toBe('{"id":"kept","response":"yesterday"}\n');
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  });

  it('a new -o: not created, and the same command works once the line is gone', async () => {
    const good = read('out-2.jsonl');
    breakLine('out-2.jsonl');
    const failed = await run([...command, '-o', 'all.jsonl']);
    expect(failed.code).toBe(2);
    expect(fs.existsSync(path.join(dir, 'all.jsonl'))).toBe(false);
    fs.writeFileSync(path.join(dir, 'out-2.jsonl'), good);
    const again = await run([...command, '-o', 'all.jsonl']);
    expect(again.code, again.stderr).toBe(0);
    expect(read('all.jsonl').trim().split('\n').length).toBeGreaterThan(0);
  });
});
