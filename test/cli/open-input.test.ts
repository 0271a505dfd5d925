import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliConfig } from '../../src/cli/config.js';
import type { CliIo } from '../../src/cli/io.js';
import { openInput } from '../../src/cli/open-input.js';

const config = {
  input: { kind: 'stdin' },
  inputFormat: 'auto',
  output: { kind: 'stdout', format: 'jsonl' },
  data: { encoding: undefined, keepFields: [] },
} as unknown as CliConfig;
const stdinOf = (chunks: Array<string | Buffer>) => ({ stdin: Readable.from(chunks, { objectMode: false }) }) as unknown as CliIo;

async function sniff(chunks: Array<string | Buffer>): Promise<{ format: string; text: string }> {
  const input = await openInput(config, stdinOf(chunks));
  const parts: Buffer[] = [];
  for await (const chunk of input.stream) parts.push(Buffer.from(chunk));
  return { format: input.format, text: Buffer.concat(parts).toString() };
}

describe('stdin format sniffing', () => {
  it('reads a BOM and a character cut across chunks as one stream, and replays every byte', async () => {
    const bytes = Buffer.from('\uFEFF{"prompt":"日本"}\nnext\n');
    const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3, 15), bytes.subarray(15)];
    const r = await sniff(chunks);
    expect(r.format).toBe('jsonl');
    expect(r.text).toBe(bytes.toString());
  });

  it('skips blank lines, waits for the whole first line, and reads text as text', async () => {
    expect((await sniff(['\n\r\n  ', '  {"prompt"', ':1}\r\n', 'x\n'])).format).toBe('jsonl');
    expect((await sniff(['\n', 'What is {x}?\n'])).format).toBe('txt');
    expect((await sniff(['', '\n'])).format).toBe('txt');
  });

  it('a "{" alone on the first line is JSON printed over several lines (jq without -c): said so, not a format to pass', async () => {
    // It advised --input-format jsonl (every line a bad row) or txt (every line a paid prompt).
    await expect(sniff(['\n{\n  "prompt": "a"\n}\n'])).rejects.toThrow(
      /^<stdin>:2: the first line is "\{" alone: this looks like JSON objects spread over several lines \(as jq prints them without -c\): JSONL needs one object a line \(jq -c\)/,
    );
  });

  it('a first line that starts with { and does not parse names its line number, control characters shown safely', async () => {
    await expect(sniff(['\n\n{oops\x1b[31m\r\n'])).rejects.toThrow(
      /^<stdin>:3: the first line starts with "\{" but is not a JSON object \(\{oops\uFFFD\[31m\): pass --input-format/,
    );
  });
});
