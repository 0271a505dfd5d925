import { addressSpaceLimited } from '../util/address-space.js';
import { tolerateRejection } from '../util/tolerate-rejection.js';
import { nodeWasGiven, setV8Flag } from '../util/v8-flags.js';

/**
 * On node 20, 22 and 24 (V8 11-13), compile WebAssembly with the baseline compiler only. The one
 * module a run compiles is undici's HTTP parser (llhttp). V8 11 optimizes all of it in background
 * threads at start-up: ~60 ms of CPU, and ~60 ms more before a short run can exit, where the
 * optimized code saves nothing measurable on a long run (bench/results/2026-11-30-hot-s7.md). V8 12
 * and 13 optimize only functions that turn hot, but the parser's main function (a state machine in
 * one loop, 29 KB of code) turns hot within a run's first hundred requests, and TurboFan takes 40-90
 * ms of CPU to compile it (node 24's 15 × tiering budget, until 2026-12-04, did not delay it). A
 * 100-prompt run: 0.229 → 0.171 s on node 22, 0.213 → 0.176 s on node 24; 1,000 answers of 200
 * words 3-8 % less. The optimized parser pays only where parsing is most of the work: 20,000 short
 * answers streamed at a high rate cost 1 % more (bench/results/2026-12-04-s41-cpu-curve.md). A
 * node given a WebAssembly flag itself is left alone.
 */
export function wantsLiftoffOnly(v8Version: string, execArgv: readonly string[]): boolean {
  const major = v8Major(v8Version);
  return major >= 11 && major <= 13 && !hasWasmFlag(execArgv);
}

/**
 * `--liftoff-only` and the two flags V8 turns off with it (its flag implications), each with V8's own
 * setting. Set one by one: on node 24, `--liftoff-only` set alone at run time still let TurboFan
 * compile the parser (measured; V8 13 seems not to apply implications to a flag set then).
 */
const LIFTOFF_ONLY: ReadonlyArray<readonly [setting: string, initial: string]> = [
  ['--liftoff-only', '--no-liftoff-only'],
  ['--no-wasm-tier-up', '--wasm-tier-up'],
  ['--no-wasm-dynamic-tiering', '--wasm-dynamic-tiering'],
];

const v8Major = (version: string): number => Number(version.split('.')[0]);
const hasWasmFlag = (execArgv: readonly string[]): boolean => nodeWasGiven(execArgv, ['--liftoff', '--no-liftoff', '--wasm', '--no-wasm']);

/**
 * Must run before the chat transport loads: undici compiles the parser when it is imported. And as
 * late as that allows: a built-in module loaded after a V8 flag changes misses node's code cache
 * (see main.ts).
 */
export function tuneWasm(): void {
  if (wantsLiftoffOnly(process.versions.v8, process.execArgv)) for (const [setting, initial] of LIFTOFF_ONLY) setV8Flag(setting, initial);
  if (addressSpaceLimited()) tolerateRejection(isFetchParserFailure);
}

/**
 * Under `ulimit -v`, node 20 and 22 crash on the first use of their own `Response` or `Headers`
 * (the SDK's, and `--mock`'s): loading them starts compiling node's copy of undici's parser, which
 * cannot get its ~10 GB WebAssembly reservation, and nothing in node handles that rejection. Our
 * requests never use that parser there (they go over node:http), so the rejection is tolerated.
 */
export function isFetchParserFailure(reason: unknown): boolean {
  return reason instanceof RangeError && /Cannot allocate Wasm memory/.test(reason.message) && /lazyllhttp/.test(reason.stack ?? '');
}
