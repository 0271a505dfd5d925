import { addressSpaceLimited } from '../util/address-space.js';
import { tolerateRejection } from '../util/tolerate-rejection.js';
import { setV8Flag } from './v8-flags.js';

/**
 * On node 20 (V8 11), compile WebAssembly with the baseline compiler only. The one module a run
 * compiles is undici's HTTP parser (llhttp), and V8 11 optimizes all of it in background threads
 * at start-up: ~60 ms of CPU, and ~60 ms more before a short run can exit, where the optimized code
 * saves nothing measurable on a long run (bench/results/2026-11-30-hot-s7.md). V8 12 (node 22)
 * optimizes only functions that turn hot; V8 13: see `wantsLaterTierUp`. A node given a
 * WebAssembly flag itself is left alone.
 */
export function wantsLiftoffOnly(v8Version: string, execArgv: readonly string[]): boolean {
  return v8Major(v8Version) === 11 && !hasWasmFlag(execArgv);
}

/** V8 13's default (`node --v8-options`: "a rough approximation of bytes executed" per function). */
const V13_TIERING_BUDGET = 13_000_000;

/** 15 × V8 13's default. */
export const TIERING_BUDGET = 200_000_000;

/**
 * On node 24 (V8 13), optimize llhttp's functions later. With V8 13's default budget they turn
 * "hot" within a run's first requests, and TurboFan compiles most of the module in a background
 * thread: ~27–39 ms of CPU in a one-prompt run. A budget 15 × larger keeps that out of short runs
 * and costs nothing at a high rate (20,000 streamed requests: 176 against 175 µs each), where
 * `--liftoff-only` would cost 3 % (bench/results/2026-11-30-startup-s8.md).
 */
export function wantsLaterTierUp(v8Version: string, execArgv: readonly string[]): boolean {
  return v8Major(v8Version) === 13 && !hasWasmFlag(execArgv);
}

/** `--no-liftoff-only`, and the two flags V8 11 turns off with it (its flag implications). */
const LIFTOFF_ONLY_UNDONE = '--no-liftoff-only --wasm-tier-up --wasm-dynamic-tiering';

const v8Major = (version: string): number => Number(version.split('.')[0]);
const hasWasmFlag = (execArgv: readonly string[]): boolean => execArgv.some((a) => /^--(no-)?(liftoff|wasm)/.test(a.replace(/_/g, '-')));

/**
 * Must run before the chat transport loads: undici compiles the parser when it is imported. And as
 * late as that allows: a built-in module loaded after a V8 flag changes misses node's code cache
 * (see main.ts).
 */
export function tuneWasm(): void {
  if (wantsLiftoffOnly(process.versions.v8, process.execArgv)) setV8Flag('--liftoff-only', LIFTOFF_ONLY_UNDONE);
  else if (wantsLaterTierUp(process.versions.v8, process.execArgv))
    setV8Flag(`--wasm-tiering-budget=${TIERING_BUDGET}`, `--wasm-tiering-budget=${V13_TIERING_BUDGET}`);
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
