import { describe, expect, it } from 'vitest';
import { AttemptError } from '../../src/provider/completion.js';
import { BREAKER_THRESHOLD, CircuitBreaker } from '../../src/schedule/circuit-breaker.js';

const fail = (code?: string) => new AttemptError('connection', 'x', code === undefined ? {} : { code }).info;

describe('CircuitBreaker', () => {
  it.each(['ECONNREFUSED', 'ENOTFOUND', 'html_response', 'empty_response', 'not_streamed'])('trips on the %s-th identical %s', (code) => {
    const breaker = new CircuitBreaker();
    for (let i = 1; i < BREAKER_THRESHOLD; i++) expect(breaker.onFailure(fail(code))).toBeUndefined();
    expect(breaker.onFailure(fail(code))).toBe(code);
  });

  it.each([
    ['a success first', (b: CircuitBreaker) => b.onSuccess()],
    ['a different endpoint failure first', (b: CircuitBreaker) => b.onFailure(fail('html_response'))],
    ['an ordinary failure first (a 500, a reset)', (b: CircuitBreaker) => b.onFailure(fail('ECONNRESET'))],
    ['a failure without a code first', (b: CircuitBreaker) => b.onFailure(fail())],
  ])('never trips after %s', (_name, before) => {
    const breaker = new CircuitBreaker();
    before(breaker);
    for (let i = 0; i < 10; i++) expect(breaker.onFailure(fail('ECONNREFUSED'))).toBeUndefined();
  });
});
