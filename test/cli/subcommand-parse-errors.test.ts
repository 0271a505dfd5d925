import { PassThrough } from 'node:stream';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { runSubcommand } from '../../src/cli/subcommands.js';

const KEY = 'sk-test-SUBCOMMAND-KEY-4c1d';
const PASSWORD = 'PW-SECRET-0b7e';
const QUERY_KEY = 'Q-SECRET-5a9f';

function fakeIo(): CliIo & { err: () => string } {
  let err = '';
  const stderr = new PassThrough();
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  return {
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    stderr,
    env: { OPENAI_API_KEY: KEY },
    onSignal: () => () => {},
    err: () => err,
  };
}

describe('status and cancel: a --base-url commander refuses', () => {
  it.each(['status', 'cancel'])('%s: the line repeats it without the key, the password or a secret query value', async (command) => {
    for (const url of [`ftp://user:${PASSWORD}@host.example/v1?api-key=${QUERY_KEY}`, `ftp://${KEY}@host.example/v1`]) {
      const io = fakeIo();
      await expect(runSubcommand([command, 'out.jsonl', '--base-url', url], io)).rejects.toBeInstanceOf(CommanderError);
      expect(io.err()).toMatch(/argument 'ftp:\/\/\*\*\*@host\.example\/v1(\?api-key=\*\*\*)?' is invalid/);
      for (const secret of [KEY, PASSWORD, QUERY_KEY]) expect(io.err()).not.toContain(secret);
    }
  });
});
