import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sayingSourceLines } from '../../src/cli/source-line-error.js';
import { RunError } from '../../src/errors.js';
import { BadResultLineError, readResults } from '../../src/output/index.js';
import { collect, okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

/** A results file whose second line is no row, read through as merge and --compact read their sources. */
function badSource(): string {
  const file = join(tmp(), 'out-2.jsonl');
  writeFileSync(file, `${JSON.stringify(okRow('a', 'one'))}\n{"id": broken\n`);
  return file;
}

describe('a bad line in a file that merge or --compact reads', () => {
  it('is worded for a resume by the reader, with its file, line and reason', async () => {
    const file = badSource();
    const read = collect(readResults(file, 'jsonl'));
    await expect(read).rejects.toBeInstanceOf(BadResultLineError);
    const err = (await read.catch((e: unknown) => e)) as BadResultLineError;
    expect(err).toMatchObject({ file, line: 2, code: 'resume' });
    expect(err.message).toMatch(/^Cannot resume from \S+:2: invalid JSON .*write to a new output file\.$/);
  });

  it.each([
    ['merge', /^Cannot merge (\S+):2: invalid JSON \(.*\)\. Fix or delete that line, or leave \1 out of the merge\.$/],
    ['--compact', /^Cannot compact \S+:2: invalid JSON \(.*\)\. Fix or delete that line, then compact again\.$/],
  ] as const)('%s: in its own words, no --resume or "new output file" advice, exit 2', async (command, message) => {
    const file = badSource();
    const work = sayingSourceLines(command, () => collect(readResults(file, 'jsonl')));
    const err = (await work.catch((e: unknown) => e)) as RunError;
    expect(err).toBeInstanceOf(RunError);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(file);
    expect(err.message).not.toMatch(/resume|new output file/);
    expect(err.exitCode).toBe(2);
  });

  it('lets every other error through as it was', async () => {
    const other = new RunError('out.jsonl already exists', 'output');
    await expect(sayingSourceLines('merge', () => Promise.reject(other))).rejects.toBe(other);
    await expect(sayingSourceLines('--compact', () => Promise.resolve(7))).resolves.toBe(7);
  });
});
