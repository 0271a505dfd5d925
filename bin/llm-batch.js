#!/usr/bin/env node
// Thin shim: everything lives in dist/bundle/ (built by `npm run build`, run on install by `prepare`).
// The compile cache is enabled before the CLI loads: it serves the packages the CLI requires (the
// CLI's own script has a code cache of its own: src/cli/load-cli.ts).
import { enableCompileCache, exitOnLoadFailure, loadCli } from '../dist/bundle/start.js';

// A SIGINT or SIGTERM while the CLI loads is held for the run (src/cli/io.ts, HeldSignals).
const early = { held: [], hold: (signal) => early.held.push(signal) };
process.on('SIGINT', early.hold);
process.on('SIGTERM', early.hold);
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
