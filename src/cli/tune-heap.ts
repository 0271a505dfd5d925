import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import { nodeWasGiven, setV8Flag } from '../util/v8-flags.js';

const FLAG = '--heap-growing-percent';
const GROWTH_FLAG = '--semi-space-growth-factor';
const SEMI_SPACE_FLAGS = [GROWTH_FLAG, '--max-semi-space-size', '--min-semi-space-size'];

/**
 * Two semi-spaces of 8 MiB. Node 22 and 24 size the young generation from the machine's memory:
 * node 24 grew it to 2 × 64 MiB here, and a run of 100,000 prompts peaked at 253–276 MB against
 * node 20's 146 (bench/results/2026-12-02-s25.md). Node 20's 2 × 16 MiB cost 15 MB more RSS than
 * this, at 100,000 prompts 160–168 MB on node 22 against 144–151; the smaller nursery cost 8–12 %
 * more CPU while ~270 records waited for a slot and survived its collections, and costs 0–3 % since
 * 16 do (run-batch's READ_AHEAD; bench/results/2026-12-04-s39-read-ahead.md).
 */
export const YOUNG_GENERATION_CAP = 16 * 1024 * 1024;

/**
 * Limits how far V8 lets the heap grow past its live data between full collections, for a run, and
 * caps its young generation (see {@link capYoungGeneration}).
 *
 * By default V8 sizes that factor from the machine's memory: up to 4x on a large machine. A batch run
 * keeps little alive (the prompts in flight and a window of rows) but allocates fast (requests,
 * chunks, rows), so with 4x its RSS climbs far above what is live. 2x keeps it markedly lower at the
 * same speed (before/after peak RSS in bench/results/2026-11-24.md).
 *
 * Read by V8 at every collection, so it works when set at run time (unlike --max-old-space-size).
 * Left alone when the user gave it to node (`node --heap-growing-percent=N …`; NODE_OPTIONS refuses
 * V8 flags, so that is the only way), and on V8 versions newer than the ones known to have it, where
 * an unknown flag would print an error. Returns what it tuned. Called once the run's code has loaded:
 * a built-in module loaded after a V8 flag changes misses node's code cache (see main.ts).
 */
export function tuneHeap(execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): ('growing' | 'young')[] {
  if (!knownV8()) return [];
  const tuned: ('growing' | 'young')[] = [];
  if (!nodeWasGiven(execArgv, [FLAG])) {
    setV8Flag(`${FLAG}=100`, `${FLAG}=0`);
    tuned.push('growing');
  }
  // NODE_OPTIONS may carry --max-semi-space-size (the one of them node allows there).
  if (!nodeWasGiven([...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)], SEMI_SPACE_FLAGS)) {
    capYoungGeneration();
    tuned.push('young');
  }
  return tuned;
}

/**
 * Stops V8 growing the young generation past `capBytes`; returns what undoes it.
 *
 * The semi-spaces' maximum is fixed when the isolate starts (only `node --max-semi-space-size` sets
 * it), but V8 reads the growth factor each time it grows them, after a scavenge: so after every
 * collection the factor is set to 1 (no growth) at the cap and back to V8's 2 below it (V8 shrinks
 * the nursery when allocation slows). A collection's entry reaches the observer a tick after it, so
 * one growth can pass the cap when a single task allocates a whole semi-space. V8 13 (node 24) still
 * grows a nursery whose factor is 1 by one page at a time, so there the cap stops the doubling, not
 * every growth.
 *
 * V8's flag hash covers the factor: code cached while it is 1 (a chunk a long run loads late, such as
 * --report's) does not match a run that never reaches the cap, which compiles that chunk again once.
 */
export function capYoungGeneration(capBytes = YOUNG_GENERATION_CAP): () => void {
  let growing = true;
  const setGrowing = (grow: boolean) => {
    if (grow === growing) return;
    growing = grow;
    setV8Flag(`${GROWTH_FLAG}=${grow ? 2 : 1}`, `${GROWTH_FLAG}=2`);
  };
  const check = () => setGrowing(newSpaceBytes() < capBytes);
  const observer = new PerformanceObserver(check);
  observer.observe({ entryTypes: ['gc'] });
  check();
  return () => {
    observer.disconnect();
    setGrowing(true);
  };
}

const newSpaceBytes = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;

/**
 * Keeps the bytecode of every function this run compiles, for the run that makes the CLI's code
 * cache (src/cli/load-cli.ts). V8 flushes the bytecode of functions that have not run for a while
 * at its full collections, and a cache made at the end of a long run lacked every function that only
 * the start ran (reading the input, resolving the config, opening the output): a 100,000-prompt first
 * run left a cache of 716 KB against 1.24 MB, and V8 takes that cache for ever, so every later run
 * compiled those functions again (~45 ms of a 1,000-prompt run's main thread, issue 16). Put back
 * before the cache is made (v8-flags.ts), and left alone when the user gave node either form.
 */
export function keepBytecode(execArgv: readonly string[] = process.execArgv): boolean {
  if (!knownV8() || nodeWasGiven(execArgv, ['--flush-bytecode', '--no-flush-bytecode'])) return false;
  setV8Flag('--no-flush-bytecode', '--flush-bytecode');
  return true;
}

/** V8 versions known to have the flags set here: an unknown flag makes setFlagsFromString print an error. */
function knownV8(): boolean {
  const major = Number(process.versions.v8.split('.')[0]);
  return major >= 7 && major <= 14;
}
