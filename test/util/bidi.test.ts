import { describe, expect, it } from 'vitest';
import { bidiPieces, bidiShown } from '../../src/util/bidi.js';

describe('the report page shows bidi controls instead of applying them', () => {
  it('names each embedding, override and isolate, and leaves the marks of right-to-left text', () => {
    expect(bidiPieces('a\u202eevil\u202cb')).toEqual(['a', 'U+202E', 'evil', 'U+202C', 'b']);
    expect(bidiShown('\u202a\u202b\u202d\u2066\u2067\u2068\u2069')).toBe('⟨U+202A⟩⟨U+202B⟩⟨U+202D⟩⟨U+2066⟩⟨U+2067⟩⟨U+2068⟩⟨U+2069⟩');
    expect(bidiShown('שלום\u200f \u200e\u061c')).toBe('שלום\u200f \u200e\u061c');
    expect(bidiPieces('plain')).toEqual(['plain']);
  });
});
