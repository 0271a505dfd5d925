import { describe, expect, it } from 'vitest';
import { isFetchParserFailure, wantsLiftoffOnly } from '../../src/cli/tune-wasm.js';
import { onUnhandled, tolerateRejection } from '../../src/util/tolerate-rejection.js';

describe('wantsLiftoffOnly', () => {
  it('on V8 11 to 13 (node 20, 22 and 24) only', () => {
    expect(wantsLiftoffOnly('11.3.244.8-node.33', [])).toBe(true);
    expect(wantsLiftoffOnly('12.4.254.21-node.33', [])).toBe(true);
    expect(wantsLiftoffOnly('13.6.233.17-node.37', [])).toBe(true);
    expect(wantsLiftoffOnly('10.2.154.26-node.36', [])).toBe(false);
    expect(wantsLiftoffOnly('14.1.146.11-node.14', [])).toBe(false);
  });

  it('not when node was given a WebAssembly flag of its own', () => {
    const flags = [
      '--liftoff',
      '--no-liftoff',
      '--liftoff-only',
      '--wasm-tier-up',
      '--no_wasm_tier_up',
      '--wasm-dynamic-tiering',
      '--wasm-tiering-budget=1000',
    ];
    for (const version of ['11.3.244.8-node.33', '12.4.254.21-node.33', '13.6.233.17-node.37']) {
      for (const flag of flags) expect(wantsLiftoffOnly(version, [flag]), `${version} ${flag}`).toBe(false);
      expect(wantsLiftoffOnly(version, ['--heap-growing-percent=100'])).toBe(true);
    }
  });
});

describe('isFetchParserFailure, tolerated through tolerateRejection', () => {
  const oom = (stack: string) =>
    Object.assign(new RangeError('WebAssembly.instantiate(): Out of memory: Cannot allocate Wasm memory for new instance'), { stack });
  const parser = oom('RangeError: …\n    at lazyllhttp (node:internal/deps/undici/undici:5971:32)');
  const elsewhere = oom('RangeError: …\n    at instantiate (file:///app/other.js:1:1)');

  it('matches only node fetch parser failing to get its WebAssembly memory', () => {
    expect(isFetchParserFailure(parser)).toBe(true);
    expect(isFetchParserFailure(elsewhere)).toBe(false);
    expect(isFetchParserFailure(new Error('boom'))).toBe(false);
  });

  it('once tolerated it is dropped; any other rejection is thrown, as node would', () => {
    const commit = new Error('Commit failed (see commitError for details)');
    tolerateRejection(isFetchParserFailure);
    tolerateRejection((reason) => reason === commit);
    // The listener is the process's: taken off again, called here by hand.
    process.off('unhandledRejection', onUnhandled);
    expect(() => onUnhandled(parser)).not.toThrow();
    expect(() => onUnhandled(commit)).not.toThrow();
    expect(() => onUnhandled(elsewhere)).toThrow(elsewhere);
    expect(() => onUnhandled('a string')).toThrow('a string');
  });
});
