/**
 * The entry of the CLI's build (scripts/bundle.mjs): one CommonJS script, which bin/ compiles with a
 * code cache of its own (src/cli/load-cli.ts), and which the package's ES entry (dist/bundle/index.js)
 * takes the library's API from.
 */
export { main, processIo, codeCacheWorthy, makesCodeCache, restoreV8Flags } from './main.js';
export { cachePackageCode, keepPackageCode } from '../util/cached-cjs.js';

/**
 * The library's API (src/index.ts, re-exported by commands.ts). A require(), which esbuild compiles
 * into the synchronous start of that module in the bundle: the ES entry needs no top-level await,
 * so `require('llm-batch')` works where node can require an ES module. Only in the bundle: as
 * compiled by tsc alone, this module is never run.
 */
export const library = (): typeof import('./commands.js') => require('./commands.js');
