import os from 'node:os';

/** LMDB writes its files in the machine's byte order. */
export const littleEndian = os.endianness() === 'LE';

/** The integers of an LMDB page as this machine wrote them, each read at a byte offset. */
export interface Words {
  u16(at: number): number;
  u32(at: number): number;
  /** Two halves rather than a BigInt: exact to 2^53, far beyond any page number or count here. */
  u64(at: number): number;
}

export function wordsOf(page: Buffer): Words {
  const u16 = (at: number) => (littleEndian ? page.readUInt16LE(at) : page.readUInt16BE(at));
  const u32 = (at: number) => (littleEndian ? page.readUInt32LE(at) : page.readUInt32BE(at));
  return {
    u16,
    u32,
    u64: (at) => (littleEndian ? u32(at) + u32(at + 4) * 2 ** 32 : u32(at) * 2 ** 32 + u32(at + 4)),
  };
}
