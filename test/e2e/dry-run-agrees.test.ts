/**
 * A dry run says what the run will do: the same cache keys, the same refusals. Found by the
 * session-22 explorer where the two disagreed.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, writePrompts } from '../helpers/run-cli.js';

const { dir, cleanup } = tempDir('llm-batch-dry-agrees-');
afterAll(cleanup);

describe('--dry-run agrees with the run', () => {
  it('--mock --max-tokens: the dry run finds the answer the run stored, live and --batch-api', async () => {
    const input = writePrompts(dir, 'story.txt', ['tell me a long story']);
    const args = [input, '--mock', '--max-tokens', '50', '--cache-dir', path.join(dir, 'cache')];
    const run = await runCli([...args, '-o', path.join(dir, 'story.jsonl'), '-q']);
    expect(run.code, run.stderr).toBe(0);
    for (const extra of [[], ['--batch-api']]) {
      const dry = await runCli([...args, ...extra, '--dry-run']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/^ {2}1 record: 0 to send, 1 answered from the cache, 0 bad$/m);
    }
  });

  it('--max-cost with a model of no known price: refused as the run refuses it: one line, exit 2', async () => {
    const dry = await runCli([writePrompts(dir, 'priced.txt', ['one']), '-m', 'unknown-x', '--max-cost', '1', '--dry-run'], {
      env: { OPENAI_API_KEY: undefined },
    });
    expect(dry.code).toBe(2);
    expect(dry.stderr).toBe('llm-batch: --max-cost: no price known for model unknown-x; give --price IN/OUT (USD per million tokens) or a --prices file\n');
    expect(dry.stdout).toBe('');
  });
});
