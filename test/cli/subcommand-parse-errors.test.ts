import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../helpers/memory-io.js';
import { runSubcommand } from '../../src/cli/subcommands.js';

const KEY = 'sk-test-SUBCOMMAND-KEY-4c1d';
const PASSWORD = 'PW-SECRET-0b7e';
const QUERY_KEY = 'Q-SECRET-5a9f';

describe('status and cancel: a --base-url commander refuses', () => {
  it.each(['status', 'cancel'])('%s: the line repeats it without the key, the password or a secret query value', async (command) => {
    for (const url of [`ftp://user:${PASSWORD}@host.example/v1?api-key=${QUERY_KEY}`, `ftp://${KEY}@host.example/v1`]) {
      const io = memoryIo({ OPENAI_API_KEY: KEY });
      await expect(runSubcommand([command, 'out.jsonl', '--base-url', url], io)).rejects.toBeInstanceOf(CommanderError);
      expect(io.err()).toMatch(/argument 'ftp:\/\/\*\*\*@host\.example\/v1(\?\*\*\*)?' is invalid/);
      for (const secret of [KEY, PASSWORD, QUERY_KEY]) expect(io.err()).not.toContain(secret);
    }
  });
});
