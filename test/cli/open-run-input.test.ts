import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveCliConfig } from '../../src/cli/config.js';
import type { CliIo } from '../../src/cli/io.js';
import type { RawFlags } from '../../src/cli/program.js';
import { openRunInput } from '../../src/cli/open-run-input.js';
import { fingerprintFile } from '../../src/cli/input-fingerprint.js';
import { openDescriptors } from '../helpers/open-descriptors.js';
import { tempDir } from '../helpers/run-cli.js';

const flags: RawFlags = { concurrency: 8, timeout: 600, idleTimeout: 90, retries: 3, stream: true, order: 'completion' };
const env = { env: { OPENAI_API_KEY: 'sk-test-000000000' }, stdinIsTTY: false, stdoutIsTTY: false };

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('llm-batch-openrun-');
});
afterEach(() => tmp.cleanup());

describe.skipIf(!fs.existsSync('/proc/self/fd'))('openRunInput', () => {
  it('closes the input when hashing it fails (a bad byte deep in the file), and says so through the error', async () => {
    const input = path.join(fs.realpathSync(tmp.dir), 'in.txt');
    // The first line is fine (the format is sniffed from it); a Latin-1 byte further on fails the hashing pass.
    fs.writeFileSync(input, Buffer.concat([Buffer.from('first prompt\n'.repeat(2000)), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])]));
    const config = resolveCliConfig(input, { ...flags, output: path.join(tmp.dir, 'out.jsonl') }, env, [input]);
    let closed = 0;
    await expect(openRunInput(config, {} as CliIo, { close: () => void closed++ })).rejects.toThrow(/in\.txt.*(UTF-8|utf-8|encoding)/i);
    expect(closed).toBe(1);
    expect(openDescriptors(input)).toBe(0);
  });

  it('keeps the input open when it succeeds', async () => {
    const input = path.join(fs.realpathSync(tmp.dir), 'ok.txt');
    fs.writeFileSync(input, 'one\ntwo\n');
    const config = resolveCliConfig(input, { ...flags, output: path.join(tmp.dir, 'out.jsonl') }, env, [input]);
    const opened = await openRunInput(config, {} as CliIo, { close: () => {} });
    expect(opened.inputFingerprint?.bytes).toBe(8);
    expect(openDescriptors(input)).toBe(1);
    await opened.input.close();
    expect(openDescriptors(input)).toBe(0);
  });

  it('the hashing pass has closed its own read of the file by the time it fails', async () => {
    const input = path.join(fs.realpathSync(tmp.dir), 'bad.txt');
    fs.writeFileSync(input, Buffer.concat([Buffer.from('ok\n'), Buffer.from([0xe9, 0x0a]), Buffer.alloc(1 << 20, 0x61)]));
    await expect(fingerprintFile(input, undefined, { encoding: undefined })).rejects.toThrow(/bad\.txt/);
    expect(openDescriptors(input)).toBe(0);
  });
});
