/** FNV-1a over a string's code units, 32 bits: a quick hash where no crypto need load (`seed`: another of the family). */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
