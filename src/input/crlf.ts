import { Transform } from 'node:stream';

const CR = 0x0d;
const CR_BUFFER = Buffer.from([CR]);

/**
 * Rewrites CRLF as LF before CSV parsing. csv-parse counts a CRLF *inside a quoted cell* as two lines,
 * which would make every later line number wrong in Windows files with multi-line cells; with LF only,
 * its count is exact. As a side effect multi-line cells get `\n` endings whatever the file's origin,
 * so the prompt (and a fallback id hashed from it) does not depend on the line-ending style.
 * Works on bytes: CR and LF never occur inside a UTF-8 multi-byte sequence.
 */
export function crlfToLf(): Transform {
  let heldCR = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      let buf = heldCR ? Buffer.concat([CR_BUFFER, chunk]) : chunk;
      // A CR at the end of a chunk may be the first half of a CRLF split across chunks.
      heldCR = buf.length > 0 && buf[buf.length - 1] === CR;
      if (heldCR) buf = buf.subarray(0, buf.length - 1);
      callback(null, dropCRBeforeLF(buf));
    },
    flush(callback) {
      callback(null, heldCR ? CR_BUFFER : undefined);
    },
  });
}

function dropCRBeforeLF(buf: Buffer): Buffer {
  let at = buf.indexOf('\r\n');
  if (at === -1) return buf;
  const parts: Buffer[] = [];
  let from = 0;
  while (at !== -1) {
    parts.push(buf.subarray(from, at));
    from = at + 1; // keep the LF
    at = buf.indexOf('\r\n', from);
  }
  parts.push(buf.subarray(from));
  return Buffer.concat(parts);
}
