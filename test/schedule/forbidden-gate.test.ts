import { describe, expect, it } from 'vitest';
import { FORBIDDEN_LIMIT, ForbiddenGate } from '../../src/schedule/forbidden-gate.js';

describe("ForbiddenGate: is a 403 the key's or its prompt's?", () => {
  it("once an answer succeeded: the prompt's row, however many came", () => {
    const gate = new ForbiddenGate();
    gate.onSuccess();
    for (let i = 0; i < 10; i++) expect(gate.onForbidden({}, true)).toBe('row');
  });

  it(`before any answer: the key's when ${FORBIDDEN_LIMIT} different prompts got one and nothing is in flight`, () => {
    const gate = new ForbiddenGate();
    const [a, b, c] = [{}, {}, {}];
    expect(gate.onForbidden(a, true)).toBe('again');
    expect(gate.onForbidden(b, true)).toBe('again');
    expect(gate.onForbidden(c, false)).toBe('again'); // another may still answer
    expect(gate.onForbidden(a, true)).toBe('stop');
  });

  it(`before any answer: the key's when one prompt got one ${FORBIDDEN_LIMIT} times and nothing is in flight`, () => {
    const gate = new ForbiddenGate();
    const a = {};
    expect(gate.onForbidden(a, true)).toBe('again');
    expect(gate.onForbidden(a, true)).toBe('again');
    expect(gate.onForbidden(a, true)).toBe('stop');
  });

  it('a flagged first prompt: asked again while others are in flight, then its row once one answered', () => {
    const gate = new ForbiddenGate();
    const a = {};
    for (let i = 0; i < 10; i++) expect(gate.onForbidden(a, false)).toBe('again');
    gate.onSuccess();
    expect(gate.onForbidden(a, true)).toBe('row');
  });
});
