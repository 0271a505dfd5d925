import { describe, expect, it } from 'vitest';
import { fallbackId } from '../../src/input/index.js';
import { explicitId } from '../../src/input/record-id.js';

describe('fallbackId', () => {
  it('is <line>-<8 hex of sha256>', () => {
    // sha256("hello") = 2cf24dba5fb0a30e…
    expect(fallbackId(7, 'hello')).toBe('7-2cf24dba');
  });

  it('is stable for the same line and content', () => {
    expect(fallbackId(3, 'a prompt')).toBe(fallbackId(3, 'a prompt'));
  });

  it('changes with the content and with the line', () => {
    expect(fallbackId(3, 'a prompt')).not.toBe(fallbackId(3, 'a prompt!'));
    expect(fallbackId(3, 'a prompt')).not.toBe(fallbackId(4, 'a prompt'));
  });
});

describe('explicitId', () => {
  it.each([
    ['abc', { id: 'abc' }],
    ['  padded ', { id: 'padded' }],
    [42, { id: '42' }],
    [0, { id: '0' }],
    [1.5, { id: '1.5' }],
    [undefined, undefined],
    [null, undefined],
    ['   ', undefined],
    [true, { error: '"id" must be a string or number' }],
    [{ a: 1 }, { error: '"id" must be a string or number' }],
    [['x'], { error: '"id" must be a string or number' }],
  ])('%j → %j', (value, expected) => {
    expect(explicitId(value, 'id')).toEqual(expected);
  });
});
