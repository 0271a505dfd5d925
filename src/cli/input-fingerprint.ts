import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { bomOf, type InputEncoding } from '../input/decode-input.js';
import { LINE_BREAKS_HEAD_CHARS, LineBreakSniffer } from '../input/read-lines.js';
import { checkInputText, type InputDecoding } from './input-decoding.js';
import { counted } from '../util/group-digits.js';

export interface InputFingerprint {
  /** `sha256:<hex>` of the whole file. */
  hash: string;
  bytes: number;
}

/**
 * Hash of the input file (or of its first `bytes`), so a resume can tell whether the input changed.
 * With `decode`, the same pass checks the text's encoding (see decodeInput) and, for a format read
 * line by line, its lines' length, so a Latin-1 line deep in the file is refused before the first
 * request is paid for.
 */
export async function fingerprintFile(file: string, bytes?: number, decode?: InputDecoding): Promise<InputFingerprint | null> {
  const stat = await fs.promises.stat(file);
  if (!stat.isFile()) return null;
  if (bytes !== undefined && bytes > stat.size) return null;
  const hash = createHash('sha256');
  let read = 0;
  const options = bytes === undefined ? {} : bytes === 0 ? undefined : { end: bytes - 1 };
  async function* hashed(): AsyncGenerator<Buffer> {
    if (options === undefined) return;
    const stream = fs.createReadStream(file, options);
    try {
      for await (const chunk of stream) {
        hash.update(chunk as Buffer);
        read += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    } finally {
      // A failed decode ends the read early: its descriptor closes asynchronously, so wait for it
      // (a caller that reports the error and exits, or retries, must not find the file still open).
      // Ended by the reader's return (a line too long), the stream is destroyed with an AbortError:
      // what stopped the read is said already, and that error must not take its place.
      if (!stream.closed) {
        const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
        stream.on('error', () => {});
        stream.destroy();
        await closed;
      }
    }
  }
  if (decode) {
    await checkInputText(hashed(), file, decode);
  } else {
    for await (const _ of hashed());
  }
  return { hash: `sha256:${hash.digest('hex')}`, bytes: read };
}

/**
 * Compares the input a resume reads with the one the output was started from. Prompts appended
 * to the end are the common workflow (ids are content hashes, so the old rows still match): that
 * is accepted, unless the old last line had no newline and the text appended continued it (`beta`
 * became `betagamma`: an edited prompt, whose old answer would stay as if still asked). Anything
 * else is said in words. `encoding` is --encoding's (else the file's BOM says, else UTF-8).
 * Returns null when the input is the same or only grew, else the sentence to show.
 */
export async function inputChange(
  file: string,
  previous: { hash: unknown; bytes: unknown },
  current: InputFingerprint,
  encoding?: InputEncoding,
): Promise<string | null> {
  if (previous.hash === current.hash) return null;
  if (typeof previous.bytes !== 'number') {
    return `the input ${file} changed since the output was started (older runs recorded only a hash, so appended prompts cannot be told from edits)`;
  }
  // Read whole only when the input did not just grow (the common resume reads its first bytes alone).
  const converted = () => onlyLineEndsChanged(file, previous as { hash: unknown; bytes: number }, current, encoding);
  if (current.bytes < previous.bytes) {
    if (await converted()) return null;
    return `the input ${file} is shorter than when the output was started (${counted(previous.bytes, 'byte')} then, ${counted(current.bytes, 'byte')} now): prompts were removed or edited`;
  }
  const prefix = await fingerprintFile(file, previous.bytes);
  if (prefix?.hash !== previous.hash) {
    if (await converted()) return null;
    return `the input ${file} was edited since the output was started (not just added to: its first ${counted(previous.bytes, 'byte')} differ)`;
  }
  const joined = await joinedLine(file, previous.bytes, encoding);
  if (joined === undefined) return null;
  return (
    `the input ${file} was edited since the output was started (not just added to: its last line, line ${joined}, had no newline, ` +
    `so the text appended joined that line; a line break where it ended keeps it as it was)`
  );
}

/**
 * Whether the file is, byte for byte, the one the output was started from with its line ends
 * converted, CRLF to LF (dos2unix, an editor's save) or LF to CRLF (git's autocrlf on Windows): its
 * records and ids are the same, as the readers take both line ends alike. Told exactly, by hashing
 * the file converted back; a file whose size does not fit such a conversion is not read twice.
 * UTF-8 and Latin-1 only (a byte is a line end's unit there).
 */
async function onlyLineEndsChanged(
  file: string,
  previous: { hash: unknown; bytes: number },
  current: InputFingerprint,
  encoding?: InputEncoding,
): Promise<boolean> {
  if (encoding === 'utf-16le' || encoding === 'utf-16be' || current.bytes === previous.bytes) return false;
  let lf = 0;
  let crlf = 0;
  let lastCR = false;
  for await (const chunk of fs.createReadStream(file)) {
    const buf = chunk as Buffer;
    for (let at = buf.indexOf(0x0a); at !== -1; at = buf.indexOf(0x0a, at + 1)) {
      lf++;
      if (at > 0 ? buf[at - 1] === 0x0d : lastCR) crlf++;
    }
    lastCR = buf.length > 0 && buf[buf.length - 1] === 0x0d;
  }
  // Now all LF, once all CRLF: one byte more per line end then. Now all CRLF, once all LF: one fewer.
  const toCrlf = crlf === 0 && previous.bytes === current.bytes + lf;
  const toLf = crlf === lf && lf > 0 && previous.bytes === current.bytes - lf;
  if (!toCrlf && !toLf) return false;
  const hash = createHash('sha256');
  let pendingCR = false;
  for await (const chunk of fs.createReadStream(file)) {
    let buf = chunk as Buffer;
    if (toCrlf) {
      hash.update(Buffer.from(buf.toString('latin1').replace(/\n/g, '\r\n'), 'latin1'));
      continue;
    }
    // CRLF back to LF, a CR at a chunk's end held until the next chunk says whether an LF follows.
    if (pendingCR) buf = Buffer.concat([Buffer.from([0x0d]), buf]);
    pendingCR = buf.length > 0 && buf[buf.length - 1] === 0x0d;
    if (pendingCR) buf = buf.subarray(0, -1);
    hash.update(Buffer.from(buf.toString('latin1').replace(/\r\n/g, '\n'), 'latin1'));
  }
  if (pendingCR) hash.update(Buffer.from([0x0d]));
  return `sha256:${hash.digest('hex')}` === previous.hash;
}

/**
 * The number of the input's last line when it had no newline at the end of its first `bytes` and
 * the bytes after them continue it (a CRLF or LF after them ends it as it was), else undefined.
 * Lines are counted as the readers count them: every `\n` of the decoded text.
 */
async function joinedLine(file: string, bytes: number, encoding: InputEncoding | undefined): Promise<number | undefined> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(3);
    const { bytesRead } = await handle.read(head, 0, 3, 0);
    const bom = bomOf(head.subarray(0, bytesRead));
    const used = encoding ?? bom?.encoding ?? 'utf-8';
    const wide = used === 'utf-16le' || used === 'utf-16be';
    // A BOM alone is no line to join.
    if (bytes <= (bom ? bom.bytes : 0)) return undefined;
    const unit = wide ? 2 : 1;
    const around = Buffer.alloc(3 * unit);
    const { bytesRead: got } = await handle.read(around, 0, around.length, bytes - unit);
    const char = (at: number): number | undefined =>
      got < (at + 1) * unit
        ? undefined
        : used === 'utf-16le'
          ? around.readUInt16LE(at * unit)
          : used === 'utf-16be'
            ? around.readUInt16BE(at * unit)
            : around[at];
    const LF = 0x0a;
    const CR = 0x0d;
    if (char(0) === LF || char(1) === LF || (char(1) === CR && char(2) === LF)) return undefined;
    if (await crLineBreaks(handle, used)) {
      // A classic Mac file: a CR ends a line too (the readers split it so), before the bytes or after.
      if (char(0) === CR || char(1) === CR) return undefined;
      let lines = 1;
      const decoder = new TextDecoder(used === 'latin1' ? 'windows-1252' : used);
      for await (const chunk of fs.createReadStream(file, { start: 0, end: bytes - 1 }))
        lines += decoder.decode(chunk as Buffer, { stream: true }).match(/\r\n?|\n/g)?.length ?? 0;
      return lines;
    }
    let lines = 1;
    const decoder = wide ? new TextDecoder(used) : undefined;
    for await (const chunk of fs.createReadStream(file, { start: 0, end: bytes - 1 })) {
      const buf = chunk as Buffer;
      if (decoder) {
        const text = decoder.decode(buf, { stream: true });
        for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines++;
      } else {
        for (let at = buf.indexOf(LF); at !== -1; at = buf.indexOf(LF, at + 1)) lines++;
      }
    }
    return lines;
  } finally {
    await handle.close();
  }
}

/**
 * Whether the file's lines end in a lone CR, as readLines reads it (see lineBreaksOf): read until the
 * rule tells, which may be past any fixed head (a first CR after 500,000 characters needs 64K more:
 * a head of 512 KB refused a good append to such a file as its last line "had no newline").
 */
async function crLineBreaks(handle: fs.promises.FileHandle, encoding: InputEncoding): Promise<boolean> {
  const decoder = new TextDecoder(encoding === 'latin1' ? 'windows-1252' : encoding);
  const sniff = new LineBreakSniffer();
  const chunk = Buffer.alloc(4 * LINE_BREAKS_HEAD_CHARS);
  for (let position = 0; ; ) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    position += bytesRead;
    const whole = bytesRead === 0;
    const text = whole ? decoder.decode() : decoder.decode(chunk.subarray(0, bytesRead), { stream: true });
    const breaks = sniff.feed(text, whole);
    if (breaks !== undefined || whole) return breaks === 'cr';
  }
}
