/**
 * `llm-batch status` of an output asked of several models names each batch's model on its line, as
 * `--json` does ("model"): the lines read alike, and nothing said which batch was gpt-4o's.
 * Spawns the BUILT CLI against the mock server.
 */
import path from 'node:path';
import { expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { runCli, writePrompts } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-status-models-');

it('names the model on each batch’s line', async () => {
  ctx.server.options.batches = { stepMs: 30, hold: () => true };
  const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b', 'c']);
  const out = path.join(ctx.dir, 'mb.jsonl');
  const run = await runCli([
    input,
    '-o',
    out,
    '--base-url',
    ctx.server.url,
    '-m',
    'gpt-4o-mini',
    '-m',
    'gpt-4o',
    '--repeat',
    '2',
    '--batch-api',
    '--no-wait',
    '-q',
  ]);
  expect(run.code, run.stderr).toBe(75);

  const json = JSON.parse((await runCli(['status', out, '--json', '--no-refresh'])).stdout) as { batches: Array<{ model: string }> };
  expect(new Set(json.batches.map((b) => b.model))).toEqual(new Set(['gpt-4o-mini', 'gpt-4o']));
  const status = await runCli(['status', out, '--base-url', ctx.server.url]);
  expect(status.code, status.stderr).toBe(0);
  const lines = status.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(json.batches.length);
  lines.forEach((line, i) => {
    expect(line).toMatch(
      new RegExp(`^batch ${i + 1} {2}batch_mock\\w+ {2}${json.batches[i]!.model} {2}(validating|in_progress) {2}0/\\d+ done {2}\\d+s {2}next: `),
    );
  });
});
