/**
 * What bin/ loads first, whole (built apart: see scripts/bundle.mjs): the compile cache, switched on
 * before the CLI's code loads, the CLI's loader with its own code cache, and what is said when that
 * code cannot load for want of file descriptors.
 */
export { enableCompileCache } from './compile-cache.js';
export { loadCli } from './load-cli.js';
export { exitOnLoadFailure } from './too-few-files.js';
