import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCompact } from '../../src/cli/compact-command.js';
import { resolveCliConfig } from '../../src/cli/config.js';
import type { CliIo } from '../../src/cli/io.js';
import { createProgram, type RawFlags } from '../../src/cli/program.js';
import { openReplacingFile, openReplacingWriter, writeWhole } from '../../src/cli/replacing-writer.js';
import { reportCommand } from '../../src/cli/report-command.js';
import { runSubcommand } from '../../src/cli/subcommands.js';
import { onIo, parseArgv } from '../../src/cli/commander-io.js';
import { okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

type Signal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** An io whose signals the test sends: `send` calls the handlers listening now. */
function signalIo({ terminal = false } = {}) {
  const handlers = new Map<Signal, Set<() => void>>();
  let said = '';
  const stderr = new PassThrough();
  stderr.on('data', (chunk: Buffer) => {
    said += chunk.toString();
  });
  const io: CliIo = {
    stdin: Object.assign(new PassThrough(), { isTTY: terminal }),
    stdout: new PassThrough(),
    stderr,
    env: {},
    onSignal(signal, handler) {
      const set = handlers.get(signal) ?? new Set();
      handlers.set(signal, set.add(handler));
      return () => set.delete(handler);
    },
  };
  return {
    io,
    send: (signal: Signal) => {
      const now = [...(handlers.get(signal) ?? [])];
      for (const h of now) h();
      return now.length;
    },
    listening: () => [...handlers.values()].reduce((n, set) => n + set.size, 0),
    said: () => said,
  };
}

/** `out.jsonl` holding yesterday's row, in a fresh dir. */
function oldOutput(): { dir: string; out: string; tmpFile: string } {
  const dir = tmp();
  const out = path.join(dir, 'out.jsonl');
  fs.writeFileSync(out, 'yesterday\n');
  return { dir, out, tmpFile: `${out}.${process.pid}.tmp` };
}

describe('openReplacingWriter interrupted', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s: the temp file goes at once, the file stays as it was, exit 130', async (signal) => {
    const { dir, out, tmpFile } = oldOutput();
    const s = signalIo();
    const exit = vi.fn();
    const output = openReplacingWriter(out, 'jsonl', undefined, s.io, exit);
    await output.writer.write(okRow('a', 'new'));
    expect(fs.existsSync(tmpFile)).toBe(true);
    expect(s.send(signal)).toBe(1);
    expect(exit).toHaveBeenCalledWith(130);
    expect(fs.readdirSync(dir)).toEqual(['out.jsonl']);
    expect(fs.readFileSync(out, 'utf8')).toBe('yesterday\n');
    expect(s.said()).toBe(`llm-batch: interrupted: nothing was written to ${out} (it is as it was)\n`);
  });

  it('SIGHUP: the same when a terminal is attached; ignored (nohup) when none is', async () => {
    for (const terminal of [true, false]) {
      const { out, tmpFile } = oldOutput();
      const s = signalIo({ terminal });
      const exit = vi.fn();
      const output = openReplacingWriter(out, 'jsonl', undefined, s.io, exit);
      s.send('SIGHUP');
      expect(exit).toHaveBeenCalledTimes(terminal ? 1 : 0);
      expect(fs.existsSync(tmpFile)).toBe(!terminal);
      if (!terminal) await output.abandon();
    }
  });

  it('listens before the temp file exists, and stops listening when it cannot be made', async () => {
    // A signal between the two with no handler yet meets Node's own end, which leaves the file behind.
    const { out, tmpFile } = oldOutput();
    const s = signalIo();
    const seen: boolean[] = [];
    const onSignal = s.io.onSignal;
    s.io.onSignal = (signal, handler) => {
      seen.push(fs.existsSync(tmpFile));
      return onSignal(signal, handler);
    };
    await openReplacingWriter(out, 'jsonl', undefined, s.io, vi.fn()).abandon();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).not.toContain(true);
    // A temp file that cannot be made: the error, and no handler left behind.
    const missing = signalIo();
    expect(() => openReplacingWriter(path.join(tmp(), 'no', 'such', 'out.jsonl'), 'jsonl', undefined, missing.io, vi.fn())).toThrow();
    expect(missing.listening()).toBe(0);
  });

  it('listens only while the file is being written: not after commit or abandon', async () => {
    for (const end of ['commit', 'abandon'] as const) {
      const { out } = oldOutput();
      const s = signalIo({ terminal: true });
      const exit = vi.fn();
      const output = openReplacingWriter(out, 'jsonl', undefined, s.io, exit);
      await output.writer.write(okRow('a', 'new'));
      expect(s.listening()).toBe(3);
      await output[end]();
      expect(s.listening()).toBe(0);
      expect(fs.readFileSync(out, 'utf8')).toMatch(end === 'commit' ? /"new"/ : /^yesterday\n$/);
    }
    // Without an io (the library's use), nothing listens.
    const { out } = oldOutput();
    await openReplacingWriter(out, 'jsonl', undefined).abandon();
  });
});

describe('openReplacingFile (report -o FILE)', () => {
  it('SIGTERM while the text goes in: the temp file goes at once, the file stays as it was, exit 130', async () => {
    const { dir, out, tmpFile } = oldOutput();
    const s = signalIo();
    const exit = vi.fn();
    const file = openReplacingFile(out, s.io, exit);
    await new Promise<void>((resolve) => file.writer.write('<!doctype html>', () => resolve()));
    expect(fs.readFileSync(tmpFile, 'utf8')).toBe('<!doctype html>');
    expect(s.send('SIGTERM')).toBe(1);
    expect(exit).toHaveBeenCalledWith(130);
    expect(fs.readdirSync(dir)).toEqual(['out.jsonl']);
    expect(fs.readFileSync(out, 'utf8')).toBe('yesterday\n');
    expect(s.said()).toBe(`llm-batch: interrupted: nothing was written to ${out} (it is as it was)\n`);
    await file.abandon();
  });

  it('commit puts the whole text in place, abandon leaves the file as it was; neither listens after', async () => {
    for (const fails of [false, true]) {
      const { dir, out } = oldOutput();
      const s = signalIo({ terminal: true });
      const file = openReplacingFile(out, s.io, vi.fn());
      expect(s.listening()).toBe(3);
      const text = 'x'.repeat(3_000_000);
      const done = writeWhole(file, async (writer) => {
        await new Promise<void>((resolve) => writer.write(text, () => resolve()));
        if (fails) throw new Error('a bad row');
        return 'written';
      });
      if (fails) await expect(done).rejects.toThrow('a bad row');
      else expect(await done).toBe('written');
      expect(s.listening()).toBe(0);
      expect(fs.readdirSync(dir)).toEqual(['out.jsonl']);
      expect(fs.readFileSync(out, 'utf8')).toBe(fails ? 'yesterday\n' : text);
    }
  });
});

/** Rows for `merge` and `--compact` to read, enough that the first pass is still going when Ctrl-C comes. */
function source(dir: string, name: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, Array.from({ length: 2000 }, (_, i) => `${JSON.stringify(okRow(`${name}-${i}`, 'an answer'))}\n`).join(''));
  return file;
}

describe('merge and --compact take Ctrl-C with their -o file as it was', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(['merge', '--compact'] as const)('%s', async (command) => {
    const { dir, out, tmpFile } = oldOutput();
    const s = signalIo();
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    let done: Promise<number>;
    if (command === 'merge') done = runSubcommand(['merge', source(dir, 'a.jsonl'), source(dir, 'b.jsonl'), '-o', out, '--overwrite'], s.io);
    else {
      const program = onIo(createProgram('0.0.0'), s.io);
      expect(parseArgv(program, [source(dir, 'a.jsonl'), '--compact', '-o', out, '--overwrite'])).toBeUndefined();
      const config = resolveCliConfig(program.args[0], program.opts<RawFlags>(), { env: {}, stdinIsTTY: false, stdoutIsTTY: false }, []);
      done = runCompact(config, s.io);
    }
    // The -o file's temp file is opened before the first row is read.
    expect(fs.existsSync(tmpFile)).toBe(true);
    expect(s.send('SIGINT')).toBe(1);
    expect(exit).toHaveBeenCalledWith(130);
    expect(fs.existsSync(tmpFile)).toBe(false);
    // process.exit did not end this process: the command goes on, and cannot put its rows in place.
    await done.catch(() => {});
    expect(fs.readFileSync(out, 'utf8')).toBe('yesterday\n');
    expect(fs.existsSync(tmpFile)).toBe(false);
  });
});

describe('report takes Ctrl-C, SIGTERM and a hangup with its -o file as it was', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s', async (signal) => {
    const { dir, out, tmpFile } = oldOutput();
    const html = `${out}.html`;
    fs.writeFileSync(html, 'yesterday\n');
    const s = signalIo({ terminal: true });
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const done = reportCommand([source(dir, 'a.jsonl'), '-o', html, '--overwrite'], s.io);
    // The report's temp file is opened before the first row is read.
    const tmpHtml = tmpFile.replace('out.jsonl.', 'out.jsonl.html.');
    expect(fs.existsSync(tmpHtml)).toBe(true);
    expect(s.send(signal)).toBe(1);
    expect(exit).toHaveBeenCalledWith(130);
    expect(fs.existsSync(tmpHtml)).toBe(false);
    // process.exit did not end this process: the command goes on, and cannot put its report in place.
    expect(await done).toBe(2);
    expect(s.said()).toMatch(
      /^llm-batch: interrupted: nothing was written to \S+out\.jsonl\.html \(it is as it was\)\nllm-batch: cannot write the report: ENOENT/,
    );
    expect(fs.readFileSync(html, 'utf8')).toBe('yesterday\n');
    expect(fs.readdirSync(dir).sort()).toEqual(['a.jsonl', 'out.jsonl', 'out.jsonl.html']);
  });
});
