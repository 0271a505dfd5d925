/**
 * The README warns that `npx llm-batch` outside this checkout asks the registry for a package of
 * that name (unpublished today: whoever claims it later runs with the user's key). Its examples must
 * follow that advice: `npx llm-batch` only on a line that runs inside the checkout (its fixtures/),
 * and no container example that installs nothing of ours into a stock node image.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-cli.js';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
/** The text of every fenced code block, with its language. */
const blocks = [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)].map((m) => ({ lang: m[1]!, text: m[2]! }));

describe('README examples install llm-batch as the Installing section says', () => {
  it('has code blocks to check', () => {
    expect(blocks.length).toBeGreaterThan(10);
  });

  it('`npx llm-batch` only inside the checkout (on a line that reads its fixtures/)', () => {
    const outside = blocks.flatMap((b) => b.text.split('\n')).filter((line) => /\bnpx\s+llm-batch\b/.test(line) && !/\bfixtures\//.test(line));
    expect(outside).toEqual([]);
  });

  it('no container runs llm-batch from a stock node image', () => {
    const stock = blocks.filter((b) => /\bimage:\s*["']?node(:|\s|["']|$)/m.test(b.text) && /llm-batch/.test(b.text));
    expect(stock.map((b) => b.text.split('\n')[0])).toEqual([]);
  });
});
