import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { PLAIN_CSV } from '../../src/output/index.js';
import { isStreamTarget, openStreamOutput } from '../../src/cli/stream-target.js';
import { memoryIo } from '../helpers/memory-io.js';
import { openDescriptors } from '../helpers/open-descriptors.js';
import { okRow } from '../helpers/result-rows.js';

const own = { stdout: process.stdout, stderr: process.stderr };

describe('isStreamTarget', () => {
  it('takes what is there under /dev and /proc, the own std streams, and what is no file or folder', () => {
    expect(isStreamTarget('/dev/null')).toBe(true);
    expect(isStreamTarget('/dev/stdout')).toBe(true);
    expect(isStreamTarget('/proc/self/fd/2')).toBe(true);
    // A descriptor the shell redirected to a regular file (`3>>rows.jsonl`) is appended to as a stream.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-stream-'));
    try {
      const file = path.join(dir, 'rows.jsonl');
      const fd = fs.openSync(file, 'a');
      try {
        expect(isStreamTarget(`/proc/self/fd/${fd}`)).toBe(true);
      } finally {
        fs.closeSync(fd);
      }
      expect(isStreamTarget(file)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves a path under /dev or /proc that is not there to the writability check, which refuses it before sending', () => {
    // Taken for a stream, `-o /proc/x.jsonl` was opened at the first row: every prompt paid, then ENOENT.
    expect(isStreamTarget('/proc/x.jsonl')).toBe(false);
    expect(isStreamTarget('/dev/no-such-device-llm-batch')).toBe(false);
  });
});

describe('openStreamOutput', () => {
  it('opens it at once, so that one that takes no writes is refused before a request is sent', async () => {
    // A socket file is no file to write (open: ENXIO), as `-o /dev/fd/9` naming a socket is:
    // taken for a stream and opened at the first row, every prompt was paid for first.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-stream-'));
    const sock = path.join(dir, 'rows.sock');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      expect(isStreamTarget(sock)).toBe(true);
      expect(() => openStreamOutput(sock, 'jsonl', PLAIN_CSV, own)).toThrow(UsageError);
      expect(() => openStreamOutput(sock, 'jsonl', PLAIN_CSV, own)).toThrow(new RegExp(`^--output ${sock}: .*ENXIO`));
    } finally {
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!fs.existsSync('/proc/self/fd'))('writes rows to a device it could open, not to its own streams, and lets go of it on close', async () => {
    const io = memoryIo();
    const before = openDescriptors('/dev/null');
    const writer = openStreamOutput('/dev/null', 'jsonl', PLAIN_CSV, io);
    expect(openDescriptors('/dev/null')).toBe(before + 1);
    await writer.write(okRow('a', 'A'));
    await writer.writeMany?.([okRow('b', 'B'), okRow('c', 'C')]);
    await writer.close();
    expect(openDescriptors('/dev/null')).toBe(before);
    expect([io.out(), io.err()]).toEqual(['', '']);
  });
});
