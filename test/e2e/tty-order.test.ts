/**
 * `--order input` on a terminal: the answers printed on the screen come in input order too, not in
 * the order they happened to start streaming.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { writePrompts } from '../helpers/run-cli.js';
import { useServer } from '../helpers/mock-server-hooks.js';
import { startPty } from '../helpers/run-pty.js';

const ctx = useServer('llm-batch-tty-order-', { chunkDelayMs: 5 });

describe('--order input on a terminal', () => {
  it('prints the answers in input order while a slow first one holds the rest back', async () => {
    const prompts = ['one', 'two', 'three', 'four'];
    const file = writePrompts(ctx.dir, 'four.txt', prompts);
    // The first prompt is answered only once the three after it are in: they streamed first.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    ctx.server.options.hold = (req) => (req.prompt === 'one' ? gate : undefined);
    let session: ReturnType<typeof startPty>;
    try {
      session = startPty([file, '--base-url', ctx.server.url, '-c', '4', '--order', 'input'], { cols: 80 });
      session.child.stdin!.end();
      await session.waitFor(/3 ok/);
    } finally {
      release();
      delete ctx.server.options.hold;
    }
    const r = await session.done;
    expect(r.code).toBe(0);
    const shown = r.screen.flatMap((line) => /^── \[[^\]]+\] (\w+)$/.exec(line)?.[1] ?? []);
    expect(shown).toEqual(prompts);
    // Each answer under its own header.
    for (const p of prompts) expect(r.screen[r.screen.findIndex((l) => l.endsWith(`] ${p}`)) + 1]).toBe(`ECHO ${p}`);
  });

  it('keeps an input-error row (never sent, no attempt) in its place while the answers after it are ready first', async () => {
    const file = path.join(ctx.dir, 'gap.jsonl');
    const lines = [
      { id: 'a', prompt: 'one' },
      { id: 'b', prompt: '' },
      { id: 'c', prompt: 'three' },
      { id: 'd', prompt: 'four' },
    ];
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    ctx.server.options.hold = (req) => (req.prompt === 'one' ? gate : undefined);
    let session: ReturnType<typeof startPty>;
    try {
      session = startPty([file, '--base-url', ctx.server.url, '-c', '4', '--order', 'input'], { cols: 80 });
      session.child.stdin!.end();
      await session.waitFor(/2 ok · 1 failed/);
    } finally {
      release();
      delete ctx.server.options.hold;
    }
    const r = await session.done;
    const shown = r.screen.flatMap((line) => /^── \[(\w)\]/.exec(line)?.[1] ?? []);
    expect(shown).toEqual(['a', 'b', 'c', 'd']);
  });
});
