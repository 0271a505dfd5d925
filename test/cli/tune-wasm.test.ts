import { describe, expect, it } from 'vitest';
import { ignoreFetchParserFailure, wantsLaterTierUp, wantsLiftoffOnly } from '../../src/cli/tune-wasm.js';

describe('wantsLiftoffOnly', () => {
  it('on V8 11 (node 20) only', () => {
    expect(wantsLiftoffOnly('11.3.244.8-node.33', [])).toBe(true);
    expect(wantsLiftoffOnly('12.4.254.21-node.33', [])).toBe(false);
    expect(wantsLiftoffOnly('13.6.233.17-node.37', [])).toBe(false);
  });

  it('not when node was given a WebAssembly flag of its own', () => {
    for (const flag of ['--liftoff', '--no-liftoff', '--liftoff-only', '--wasm-tier-up', '--no_wasm_tier_up', '--wasm-dynamic-tiering']) {
      expect(wantsLiftoffOnly('11.3.244.8-node.33', [flag])).toBe(false);
    }
    expect(wantsLiftoffOnly('11.3.244.8-node.33', ['--heap-growing-percent=100'])).toBe(true);
  });
});

describe('wantsLaterTierUp', () => {
  it('on V8 13 (node 24) only', () => {
    expect(wantsLaterTierUp('13.6.233.17-node.37', [])).toBe(true);
    expect(wantsLaterTierUp('11.3.244.8-node.33', [])).toBe(false);
    expect(wantsLaterTierUp('12.4.254.21-node.33', [])).toBe(false);
    expect(wantsLaterTierUp('14.1.146.11-node.14', [])).toBe(false);
  });

  it('not when node was given a WebAssembly flag of its own', () => {
    for (const flag of ['--liftoff-only', '--wasm-tiering-budget=1000', '--no-wasm-dynamic-tiering']) {
      expect(wantsLaterTierUp('13.6.233.17-node.37', [flag])).toBe(false);
    }
    expect(wantsLaterTierUp('13.6.233.17-node.37', ['--heap-growing-percent=100'])).toBe(true);
  });
});

describe('ignoreFetchParserFailure', () => {
  const oom = (stack: string) =>
    Object.assign(new RangeError('WebAssembly.instantiate(): Out of memory: Cannot allocate Wasm memory for new instance'), { stack });

  it('drops only node fetch parser failing to get its WebAssembly memory', () => {
    expect(() => ignoreFetchParserFailure(oom('RangeError: …\n    at lazyllhttp (node:internal/deps/undici/undici:5971:32)'))).not.toThrow();
  });

  it('throws any other rejection, as node would', () => {
    const elsewhere = oom('RangeError: …\n    at instantiate (file:///app/other.js:1:1)');
    expect(() => ignoreFetchParserFailure(elsewhere)).toThrow(elsewhere);
    const other = new Error('boom');
    expect(() => ignoreFetchParserFailure(other)).toThrow(other);
    expect(() => ignoreFetchParserFailure('a string')).toThrow('a string');
  });
});
