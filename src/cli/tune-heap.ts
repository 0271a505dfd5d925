import v8 from 'node:v8';

const FLAG = '--heap-growing-percent';

/**
 * Limits how far V8 lets the heap grow past its live data between full collections, for a run.
 *
 * By default V8 sizes that factor from the machine's memory: up to 4x on a large machine. A batch run
 * keeps little alive (the prompts in flight and a window of rows) but allocates fast (requests,
 * chunks, rows), so with 4x its RSS climbs far above what is live. 2x keeps it markedly lower at the
 * same speed (before/after peak RSS in bench/results/2026-11-24.md).
 *
 * Read by V8 at every collection, so it works when set at run time (unlike --max-old-space-size).
 * Left alone when the user gave it to node (`node --heap-growing-percent=N …`; NODE_OPTIONS refuses
 * V8 flags, so that is the only way), and on V8 versions newer than the ones known to have it, where
 * an unknown flag would print an error.
 */
export function tuneHeap(execArgv: readonly string[] = process.execArgv): void {
  const major = Number(process.versions.v8.split('.')[0]);
  if (!(major >= 7 && major <= 14)) return;
  if (execArgv.some((a) => a.replace(/_/g, '-').startsWith(FLAG))) return;
  v8.setFlagsFromString(`${FLAG}=100`);
}
