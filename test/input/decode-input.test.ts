import { describe, expect, it } from 'vitest';
import { decodeInput, type InputEncoding } from '../../src/input/decode-input.js';

async function decode(chunks: Buffer[], encoding?: InputEncoding): Promise<string> {
  async function* source() {
    yield* chunks;
  }
  const out: Buffer[] = [];
  for await (const b of decodeInput(source(), { source: 'in.txt', encoding })) out.push(b);
  return Buffer.concat(out).toString('utf8');
}

/** Every way of cutting `buf` into two chunks. */
const splits = (buf: Buffer): Buffer[][] => Array.from({ length: buf.length + 1 }, (_, i) => [buf.subarray(0, i), buf.subarray(i)]);

describe('decodeInput', () => {
  const text = 'café ☕ 日本\r\nsecond 🧪 line\n';

  it('passes valid UTF-8 through unchanged, however it is chunked', async () => {
    const bytes = Buffer.from(text);
    for (const chunks of splits(bytes)) expect(await decode(chunks)).toBe(text);
  });

  it.each([
    ['UTF-16 LE', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
    ['UTF-16 BE', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()])],
  ])('decodes %s by its BOM, however it is chunked', async (_name, bytes) => {
    for (const chunks of splits(bytes)) expect(await decode(chunks)).toBe(text);
  });

  it('refuses invalid UTF-8 naming the line and --encoding latin1; decodes it with that flag', async () => {
    const bytes = Buffer.from('one\ntwo\ncaf\xe9\n', 'latin1');
    for (const chunks of splits(bytes)) await expect(decode(chunks)).rejects.toThrow(/^in\.txt:3: not valid UTF-8 \(byte 0xE9\).*--encoding latin1/);
    expect(await decode([bytes], 'latin1')).toBe('one\ntwo\ncafé\n');
  });

  it('Windows-1252 characters under --encoding latin1 (as browsers read "latin1")', async () => {
    expect(await decode([Buffer.from([0x93, 0x68, 0x69, 0x94, 0x80])], 'latin1')).toBe('“hi”€');
  });

  it.each([
    ['a ZIP (.xlsx)', Buffer.from('PK\x03\x04\x14\x00\x06\x00', 'latin1'), /ZIP archive/],
    ['gzip', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00]), /gzip/],
    ['NUL bytes', Buffer.from('abc\x00def\n', 'latin1'), /binary file \(it contains NUL bytes\)/],
    ['UTF-16 without a BOM', Buffer.from('hello world, how are you\n', 'utf16le'), /UTF-16 text without a byte-order mark: pass --encoding utf-16le/],
  ])('refuses %s before yielding anything', async (_name, bytes, message) => {
    await expect(decode([bytes])).rejects.toThrow(message);
  });

  it('an empty input is empty', async () => {
    expect(await decode([])).toBe('');
  });
});
