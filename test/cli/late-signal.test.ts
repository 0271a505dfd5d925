/**
 * A signal after a run has ended and said how (its summary, --summary-json's exitCode 0) must not
 * end the process with 130 / 143 instead (review s55: 4 of 5 signals sent 10-20 ms after the last
 * row did). The run leaves a handler that takes the first such signal; a second meets node's default.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { ignoreLateSignal } from '../../src/cli/stop-signals.js';
import { memoryIo } from '../helpers/memory-io.js';

/** A memory io whose signal handlers are kept, to be counted and fired as the process would. */
function signalIo(): CliIo & { handlers: Map<string, Set<() => void>>; fire: (signal: string) => void; err: () => string } {
  const io = memoryIo();
  const handlers = new Map<string, Set<() => void>>();
  return {
    ...io,
    handlers,
    onSignal(signal, handler) {
      const set = handlers.get(signal) ?? new Set();
      handlers.set(signal, set);
      set.add(handler);
      return () => set.delete(handler);
    },
    fire: (signal) => {
      for (const handler of [...(handlers.get(signal) ?? [])]) handler();
    },
  };
}

const count = (io: ReturnType<typeof signalIo>, signal: string) => io.handlers.get(signal)?.size ?? 0;

describe('a signal once the run has ended', () => {
  it('ignoreLateSignal takes the first SIGINT or SIGTERM, then listens no more', () => {
    const io = signalIo();
    ignoreLateSignal(io);
    expect([count(io, 'SIGINT'), count(io, 'SIGTERM')]).toEqual([1, 1]);
    io.fire('SIGTERM');
    expect([count(io, 'SIGINT'), count(io, 'SIGTERM')]).toEqual([0, 0]);
  });

  it.each([[[]], [['--batch-api']]])('a finished run (%j) leaves only that handler (not none: node default, 130), and says nothing of it', async (flags) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-late-signal-'));
    try {
      const input = path.join(dir, 'p.txt');
      fs.writeFileSync(input, 'one\ntwo\n');
      const io = signalIo();
      const code = await main([input, '--mock', ...flags, '--no-cache', '-o', path.join(dir, 'out.jsonl'), '-q'], io);
      expect(code).toBe(0);
      expect([count(io, 'SIGINT'), count(io, 'SIGTERM')]).toEqual([1, 1]);
      io.fire('SIGINT');
      expect(io.err()).toBe('');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exitAtOnce: the listeners before it and the hooks run, and the process ends with its exitCode', () => {
    const module = new URL('../../dist/cli/process-exit.js', import.meta.url).href;
    const script = `
      const { atProcessExit, exitAtOnce } = await import(${JSON.stringify(module)});
      atProcessExit(() => console.log('early hook'));
      process.on('exit', () => console.log('a library listener'));
      exitAtOnce();
      atProcessExit(() => { console.log('late hook'); process.exitCode = 3; });
      process.exitCode = 1;`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect([r.stdout, r.stderr, r.status]).toEqual(['a library listener\nearly hook\nlate hook\n', '', 3]);
  });
});
