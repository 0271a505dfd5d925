import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { once } from 'node:events';
import { decodeInput, type InputEncoding } from '../input/decode-input.js';
import { counted } from '../util/group-digits.js';

export interface InputFingerprint {
  /** `sha256:<hex>` of the whole file. */
  hash: string;
  bytes: number;
}

/**
 * Hash of the input file (or of its first `bytes`), so a resume can tell whether the input changed.
 * With `decode`, the same pass checks the text's encoding (see decodeInput), so a Latin-1 line
 * deep in the file is refused before the first request is paid for.
 */
export async function fingerprintFile(file: string, bytes?: number, decode?: { encoding: InputEncoding | undefined }): Promise<InputFingerprint | null> {
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
      if (!stream.closed) {
        stream.destroy();
        await once(stream, 'close');
      }
    }
  }
  if (decode) {
    for await (const _ of decodeInput(hashed(), { source: file, encoding: decode.encoding }));
  } else {
    for await (const _ of hashed());
  }
  return { hash: `sha256:${hash.digest('hex')}`, bytes: read };
}

/**
 * Compares the input a resume reads with the one the output was started from. Prompts appended
 * to the end are the common workflow (ids are content hashes, so the old rows still match): that
 * is accepted. Anything else is said in words.
 * Returns null when the input is the same or only grew, else the sentence to show.
 */
export async function inputChange(file: string, previous: { hash: unknown; bytes: unknown }, current: InputFingerprint): Promise<string | null> {
  if (previous.hash === current.hash) return null;
  if (typeof previous.bytes !== 'number') {
    return `the input ${file} changed since the output was started (older runs recorded only a hash, so appended prompts cannot be told from edits)`;
  }
  if (current.bytes < previous.bytes) {
    return `the input ${file} is shorter than when the output was started (${counted(previous.bytes, 'byte')} then, ${counted(current.bytes, 'byte')} now): prompts were removed or edited`;
  }
  const prefix = await fingerprintFile(file, previous.bytes);
  if (prefix?.hash === previous.hash) return null;
  return `the input ${file} was edited since the output was started (not just added to: its first ${counted(previous.bytes, 'byte')} differ)`;
}
