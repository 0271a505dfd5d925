/**
 * Compressed files by their extension: what each is called, and the command that writes one out
 * decompressed (the input is refused by its name, or by its first bytes, with that command).
 */
export const COMPRESSED: Readonly<Record<string, { kind: string; cat: string }>> = {
  '.gz': { kind: 'a gzip file', cat: 'zcat' },
  '.zst': { kind: 'a zstd file', cat: 'zstdcat' },
  '.bz2': { kind: 'a bzip2 file', cat: 'bzcat' },
  '.xz': { kind: 'an xz file', cat: 'xzcat' },
  '.zip': { kind: 'a ZIP archive', cat: 'unzip -p' },
};

/** The command that decompresses a file of `kind` (as COMPRESSED names it) to stdout; undefined for any other kind. */
export const decompressCommand = (kind: string): string | undefined => Object.values(COMPRESSED).find((c) => c.kind === kind)?.cat;
