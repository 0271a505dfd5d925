/**
 * `llm-batch merge … -o -` and `llm-batch report … -o -` into a reader that leaves early (`| head`):
 * exit 141 and nothing on stderr, as a run does (README, exit 141: "quietly, like a program killed
 * by SIGPIPE"). Through the BUILT CLI, with outputs larger than a pipe's buffer so the reader's
 * leaving is always seen.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runShell, tempDir } from '../helpers/run-cli.js';
import { mockShardOutputs } from '../helpers/shard-outputs.js';

const root = tempDir('llm-batch-subcommand-pipe-');
afterAll(() => root.cleanup());
const dir = root.dir;

beforeAll(async () => {
  // 60 rows of ~2.5 kB each (the prompt is in the row): far more than the 64 kB a pipe holds.
  await mockShardOutputs(
    dir,
    Array.from({ length: 60 }, (_, i) => `prompt ${i} ${'word '.repeat(500)}`),
  );
  expect(fs.statSync(path.join(dir, 'out-1.jsonl')).size).toBeGreaterThan(65_536);
});

describe('a subcommand whose stdout reader leaves', () => {
  it.each([
    ['merge -o -', 'merge out-1.jsonl out-2.jsonl -o -'],
    ['report -o -', 'report out-1.jsonl -o -'],
    // Said "cannot write the report: EPIPE: broken pipe", exit 2.
    ['report -o /dev/stdout', 'report out-1.jsonl -o /dev/stdout'],
    ['merge -o /dev/stdout', 'merge out-1.jsonl out-2.jsonl -o /dev/stdout'],
  ])('%s | head -c 1: exit 141, nothing on stderr', async (_name, args) => {
    const r = await runShell(`$LLM ${args} | head -c 1 > /dev/null; echo "status=\${PIPESTATUS[0]}" >&2`, dir);
    expect(r.stderr).toBe('status=141\n');
  });

  it("a run's --report /dev/stdout | head -c 1: exit 141, nothing on stderr, every row kept, the summary says 141", async () => {
    fs.writeFileSync(path.join(dir, 'p.txt'), 'a\nb\n');
    const r = await runShell(
      `$LLM p.txt --mock -o rows.jsonl --summary-json s.json -q --report /dev/stdout | head -c 1 > /dev/null; echo "status=\${PIPESTATUS[0]}" >&2`,
      dir,
    );
    expect(r.stderr).toBe('status=141\n');
    expect(fs.readFileSync(path.join(dir, 'rows.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 's.json'), 'utf8'))).toMatchObject({ exitCode: 141, ok: 2 });
  });
});
