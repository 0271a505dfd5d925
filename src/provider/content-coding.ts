import { createRequire } from 'node:module';
import { PassThrough, pipeline, Transform, type Readable } from 'node:stream';
import type zlib from 'node:zlib';
import { AttemptError } from './completion.js';

/**
 * Content codings fetch decodes, and so do our transports. llm-batch asks for none (no
 * Accept-Encoding), but a gateway may compress anyway: its gzip was read as text, every answer
 * failed as a stream cut short (or an unparsable body) and was asked, and billed, four times.
 */
const DECODED = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

/**
 * Compressions nothing here decodes: a body in one of them (or in several codings at once) is no
 * text. Any other label (`UTF-8`, `none`: a gateway's misconfiguration) is passed over, its body
 * read as it came, as fetch reads it.
 */
const COMPRESSED = new Set(['zstd', 'compress', 'x-compress', 'pack200-gzip', 'aes128gcm', 'exi', 'dcb', 'dcz']);

/** Whether a coding (or a list of several) names a compression: one we decode is so only alone. */
function compressedCoding(coding: string): boolean {
  return coding.split(',').some((name) => COMPRESSED.has(name.trim()) || DECODED.has(name.trim()));
}

/** A response's content-coding, lower-cased; undefined for none (or `identity`). */
export function contentCoding(header: string | null): string | undefined {
  const name = header?.trim().toLowerCase();
  return name && name !== 'identity' ? name : undefined;
}

/** Whether fetch (and our transports) decode the coding a body came in. */
export function decodedCoding(coding: string): boolean {
  return DECODED.has(coding);
}

/**
 * A decompressor for a body in `coding`, flushing what each chunk completes, so a stream's events
 * come as they arrive (as fetch's: Z_SYNC_FLUSH). Throws {@link undecodable} for any other coding.
 */
export function decompressor(coding: string): Transform {
  if (!decodedCoding(coding)) throw undecodable(coding);
  const { constants, createBrotliDecompress, createGunzip } = nodeZlib();
  if (coding === 'br') return createBrotliDecompress({ flush: constants.BROTLI_OPERATION_FLUSH, finishFlush: constants.BROTLI_OPERATION_FLUSH });
  const flush = { flush: constants.Z_SYNC_FLUSH, finishFlush: constants.Z_SYNC_FLUSH };
  return coding === 'deflate' ? inflater(flush) : createGunzip(flush);
}

/**
 * `deflate` as fetch reads it: zlib-wrapped as HTTP says, or the raw deflate some servers send
 * under that name (told by the first byte: a zlib header's low nibble is 8, deflate's method).
 */
function inflater(flush: zlib.ZlibOptions): Transform {
  const { createInflate, createInflateRaw } = nodeZlib();
  let inner: Transform | undefined;
  const outer = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (inner === undefined) {
        inner = (chunk[0]! & 0x0f) === 0x08 ? createInflate(flush) : createInflateRaw(flush);
        inner.on('data', (data: Buffer) => outer.push(data));
        inner.once('error', (err) => outer.destroy(err));
      }
      inner.write(chunk, () => done());
    },
    flush(done) {
      if (inner === undefined) return done();
      inner.once('end', () => done());
      inner.end();
    },
  });
  return outer;
}

/**
 * node:zlib on first use, through `require` (an ESM import builds its facade): only a gateway that
 * compresses unasked needs it, and loading it cost every run that sends ~2-4 ms of CPU.
 */
const nodeZlib = (): typeof zlib => createRequire(import.meta.url)('node:zlib') as typeof zlib;

/** A status outside 2xx: its status decides the attempt, so its body is decoded leniently (see leniently). */
export const errorStatus = (status: number): boolean => status < 200 || status > 299;

/**
 * A 2xx body in a compression nothing decodes: the attempt's failure ({@link undecodable}). An error
 * status's body is read as it is: its status says what went wrong.
 */
export function undecodableBody(coding: string | undefined, status: number): AttemptError | undefined {
  return coding === undefined || decodedCoding(coding) || !compressedCoding(coding) || errorStatus(status) ? undefined : undecodable(coding);
}

/**
 * A node:http response's body (our fetch's, the proxy path's) decoded as fetch decodes it: a known
 * coding decompressed, an error status's leniently; any other coding as it came (see
 * {@link undecodableBody}). A decompressor's failure comes out of the stream returned.
 */
export function decodedBody(body: Readable, coding: string | undefined, status: number): Readable {
  if (coding === undefined || !decodedCoding(coding)) return body;
  return errorStatus(status) ? leniently(body, coding) : pipeline(body, decompressor(coding), () => {});
}

/**
 * An error status's body, decoded where it can be: its status decides the attempt, so bytes that
 * fail to decode end the body there rather than failing it (a 401's page in a broken gzip is still a 401).
 */
function leniently(body: Readable, coding: string): Readable {
  const out = new PassThrough();
  const inflater = decompressor(coding);
  body.once('error', (err) => out.destroy(err));
  body.pipe(inflater);
  inflater.on('data', (chunk: Buffer) => out.write(chunk));
  inflater.once('end', () => out.end());
  inflater.once('error', () => out.end());
  // Its reader gone (a body cancelled): the connection goes too.
  out.once('close', () => body.destroy());
  return out;
}

/** A body in a coding no transport decodes: every request would get one, so the endpoint's failure (see circuit-breaker.ts). */
function undecodable(coding: string): AttemptError {
  return new AttemptError('bad_response', `the server sent its body with content-encoding ${JSON.stringify(coding)}, which llm-batch cannot decode`, {
    code: 'encoded_response',
  });
}

/**
 * A decompressor's failure (bytes that are not what the header says), as the attempt's; anything
 * else as it is. A fetch `Response` hands it on as a TypeError with the decompressor's as its cause.
 */
export function decodeFailure(err: unknown, coding: string): unknown {
  for (let e: unknown = err, depth = 0; e && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    // zlib's Z_DATA_ERROR…, brotli's ERR__ERROR_FORMAT_PADDING_1…
    if (typeof code === 'string' && /^(Z_|ERR__|ERR_BROTLI)/.test(code) && (e as Error).message) {
      return new AttemptError('bad_response', `the server's ${coding} body could not be decoded (${(e as Error).message})`, { code: 'encoded_response' });
    }
  }
  return err;
}
