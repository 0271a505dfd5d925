import { describe, expect, it } from 'vitest';
import type { CliConfig } from '../../src/cli/config.js';
import { resumeDifferences } from '../../src/cli/run-identity.js';

/** Only what resumeDifferences reads of a config: a file input, a mock provider, a JSONL output. */
const output = { kind: 'file', path: 'out.jsonl', format: 'jsonl' };
const config = (path: string) => ({ input: { kind: 'file', path }, provider: { kind: 'mock' }, output, data: {} }) as unknown as CliConfig;
const stdin = { input: { kind: 'stdin' }, provider: { kind: 'mock' }, output, data: {} } as unknown as CliConfig;
const meta = (input: string, hash: string | null, inputFormat = 'txt') => ({
  input,
  inputFingerprint: hash,
  inputBytes: hash ? 10 : null,
  inputFormat,
  model: 'm',
  models: ['m'],
});

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

describe('resumeDifferences: stdin or a pipe then a file, or the other way', () => {
  const unrecorded = '(what stdin or a pipe holds is not recorded, so the two cannot be compared)';
  it.each([
    ['stdin, then a file', config('a.txt'), meta('<stdin>', null), meta('a.txt', 'abc'), `the input was stdin, now it is the file a.txt ${unrecorded}`],
    ['a file, then stdin', stdin, meta('a.txt', 'abc'), meta('<stdin>', null), `the input was the file a.txt, now it is stdin ${unrecorded}`],
    [
      'a pipe, then a file',
      config('a.txt'),
      meta('/dev/fd/63', null),
      meta('a.txt', 'abc'),
      `the input was the pipe /dev/fd/63, now it is the file a.txt ${unrecorded}`,
    ],
  ])('%s: said as it is, once', async (_label, cfg, previous, current, sentence) => {
    const input = typeof current.inputFingerprint === 'string' ? { hash: current.inputFingerprint, bytes: 10 } : null;
    expect(await resumeDifferences(cfg, previous, current, input)).toEqual([sentence]);
  });
});

describe('resumeDifferences: the input format', () => {
  it('"auto" (recorded before the format read was) matches the format read now', async () => {
    expect(await resumeDifferences(config('in'), meta('in', 'abc', 'auto'), meta('in', 'abc', 'jsonl'), { hash: 'abc', bytes: 10 })).toEqual([]);
  });

  it('two formats read are a difference', async () => {
    expect(await resumeDifferences(config('in'), meta('in', 'abc', 'txt'), meta('in', 'abc', 'jsonl'), { hash: 'abc', bytes: 10 })).toEqual([
      'inputFormat (--input-format): was "txt", now "jsonl"',
    ]);
  });
});

describe('resumeDifferences: --repeat', () => {
  it('more or fewer samples continue the run (merge compares them; a resume asks only what is missing)', async () => {
    const input = { hash: 'abc', bytes: 10 };
    expect(await resumeDifferences(config('in'), meta('in', 'abc'), { ...meta('in', 'abc'), repeat: 3 }, input)).toEqual([]);
    expect(await resumeDifferences(config('in'), { ...meta('in', 'abc'), repeat: 3 }, meta('in', 'abc'), input)).toEqual([]);
  });
});

describe('resumeDifferences: --max-tokens', () => {
  it('another answer limit is no difference; another temperature beside it still is', async () => {
    const settings = (more: Record<string, unknown>) => ({ ...meta('in.txt', 'abc'), temperature: null, ...more });
    const input = { hash: 'abc', bytes: 10 };
    expect(await resumeDifferences(config('in.txt'), settings({ maxTokens: 5 }), settings({ maxTokens: 500 }), input)).toEqual([]);
    expect(await resumeDifferences(config('in.txt'), settings({ maxTokens: null }), settings({ maxTokens: 100, temperature: 1 }), input)).toEqual([
      'temperature: was null, now 1',
    ]);
  });
});
