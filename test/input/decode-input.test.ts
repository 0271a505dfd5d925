import { describe, expect, it } from 'vitest';
import { decodeInput, decodeWhole, firstLineMaxFor, type InputEncoding } from '../../src/input/decode-input.js';
import { MAX_LINE_CHARS } from '../../src/input/read-lines.js';
import { readLines } from '../../src/input/read-lines.js';

async function decode(chunks: Buffer[], encoding?: InputEncoding): Promise<string> {
  const out: Buffer[] = [];
  for await (const b of decodeInput(source(chunks), { source: 'in.txt', encoding })) out.push(b);
  return Buffer.concat(out).toString('utf8');
}

async function* source(chunks: Buffer[]) {
  yield* chunks;
}

/** What decodeInput yields before it throws, and the error's message. */
async function decodeUntilError(chunks: Buffer[], encoding?: InputEncoding): Promise<{ text: string; error: string }> {
  const out: Buffer[] = [];
  try {
    for await (const b of decodeInput(source(chunks), { source: 'in.txt', encoding })) out.push(b);
  } catch (err) {
    return { text: Buffer.concat(out).toString('utf8'), error: (err as Error).message };
  }
  throw new Error('decodeInput did not throw');
}

/** `n` lines of 100 characters: `n` × 101 bytes. */
const filler = (n: number): string => Array.from({ length: n }, (_, i) => `line ${i + 1} `.padEnd(100, 'x')).join('\n') + '\n';

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

  // Real files of these kinds: their ASCII signature, then the binary that follows it.
  it.each([
    ['a Parquet file', Buffer.from('PAR1\x15\x04\x15\x10\x00\x00\x00', 'latin1'), /this is a Parquet file, not prompts/],
    ['a PDF', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n', 'latin1'), /this is a PDF, not prompts/],
    ['an SQLite database', Buffer.from('SQLite format 3\x00\x10\x00\x01\x01', 'latin1'), /this is an SQLite database, not prompts/],
  ])('refuses %s by its signature and the binary beside it', async (_name, bytes, message) => {
    await expect(decode([bytes])).rejects.toThrow(message);
  });

  // A signature of printable ASCII alone is no evidence: these are UTF-8 text without a NUL.
  it.each([['PAR1 of the contract: summarise\nother\n'], ['%PDF-1.7 is a version; explain\n'], ['SQLite format 3 vs 2?\n'], ['PAR1 then café ☕\n']])(
    'reads %j as the text it is',
    async (text) => {
      for (const chunks of splits(Buffer.from(text))) expect(await decode(chunks)).toBe(text);
    },
  );

  it('reads a Latin-1 text that starts like a Parquet file under --encoding latin1', async () => {
    expect(await decode([Buffer.from('PAR1 of the caf\xe9 lease\n', 'latin1')], 'latin1')).toBe('PAR1 of the café lease\n');
  });

  const gzip = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x68, 0x65]);
  const zip = Buffer.from('PK\x03\x04\x14\x00hello\n', 'latin1');
  it.each([
    ['gzip', 'latin1', gzip, /this is a gzip file/],
    ['gzip', 'utf-16le', gzip, /this is a gzip file/],
    ['gzip', 'utf-16be', gzip, /this is a gzip file/],
    ['ZIP', 'latin1', zip, /ZIP archive/],
    ['NUL bytes', 'latin1', Buffer.from('hel\x00lo\n', 'latin1'), /binary file \(it contains NUL bytes\)/],
    ['a U+0000', 'utf-16le', Buffer.from('\uFEFFhel\u0000lo\n', 'utf16le'), /binary file \(it contains NUL bytes\)/],
    ['a U+0000', 'utf-16be', Buffer.from('hel\u0000lo\n', 'utf16le').swap16(), /binary file \(it contains NUL bytes\)/],
    ['UTF-16 without a BOM', 'latin1', Buffer.from('hello world, how are you\n', 'utf16le'), /without a byte-order mark: pass --encoding utf-16le/],
    ['a UTF-16LE BOM', 'latin1', Buffer.from('\uFEFFhé\n', 'utf16le'), /starts with a UTF-16LE byte-order mark, but --encoding latin1 was given/],
    ['a UTF-16LE BOM', 'utf-16be', Buffer.from('\uFEFFhé\n', 'utf16le'), /UTF-16LE byte-order mark, but --encoding utf-16be .*--encoding utf-16le/],
    ['a UTF-8 BOM', 'latin1', Buffer.from('\uFEFFhé\n'), /starts with a UTF-8 byte-order mark, but --encoding latin1/],
  ] as Array<[string, InputEncoding, Buffer, RegExp]>)('refuses %s under --encoding %s before yielding anything', async (_name, encoding, bytes, message) => {
    expect(await decodeUntilError([bytes], encoding)).toEqual({ text: '', error: expect.stringMatching(message) });
  });

  // UTF-16 with a line break always has a NUL (`0A 00`): these went out as CJK mojibake, exit 0.
  it.each([
    ['utf-16le', 'hello there\nworld peace\n', 'UTF-16LE'],
    ['utf-16be', 'hello there\nworld peace\n', 'UTF-16BE'],
    ['utf-16le', 'café ☕\r\nnaïve\n', 'UTF-16LE'],
    ['utf-16le', 'one line, then the cut\nsecond line with no end', 'UTF-16LE'],
  ] as Array<[InputEncoding, string, string]>)('refuses UTF-8 text under --encoding %s (%j), naming the flag to drop', async (encoding, text, name) => {
    const bytes = Buffer.from(text);
    for (const chunks of [[bytes], [bytes, Buffer.from('more\n')]]) {
      expect(await decodeUntilError(chunks, encoding)).toEqual({
        text: '',
        error: `in.txt: looks like UTF-8, not ${name}: it has line breaks but no NUL byte, which UTF-16 text with line breaks always has (0A 00); drop --encoding ${encoding}`,
      });
    }
  });

  it.each([
    ['LE, no BOM', 'utf-16le', Buffer.from('hello there\nworld\n', 'utf16le')],
    ['BE, no BOM', 'utf-16be', Buffer.from('hello there\nworld\n', 'utf16le').swap16()],
    ['LE, a BOM', 'utf-16le', Buffer.from('\uFEFFhello there\nworld\n', 'utf16le')],
    ['BE, a BOM', 'utf-16be', Buffer.from('\uFEFFhello there\nworld\n', 'utf16le').swap16()],
    ['LE, CJK only', 'utf-16le', Buffer.from('日本語\n中文\n', 'utf16le')],
    ['BE, CJK only', 'utf-16be', Buffer.from('日本語\n中文\n', 'utf16le').swap16()],
    // No line break, every byte ASCII (`2A 0A 70 0A…`), LF bytes and all: control bytes say it is no UTF-8 text.
    ['LE, Gurmukhi on one line', 'utf-16le', Buffer.from('ਪੰਜਾਬੀ ਕਿਤਾਬ', 'utf16le')],
    // `0A 4E 77 6D`: an LF byte, all ASCII, valid UTF-8; but no space, and short.
    ['LE, 上海 alone', 'utf-16le', Buffer.from('上海', 'utf16le')],
    ['BE, 上海 alone', 'utf-16be', Buffer.from('上海', 'utf16le').swap16()],
    ['LE, 上上上上上上上上 (every byte ASCII)', 'utf-16le', Buffer.from('上上上上上上上上', 'utf16le')],
  ] as Array<[string, InputEncoding, Buffer]>)('reads real UTF-16 (%s) under --encoding', async (_name, encoding, bytes) => {
    const text = new TextDecoder(encoding).decode(bytes);
    expect(await decode([bytes], encoding)).toBe(text);
  });

  it.each([['utf-8'], ['utf-16le']] as Array<[InputEncoding]>)('a BOM that agrees with --encoding %s is fine', async (encoding) => {
    expect(await decode([Buffer.from('\uFEFFhé\n', encoding === 'utf-8' ? 'utf8' : 'utf16le')], encoding)).toMatch(/^\uFEFF?hé\n$/);
  });

  // 100 lines of 101 bytes: past the start, a NUL names its line and the lines before it are read.
  it.each([
    ['UTF-8', undefined, (text: string) => Buffer.from(text)],
    ['Latin-1', 'latin1', (text: string) => Buffer.from(text, 'latin1')],
    ['UTF-16LE', 'utf-16le', (text: string) => Buffer.from(`\uFEFF${text}`, 'utf16le')],
  ] as Array<[string, InputEncoding | undefined, (text: string) => Buffer]>)(
    'a NUL past the start (%s) stops at its line, after the lines before it',
    async (_name, encoding, encode) => {
      const bytes = encode(`${filler(100)}bad\u0000nul\nafter\n`);
      for (const chunks of [[bytes], [bytes.subarray(0, 4000), bytes.subarray(4000, 10_001), bytes.subarray(10_001)]]) {
        const { text, error } = await decodeUntilError(chunks, encoding);
        expect(error).toMatch(/^in\.txt:101: a NUL byte.*refused as binary/);
        expect(text.replace(/^\uFEFF/, '')).toBe(filler(100));
      }
    },
  );

  it('a NUL in the first 8 KB after lines were passed on (a pipe written twice) names its line: it is no binary file', async () => {
    const { text, error } = await decodeUntilError([Buffer.from('a\nb\n'), Buffer.from('c\u0000d\ne\n')]);
    expect(text).toBe('a\nb\n');
    expect(error).toMatch(/^in\.txt:3: a NUL byte, which text does not have/);
    // In the chunk the input starts with, or after text held whole (no line break yet), it is the start of a binary file.
    for (const chunks of [[Buffer.from('a\nb\nc\u0000d\n')], [Buffer.from('ab'), Buffer.from('c\u0000d\ne\n')]]) {
      expect((await decodeUntilError(chunks)).error).toMatch(/^in\.txt: this is a binary file \(it contains NUL bytes\)/);
    }
  });

  // TextDecoder sent these as U+FFFD without a word: the prompt "�" went out and was billed.
  const le = (text: string) => Buffer.from(`\uFEFF${text}`, 'utf16le');
  const be = (text: string) => le(text).swap16();
  it.each([
    [
      'cut at an odd byte (LE)',
      'utf-16le',
      Buffer.concat([le('hi\nthere\n'), Buffer.from('x')]),
      3,
      /a last byte 0x78 without its pair: the file is cut short/,
    ],
    ['cut at an odd byte (BE)', 'utf-16be', Buffer.concat([be('hi\nthere\n'), Buffer.from([0])]), 3, /a last byte 0x00 without its pair/],
    ['a lone high surrogate (LE)', 'utf-16le', le('hi\nthere\n\uD800x\n'), 3, /an unpaired surrogate 0xD800\)$/],
    ['a lone low surrogate (BE)', 'utf-16be', be('hi\nthere\nok \uDC00\n'), 3, /an unpaired surrogate 0xDC00\)$/],
    ['a high surrogate that ends the file', 'utf-16le', le('hi\nthere\n\uDBFF'), 3, /an unpaired surrogate 0xDBFF\)$/],
    ['two high surrogates (LE)', 'utf-16le', le('hi\nthere\n\uD83D\uD83D\uDE00\n'), 3, /an unpaired surrogate 0xD83D\)$/],
  ] as Array<[string, InputEncoding, Buffer, number, RegExp]>)(
    'damaged UTF-16, %s: stops at its line after the lines before it, however it is chunked (by BOM and by --encoding)',
    async (_name, encoding, bytes, line, what) => {
      for (const given of [undefined, encoding]) {
        for (const chunks of [...splits(bytes), [...bytes].map((b) => Buffer.from([b]))]) {
          const { text, error } = await decodeUntilError(chunks, given);
          expect(error).toMatch(new RegExp(`^in\\.txt:${line}: not valid UTF-16 \\(`));
          expect(error).toMatch(what);
          // Whole lines: the start of the bad line may come first, in a chunk of its own.
          expect(text.slice(0, text.lastIndexOf('\n') + 1)).toBe('hi\nthere\n');
        }
      }
    },
  );

  it('UTF-16 surrogate pairs, a U+FFFD of its own, and a pair cut across chunks are text', async () => {
    const text = 'a 🧪\n\uFFFD 𝄞 b\n';
    for (const bytes of [le(text), be(text)]) for (const chunks of splits(bytes)) expect(await decode(chunks)).toBe(text);
  });

  it('invalid UTF-8 in a chunk stops at its line, after the lines before it in that chunk', async () => {
    const bytes = Buffer.concat([Buffer.from(filler(300)), Buffer.from('caf\xe9\nnext\n', 'latin1')]);
    const { text, error } = await decodeUntilError([bytes.subarray(0, 20_000), bytes.subarray(20_000)]);
    expect(error).toMatch(/^in\.txt:301: not valid UTF-8 \(byte 0xE9\)/);
    expect(text).toBe(filler(300));
  });

  /** The lines readLines gives from decodeInput's output before it stops, and the error. */
  async function linesUntilError(chunks: Buffer[]): Promise<{ lines: string[]; error: string }> {
    const lines: string[] = [];
    try {
      for await (const l of readLines(decodeInput(source(chunks), { source: 'in.txt' }), 'in.txt')) lines.push(`${l.line}:${l.text}`);
    } catch (err) {
      return { lines, error: (err as Error).message };
    }
    throw new Error('readLines did not throw');
  }

  it('a bad byte in a classic Mac file names its line, after the lines before it, however it is chunked', async () => {
    const bytes = Buffer.from('one\rtwo\rth\xe9ree\rfour\r', 'latin1');
    for (const chunks of [...splits(bytes), [...bytes].map((b) => Buffer.from([b]))]) {
      expect(await linesUntilError(chunks)).toEqual({ lines: ['1:one', '2:two'], error: expect.stringMatching(/^in\.txt:3: not valid UTF-8 \(byte 0xE9\)/) });
    }
    // The same bytes with an LF later are an LF file, whose first line holds the bad byte.
    const lf = Buffer.from('one\rtwo\rth\xe9ree\nfour\n', 'latin1');
    for (const chunks of splits(lf)) expect(await linesUntilError(chunks)).toEqual({ lines: [], error: expect.stringMatching(/^in\.txt:1: not valid/) });
  });

  it('a NUL past the start of a classic Mac file names its line, after the lines before it', async () => {
    const mac = filler(100).replaceAll('\n', '\r');
    const bytes = Buffer.from(`${mac}bad\u0000nul\rafter\r`);
    const { lines, error } = await linesUntilError([bytes.subarray(0, 4000), bytes.subarray(4000)]);
    expect(error).toMatch(/^in\.txt:101: a NUL byte/);
    expect(lines).toHaveLength(100);
  });

  it('an empty input is empty', async () => {
    expect(await decode([])).toBe('');
  });
});

describe('decodeInput: a first line held whole', () => {
  /** Yields each chunk, and counts what it yielded. */
  async function* counted(chunks: Buffer[], seen: { chunks: number }) {
    for (const chunk of chunks) {
      seen.chunks++;
      yield chunk;
    }
  }

  it('stops past `firstLineMax` characters without a line break, yielding nothing and reading no further', async () => {
    const seen = { chunks: 0 };
    const chunks = Array.from({ length: 10 }, () => Buffer.from('é'.repeat(30)));
    const read = async () => {
      for await (const _ of decodeInput(counted(chunks, seen), { source: 'in.txt', firstLineMax: 100 }));
    };
    await expect(read()).rejects.toThrow(/^in\.txt:1: line is longer than 100 characters; is this the right file and format\?$/);
    // 'é' is two bytes, one character: 4 chunks hold 120 characters.
    expect(seen.chunks).toBe(4);
  });

  it('lets a first line up to the cap through, and any line once a line break has come', async () => {
    const text = `${'a'.repeat(100)}\n${'b'.repeat(500)}\n`;
    const out: Buffer[] = [];
    for await (const b of decodeInput(source([Buffer.from(text)]), { source: 'in.txt', firstLineMax: 100 })) out.push(b);
    expect(Buffer.concat(out).toString()).toBe(text);
  });

  it('caps a first line where the format is read line by line, and leaves a .json document to its reader', () => {
    expect(firstLineMaxFor('txt')).toBe(MAX_LINE_CHARS);
    expect(firstLineMaxFor('jsonl')).toBe(MAX_LINE_CHARS);
    expect(firstLineMaxFor('csv')).toBe(MAX_LINE_CHARS);
    expect(firstLineMaxFor('json')).toBeUndefined();
    expect(firstLineMaxFor('auto')).toBeUndefined();
  });
});

describe("decodeWhole (a flag's file)", () => {
  it('reads UTF-8 without its byte order mark, and UTF-16 by its mark', () => {
    expect(decodeWhole(Buffer.from('\uFEFFcafé {{x}}\n'))).toEqual({ text: 'café {{x}}\n' });
    expect(decodeWhole(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('café {{x}}', 'utf16le')]))).toEqual({ text: 'café {{x}}' });
    expect(decodeWhole(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('café', 'utf16le').swap16()]))).toEqual({ text: 'café' });
  });

  it('says where it is not UTF-8, damaged UTF-16, or holds a NUL', () => {
    expect(decodeWhole(Buffer.from('one\nR\xe9ponds\n', 'latin1'))).toEqual({
      problem: 'line 2: not valid UTF-8 (byte 0xE9); if it is Latin-1 / Windows-1252, convert it: iconv -f latin1 -t utf-8',
    });
    expect(decodeWhole(Buffer.from([0xff, 0xfe, 0x00, 0xd8, 0x41, 0x00]))).toEqual({
      problem: 'not valid UTF-16LE (it starts with that byte order mark); save it as UTF-8',
    });
    expect(decodeWhole(Buffer.from('a\nb\u0000c'))).toEqual({ problem: 'line 2: a NUL byte, which text does not have; is this the right file?' });
    // UTF-16 without a mark: NULs in every other byte, said as what it is, also with a letter past ASCII (not Latin-1 advice).
    const unmarked = { problem: 'looks like UTF-16LE text without a byte order mark; save it as UTF-8 (or as UTF-16 with its mark)' };
    expect(decodeWhole(Buffer.from('Summarise', 'utf16le'))).toEqual(unmarked);
    expect(decodeWhole(Buffer.from('Réponds', 'utf16le'))).toEqual(unmarked);
    expect(decodeWhole(Buffer.from('Réponds', 'utf16le').swap16())).toEqual({ problem: unmarked.problem.replace('LE', 'BE') });
  });
});
