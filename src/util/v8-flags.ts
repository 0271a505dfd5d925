import v8 from 'node:v8';

/** Each V8 flag this process changed at run time (by name), with the setting V8 started with. */
const started = new Map<string, string>();
/** The same flags' settings now. */
const current = new Map<string, string>();
let restored = false;

/**
 * Sets a V8 flag at run time (`--name=value`, `--name`, `--no-name`); `initial` is V8's own setting
 * of it (`--heap-growing-percent=0`), what {@link restoreV8Flags} puts back, with V8's own settings of
 * the flags V8 changes with it (its implications). Only for a flag the user did not give node: theirs
 * is what the process started with.
 */
export function setV8Flag(setting: string, initial: string): void {
  if (restored) return;
  const name = setting.replace(/^--(no-)?/, '').replace(/=.*/, '');
  if (!started.has(name)) started.set(name, initial);
  current.set(name, setting);
  v8.setFlagsFromString(setting);
}

/**
 * Runs `load` (a `require` of code from node_modules) with V8's flags as they started, then sets
 * them back. Node's compile cache stamps a module's code with a hash of V8's flags, and rejects
 * (then compiles afresh, and writes again) a cache stamped otherwise. The young generation's growth
 * factor changes with every collection that reaches its cap (tune-heap.ts): LMDB and msgpackr
 * (250 KB of script, loaded once the run is under way) found their caches rejected in 2 runs of 3,
 * each reparsing them and writing them again (~20 ms of CPU a run, issue 16). As started, the hash is
 * the same in every run.
 */
export function withStartFlags<T>(load: () => T): T {
  if (restored || started.size === 0) return load();
  setStartFlags();
  try {
    return load();
  } finally {
    for (const setting of current.values()) v8.setFlagsFromString(setting);
  }
}

/**
 * Puts back every flag {@link setV8Flag} changed, and ignores later changes. V8 stamps a code cache
 * with a hash of its flags and rejects one whose stamp differs from the process reading it: the CLI's
 * code cache is made at the end of a run (src/cli/load-cli.ts) but read at the start of the next,
 * before any flag is set, so it is made with the flags back as they started (V8 hashes the flags'
 * values, so the same values give the same hash).
 */
export function restoreV8Flags(): void {
  restored = true;
  setStartFlags();
}

function setStartFlags(): void {
  for (const initial of started.values()) v8.setFlagsFromString(initial);
}

/**
 * Whether node was started with a flag beginning with one of `flags` (`--name`, `--no-name`: V8
 * takes `_` for `-`). A flag the user gave is theirs: the run's V8 tuning leaves it alone.
 */
export const nodeWasGiven = (args: readonly string[], flags: readonly string[]): boolean =>
  args.some((a) => flags.some((f) => a.replace(/_/g, '-').startsWith(f)));
