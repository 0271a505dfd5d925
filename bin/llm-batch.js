#!/usr/bin/env node
// Thin shim: everything lives in dist/bundle/ (built by `npm run build`, and by `prepack` for a
// package). The compile cache is enabled before the CLI loads: it serves the packages the CLI
// requires (the CLI's own script has a code cache of its own: src/cli/load-cli.ts).

// A SIGINT or SIGTERM while the CLI loads is held for the run (src/cli/io.ts, HeldSignals).
const early = { held: [], hold: (signal) => early.held.push(signal) };
process.on('SIGINT', early.hold);
process.on('SIGTERM', early.hold);
let start;
try {
  start = await import('../dist/bundle/start.js');
} catch (err) {
  // A checkout not built (`npm ci` alone does not build): one line, not Node's stack.
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('start.js')) throw err;
  process.stderr.write('llm-batch: not built: run `npm run build` in the checkout first (npm ci alone does not build)\n');
  process.exit(2);
}
const { enableCompileCache, exitOnLoadFailure, loadCli } = start;
enableCompileCache();
let loaded;
try {
  loaded = loadCli();
} catch (err) {
  // Under a low `ulimit -n` the CLI cannot load: one line and exit 2.
  exitOnLoadFailure(err);
}
const { cli, keepCode } = loaded;
// The load is synchronous: a signal that came during it is handled (held) on the loop's next turn.
await new Promise((resolve) => setImmediate(resolve));
process.exitCode = await cli.main(process.argv.slice(2), cli.processIo(early));
keepCode();
