import { describe, expect, it } from 'vitest';
import { counted } from '../../src/util/group-digits.js';

describe('counted', () => {
  it('says one thing in the singular and any other count in the plural, digits grouped', () => {
    expect(counted(1, 'row')).toBe('1 row');
    expect(counted(0, 'row')).toBe('0 rows');
    expect(counted(12_000, 'cached answer')).toBe('12,000 cached answers');
    expect(counted(1, 'batch', 'batches')).toBe('1 batch');
    expect(counted(2, 'batch', 'batches')).toBe('2 batches');
  });
});
