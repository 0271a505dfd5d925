/**
 * Several models (and --repeat) on a terminal: the answers to one prompt share its id, and streamed
 * at once they were taken for one answer, glued together under one header. Each now streams under
 * its own header, which names the model (and the sample).
 */
import { describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/run-cli.js';
import { useServer } from '../helpers/mock-server-hooks.js';
import { runPty } from '../helpers/run-pty.js';

const reply = (prompt: string) => `Answer to ${prompt}: ${'lorem ipsum dolor sit amet '.repeat(3).trim()} end.`;
const ctx = useServer('llm-batch-tty-matrix-', { chunkDelayMs: 10, reply });

describe('several answers to one prompt on a terminal', () => {
  it('-m a,b --repeat 2: four blocks, one per model and sample, each holding its answer once', async () => {
    const file = writePrompts(ctx.dir, 'one.txt', ['only']);
    const r = await runPty([file, '--base-url', ctx.server.url, '-c', '4', '-m', 'gpt-4o-mini,gpt-4o', '--repeat', '2', '--no-cache'], { cols: 100 });
    expect(r.code).toBe(0);
    const blocks: Array<{ header: string; text: string[] }> = [];
    for (const line of r.screen) {
      if (line.startsWith('── [')) blocks.push({ header: line, text: [] });
      else if (line.startsWith('llm-batch: ')) break;
      else if (line !== '') blocks.at(-1)?.text.push(line);
    }
    expect(blocks.map((b) => b.header.replace(/^── \[\d-\w+ · /, '')).sort()).toEqual([
      'gpt-4o #2] only',
      'gpt-4o-mini #2] only',
      'gpt-4o-mini] only',
      'gpt-4o] only',
    ]);
    for (const b of blocks) expect(b.text.join(' ')).toBe(reply('only'));
  });
});
