/**
 * Rejections a library leaves unhandled that must not end a run: node 20/22's own fetch parser
 * failing to load under `ulimit -v` (cli/tune-wasm.ts), lmdb's commit failures (cache/). One
 * 'unhandledRejection' listener for them all: any other rejection is thrown, as node would, so one
 * kind tolerated never swallows another. A matcher is given the promise too, so it can tell a
 * rejection by where it comes from rather than by what its message happens to say.
 *
 * The CLI's, for the whole process (cli/tune-wasm.ts, cli/open-cache.ts). The library's own is
 * `tolerateWhileHeld`: a listener that throws ended a host app that handles rejections itself.
 */
type Matcher = (reason: unknown, promise?: Promise<unknown>) => boolean;

const tolerated: Matcher[] = [];

export function tolerateRejection(matches: Matcher): void {
  if (tolerated.length === 0) process.on('unhandledRejection', onUnhandled);
  if (!tolerated.includes(matches)) tolerated.push(matches);
}

export function onUnhandled(reason: unknown, promise?: Promise<unknown>): void {
  if (tolerated.some((matches) => matches(reason, promise))) return;
  throw reason;
}

/** The library's matchers, each with how many holders (open stores) it has. */
const held = new Map<Matcher, number>();

/**
 * The library's listener, there only while something holds it (an open response store: lmdb leaves
 * a failed commit's promise of its own unhandled, which no write of ours can hold). It tolerates
 * what it is held for, and does nothing else while another listener is there (the host app's, or
 * the CLI's): the app decides what its rejections do. Alone, it hands the rest back to node, which
 * then does what its `--unhandled-rejections` mode says, as without it: thrown from here, a host
 * run with `=warn` or `=none` crashed, and one with the default got its crash reported at a line
 * of this bundle (kilobytes of minified code) rather than its own error's.
 */
export function onUnhandledWhileHeld(reason: unknown, promise?: Promise<unknown>): void {
  for (const matches of held.keys()) if (matches(reason, promise)) return;
  if (process.listeners('unhandledRejection').some((listener) => listener !== onUnhandledWhileHeld)) return;
  // Modes where node has done its part before any listener (`warn` warns, `strict` threw it, and an
  // app's 'uncaughtException' took it) or does nothing: handed back, it was said (or taken) twice.
  if (!HANDLED_FIRST.has(unhandledRejectionsMode())) handBack(reason);
}

const HANDLED_FIRST = new Set(['warn', 'strict', 'none']);

/** Node's `--unhandled-rejections` mode: the command line's, else NODE_OPTIONS', else `throw`. */
function unhandledRejectionsMode(): string {
  const flags = [...(process.env.NODE_OPTIONS?.split(/\s+/) ?? []), ...process.execArgv];
  let mode = 'throw';
  for (const flag of flags) {
    const set = /^--unhandled-rejections=(\S+)$/.exec(flag);
    if (set) mode = set[1]!;
  }
  return mode;
}

/**
 * Rejects anew with this listener off, so node's own handling meets it (a crash by default, a
 * warning under `=warn`…); on again once node has seen it, if still held. Replaceable by tests
 * (the test runner treats an unhandled rejection as a failure).
 */
let handBack = (reason: unknown): void => {
  process.off('unhandledRejection', onUnhandledWhileHeld);
  void Promise.reject(reason);
  setImmediate(() => {
    if (held.size > 0 && !process.listeners('unhandledRejection').includes(onUnhandledWhileHeld)) process.on('unhandledRejection', onUnhandledWhileHeld);
  });
};

/** For tests: what {@link onUnhandledWhileHeld} does with a rejection it hands back. */
export function setHandBack(to: (reason: unknown) => void): () => void {
  const before = handBack;
  handBack = to;
  return () => {
    handBack = before;
  };
}

/** Tolerates `matches` until the returned release is called; the listener goes with the last release. */
export function tolerateWhileHeld(matches: Matcher): () => void {
  if (held.size === 0) process.on('unhandledRejection', onUnhandledWhileHeld);
  held.set(matches, (held.get(matches) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = held.get(matches)! - 1;
    if (left > 0) held.set(matches, left);
    else held.delete(matches);
    if (held.size === 0) process.off('unhandledRejection', onUnhandledWhileHeld);
  };
}
