/**
 * `merge` and `report` read their results files twice; a pipe (`<(zcat out-1.jsonl.gz)`,
 * `/dev/stdin`) gives its rows once. Merged from pipes, the second pass found nothing: "merged 0
 * rows", exit 0, an empty file; a report from one had its figures but no prompt or answer in its
 * table. Both now refuse a pipe in one line naming it, exit 2, nothing written. Through the BUILT CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runShell, tempDir } from '../helpers/run-cli.js';
import { mockShardOutputs } from '../helpers/shard-outputs.js';

const root = tempDir('llm-batch-results-pipe-');
afterAll(() => root.cleanup());
const dir = root.dir;

beforeAll(async () => {
  await mockShardOutputs(dir, ['first prompt', 'second prompt', 'third prompt', 'fourth prompt']);
});

describe('results read from a pipe', () => {
  it('merge <(cat out-1) <(cat out-2) -o all.jsonl: refused naming the pipe, exit 2, no file', async () => {
    const r = await runShell('$LLM merge <(cat out-1.jsonl) <(cat out-2.jsonl) -o all.jsonl', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^llm-batch: cannot merge \/dev\/fd\/\d+: is a pipe, not a file, and merge reads each output twice: save it to a file first\n$/);
    expect(fs.existsSync(path.join(dir, 'all.jsonl'))).toBe(false);
  });

  it('cat out-1 | report /dev/stdin -o r.html: refused naming it, exit 2, no report', async () => {
    const r = await runShell('cat out-1.jsonl | $LLM report /dev/stdin -o r.html', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('llm-batch: cannot report /dev/stdin: is a pipe, not a file, and report reads the results twice: save it to a file first\n');
    expect(fs.existsSync(path.join(dir, 'r.html'))).toBe(false);
  });

  it('the same files saved first: merged whole, and reported with their texts', async () => {
    const merged = await runShell('$LLM merge out-1.jsonl out-2.jsonl -o all.jsonl -q && $LLM report all.jsonl -o r.html -q', dir);
    expect(merged.code, merged.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'all.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
    expect(fs.readFileSync(path.join(dir, 'r.html'), 'utf8')).toContain('third prompt');
  });
});
