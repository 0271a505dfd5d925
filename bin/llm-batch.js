#!/usr/bin/env node
// Thin shim: everything lives in dist/bundle/ (built by `npm run build`, run on install by `prepare`).
import { main } from '../dist/bundle/main.js';
import { processIo } from '../dist/bundle/io.js';

process.exitCode = await main(process.argv.slice(2), processIo());
