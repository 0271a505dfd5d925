/**
 * What `main` loads for every command but `--help`, `--version` and the Batch API's subcommands:
 * one import of all of the CLI's own code, and of the packages it needs everywhere.
 *
 * When the CLI was ES chunks, esbuild put each module in a chunk by the set of dynamic imports that
 * reach it, and node's loader spent CPU on each file: one import here took a one-prompt run from 94
 * files to 35 (bench/README.md, issue 16, session 29). In the one script the CLI is now
 * (scripts/bundle.mjs) an import() starts its modules without reading a file, and this one stays the
 * boundary between what every run needs and what only some do, heavy and lazy: the openai SDK (the
 * Batch API and its subcommands, `--trace`), ora and cli-progress, the Unicode width tables, Ajv,
 * the tokenizer, undici, LMDB and csv-parse.
 */
export { runCommand } from './run-command.js';
export { reportCommand } from './report-command.js';
export { runCacheCommand } from './cache-command.js';
/**
 * The library's API, which the package's entry (dist/bundle/index.js, written by
 * scripts/bundle.mjs) takes from here through the CLI's script (src/cli/cli-bundle.ts): built apart
 * it shipped a second copy of undici, the openai SDK and Ajv (the install passed its 30 MB).
 */
export * from '../index.js';
