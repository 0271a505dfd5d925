/**
 * `--compact out.jsonl -o copy.jsonl --dry-run` wrote the copy anyway, with "it ignores --dry-run"
 * on stderr: a script asking for a preview got the file. It is refused now (exit 2, nothing
 * written), as --summary-json and --report with --compact are. Through the BUILT CLI, offline.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const { dir, cleanup } = tempDir('llm-batch-compact-dry-run-');
afterAll(cleanup);

describe('--compact with --dry-run', () => {
  it('is refused, exit 2, and writes no copy; without --dry-run the copy is made', async () => {
    const input = writePrompts(dir, 'p.txt', ['a', 'b']);
    const out = path.join(dir, 'out.jsonl');
    expect((await runCli([input, '-o', out, '--mock', '-q'])).code).toBe(0);
    const copy = path.join(dir, 'copy.jsonl');

    const refused = await runInWorker(['--compact', out, '-o', copy, '--dry-run']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('llm-batch: --dry-run goes with a run, not --compact, which sends nothing and writes its copy at once: leave out --dry-run\n');
    expect(fs.existsSync(copy)).toBe(false);

    const done = await runCli(['--compact', out, '-o', copy, '-q']);
    expect(done.code, done.stderr).toBe(0);
    expect(fs.readFileSync(copy, 'utf8').trim().split('\n')).toHaveLength(2);
  });
});
