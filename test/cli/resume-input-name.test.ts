import { describe, expect, it } from 'vitest';
import type { CliConfig } from '../../src/cli/config.js';
import { resumeDifferences } from '../../src/cli/run-identity.js';

/** Only what resumeDifferences reads of a config: a file input, a mock provider. */
const config = (path: string) => ({ input: { kind: 'file', path }, provider: { kind: 'mock' } }) as unknown as CliConfig;
const meta = (input: string, hash: string | null) => ({ input, inputFingerprint: hash, inputBytes: hash ? 10 : null, model: 'm', models: ['m'] });

describe('resumeDifferences: the input named another way', () => {
  it('the same content under another path is no difference', async () => {
    const differences = await resumeDifferences(config('./in.txt'), meta('in.txt', 'abc'), meta('./in.txt', 'abc'), { hash: 'abc', bytes: 10 });
    expect(differences).toEqual([]);
  });

  it('a pipe or device (no fingerprint either time) is known by its path alone', async () => {
    const differences = await resumeDifferences(config('/tmp/fifo-b'), meta('/tmp/fifo-a', null), meta('/tmp/fifo-b', null), null);
    expect(differences).toEqual(['input: was "/tmp/fifo-a", now "/tmp/fifo-b"']);
  });
});
