/**
 * The one of `known` a misspelt `word` was most likely meant as, for a "did you mean" hint: the same
 * but for case, `-`/`_` and spaces, else at most two edits away (a letter added, dropped, changed or
 * two swapped: `cached_inpt`, `outptu`); undefined when none is that close.
 */
export function closestWord(word: string, known: readonly string[]): string | undefined {
  const plain = (w: string) => w.toLowerCase().replace(/[-_\s]/g, '');
  const same = known.find((k) => plain(k) === plain(word));
  if (same !== undefined) return same;
  let best: { word: string; distance: number } | undefined;
  for (const k of known) {
    const distance = editDistance(word.toLowerCase(), k.toLowerCase());
    if (distance <= 2 && distance < word.length && (!best || distance < best.distance)) best = { word: k, distance };
  }
  return best?.word;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
