/**
 * What `main` loads for every command but `--help`, `--version` and the Batch API's subcommands:
 * one import of all of the CLI's own code, and of the packages it needs everywhere.
 *
 * esbuild puts each module in a chunk by the set of dynamic imports that reach it, so each lazy
 * `import()` of our own modules cut the run's code into more files: a one-prompt run loaded 94 of
 * them, and node's ES module loader spends CPU on each (resolve, package scope, code cache, link).
 * Loaded as one import, that run loads 35, and `--help` 17 instead of 24 (bench/README.md, issue 16,
 * session 29); with the library built apart (scripts/bundle.mjs), 27 and 13. What stays lazy is what only some runs need and is heavy: the openai SDK (the Batch
 * API and its subcommands, `--trace`), ora and cli-progress, the Unicode width tables, Ajv, the
 * tokenizer, undici, LMDB and csv-parse.
 */
export { runCommand } from './run-command.js';
export { reportCommand } from './report-command.js';
export { runCacheCommand } from './cache-command.js';
