/**
 * Lines on a narrow terminal break between their ` · ` parts, under the `llm-batch: ` prefix, as the
 * live summary does: the --batch-api run's summary too, and the per-model lines (which broke between
 * any two words, a part's figures split over two lines).
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, writePrompts } from '../helpers/run-cli.js';
import { runPty } from '../helpers/run-pty.js';

const tmp = tempDir('llm-batch-tty-narrow-');
afterAll(() => tmp.cleanup());

const MODELS = ['-m', 'gpt-4o-mini', '-m', 'gpt-4o'];

/** The screen's rows from the first that matches `start`, with the rows indented under it. */
function block(screen: string[], start: RegExp): string[] {
  const at = screen.findIndex((l) => start.test(l));
  expect(at, screen.join('\n')).toBeGreaterThanOrEqual(0);
  const rows = [screen[at]!];
  for (const row of screen.slice(at + 1)) {
    if (!row.startsWith(' '.repeat(11))) break;
    rows.push(row);
  }
  return rows;
}

describe('stderr lines on a 60-column terminal', () => {
  it.each([
    ['--batch-api', ['--batch-api']],
    ['live', []],
  ])('%s: the summary and each model line break between parts', async (_, flags) => {
    const input = writePrompts(tmp.dir, `p${flags.length}.txt`, ['one', 'two', 'three']);
    const out = path.join(tmp.dir, `out${flags.length}.jsonl`);
    const r = await runPty([input, '--mock', ...flags, ...MODELS, '-o', out], { cols: 60 });
    expect(r.code).toBe(0);
    const summary = block(r.screen, /^llm-batch: 6 ok, 0 failed · /);
    expect(summary.length).toBeGreaterThan(1);
    for (const row of summary.slice(0, -1)) expect(row).toMatch(/ ·$/);
    expect(summary.at(-1)).toMatch(/\.txt$/);
    for (const model of ['gpt-4o-mini', 'gpt-4o']) {
      const rows = block(r.screen, new RegExp(`^llm-batch: ${model}: 3 ok, 0 failed ·`));
      // Whole parts on each row: the tokens' figures are never split from each other.
      expect(rows.join('\n')).toMatch(
        new RegExp(`^llm-batch: ${model}: 3 ok, 0 failed ·( \\d+ tokens in / \\d+ out ·\\n {11}est\\. \\S+|\\n {11}\\d+ tokens in / \\d+ out · est\\. \\S+)$`),
      );
    }
  });
});
