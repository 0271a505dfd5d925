/**
 * A row's id is the input's: a line break or a tab in it must not split the line that names the
 * row on a terminal (an answer's header, `-f text`'s `[id]` label), where the second half would read
 * as a line of its own (a fake summary). They are shown as `\n` and `\t`, as JSON writes them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServer } from '../helpers/mock-server-hooks.js';
import { runPty } from '../helpers/run-pty.js';

const ctx = useServer('llm-batch-tty-id-breaks-');

const ID = 'abc\nFAKE: llm-batch: 0 ok, 9 failed\tx';
const SHOWN = 'abc\\nFAKE: llm-batch: 0 ok, 9 failed\\tx';

function input(name: string): string {
  const file = path.join(ctx.dir, name);
  fs.writeFileSync(file, `${JSON.stringify({ id: ID, prompt: 'hello' })}\n`);
  return file;
}

describe('an id with a line break on a terminal', () => {
  it('stays on its answer header', async () => {
    const r = await runPty([input('screen.jsonl'), '--base-url', ctx.server.url, '--no-cache'], { cols: 120 });
    expect(r.code).toBe(0);
    expect(r.screen).toContain(`── [${SHOWN}] hello`);
    expect(r.screen.some((l) => l.startsWith('FAKE'))).toBe(false);
  });

  it("stays on -f text's label", async () => {
    const r = await runPty([input('text.jsonl'), '--base-url', ctx.server.url, '--no-cache', '-f', 'text'], { cols: 120 });
    expect(r.code).toBe(0);
    expect(r.screen).toContain(`[${SHOWN}] ECHO hello`);
    expect(r.screen.some((l) => l.startsWith('FAKE'))).toBe(false);
  });
});
