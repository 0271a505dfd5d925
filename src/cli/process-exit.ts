/**
 * What the CLI does as the process exits, in one listener on node's `exit` so that it can be the
 * last: {@link exitAtOnce} ends the process from there, and a listener after it would never run.
 */
const hooks: Array<() => void> = [];
let atOnce = false;

function onExit(): void {
  for (const hook of hooks.splice(0)) hook();
  // From inside `exit`, node ends the process here, with process.exitCode, as process.exit() does.
  if (atOnce) process.exit();
}

let listening = false;

function listen(): void {
  if (listening) return;
  listening = true;
  process.once('exit', onExit);
}

/** Runs `hook` as the process exits (before it ends at once, if asked: see exitAtOnce). */
export function atProcessExit(hook: () => void): void {
  hooks.push(hook);
  listen();
}

/**
 * Once a run has ended: the process ends as soon as node's `exit` has run its listeners, not after
 * node has torn the environment down (~7-13 ms, and ~10 ms of CPU). Node puts every signal back to
 * its default there, so a SIGINT or SIGTERM in those milliseconds ended a run whose summary said
 * exit 0 with 130 or 143. The loop is empty at `exit`: nothing written is waiting. Moves this
 * module's listener after those registered since (lmdb's, which closes its files), so all run.
 */
export function exitAtOnce(): void {
  atOnce = true;
  if (listening) process.off('exit', onExit);
  listening = false;
  listen();
}
