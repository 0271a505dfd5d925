/**
 * What `main` loads for every command but `--help`, `--version` and the Batch API's subcommands:
 * one import of all of the CLI's own code, and of the packages it needs everywhere.
 *
 * esbuild puts each module in a chunk by the set of dynamic imports that reach it, so each lazy
 * `import()` of our own modules cut the run's code into more files: a one-prompt run loaded 94 of
 * them, and node's ES module loader spends CPU on each (resolve, package scope, code cache, link).
 * Loaded as one import, that run loads 35, and `--help` 17 instead of 24 (bench/README.md, issue 16,
 * session 29); with compile-cache.js (now start.js) built apart and the library's entry re-exported from here
 * (scripts/bundle.mjs), 31 and 14. What stays lazy is what only some runs need and is heavy: the
 * openai SDK (the Batch API and its subcommands, `--trace`), ora and cli-progress, the Unicode width
 * tables, Ajv, the tokenizer, undici, LMDB and csv-parse.
 */
export { runCommand } from './run-command.js';
export { reportCommand } from './report-command.js';
export { runCacheCommand } from './cache-command.js';
/**
 * The library's API, which the package's entry (dist/bundle/index.js, written by
 * scripts/bundle.mjs) re-exports from here: built as an entry of its own it cut the CLI's code
 * into more chunks, and built apart it shipped a second copy of the tokenizer, undici, the openai
 * SDK and Ajv (~3.5 MB: the install passed its 30 MB).
 */
export * from '../index.js';
