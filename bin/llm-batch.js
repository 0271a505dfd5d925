#!/usr/bin/env node
// Thin shim: everything lives in dist/bundle/ (built by `npm run build`, run on install by `prepare`).
// The compile cache is enabled before the bundle loads (imported, not statically linked: node
// compiles a static import graph before it runs any of it).
import { enableCompileCache, exitOnLoadFailure } from '../dist/bundle/start.js';

// A SIGINT or SIGTERM while the bundle loads is held for the run (src/cli/io.ts, HeldSignals).
const early = { held: [], hold: (signal) => early.held.push(signal) };
process.on('SIGINT', early.hold);
process.on('SIGTERM', early.hold);
enableCompileCache();
// Under a low `ulimit -n` the bundle's chunks cannot all be opened: one line and exit 2.
const { main, processIo } = await import('../dist/bundle/main.js').catch(exitOnLoadFailure);
process.exitCode = await main(process.argv.slice(2), processIo(early));
