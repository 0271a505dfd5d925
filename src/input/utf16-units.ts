/**
 * Where UTF-16 bytes stop being text: an unpaired surrogate, or an odd last byte (a file cut short).
 * TextDecoder would send either as U+FFFD without a word, and a fatal one does not say where.
 */
import { isHighSurrogate as isHigh, isLowSurrogate as isLow } from '../util/surrogates.js';

const unitAt = (buf: Buffer, at: number, bigEndian: boolean): number => (bigEndian ? buf.readUInt16BE(at) : buf.readUInt16LE(at));

/** Bytes at the end of `buf` the next chunk may complete: an odd byte, and a high surrogate before it. */
export function utf16Tail(buf: Buffer, bigEndian: boolean): number {
  const odd = buf.length % 2;
  const even = buf.length - odd;
  return even >= 2 && isHigh(unitAt(buf, even - 2, bigEndian)) ? odd + 2 : odd;
}

/** The first damage in `buf` (whole: nothing follows it), as its byte offset and what it is; undefined when it is all text. */
export function utf16Damage(buf: Buffer, bigEndian: boolean): { at: number; what: string } | undefined {
  const hex = (n: number, digits: number) => `0x${n.toString(16).toUpperCase().padStart(digits, '0')}`;
  for (let i = 0; i + 1 < buf.length; i += 2) {
    const unit = unitAt(buf, i, bigEndian);
    if (isHigh(unit) && i + 3 < buf.length && isLow(unitAt(buf, i + 2, bigEndian))) i += 2;
    else if (isHigh(unit) || isLow(unit)) return { at: i, what: `an unpaired surrogate ${hex(unit, 4)}` };
  }
  if (buf.length % 2 === 1) return { at: buf.length - 1, what: `a last byte ${hex(buf[buf.length - 1]!, 2)} without its pair: the file is cut short` };
  return undefined;
}
