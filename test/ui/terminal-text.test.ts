import { describe, expect, it } from 'vitest';
import { graphemes, RowWrapper, sanitize, textWidth, truncate } from '../../src/ui/terminal-text.js';
import { jsonForDisplay } from '../../src/util/sanitize.js';

describe('textWidth and truncate', () => {
  it.each([
    ['hello', 5],
    ['日本語', 6],
    ['e\u0301', 1],
    ['', 0],
    ['a\u200bb', 2],
    // emoji outside the old hand-kept ranges, flags, ZWJ sequences and skin tones: two columns each
    ['✅', 2],
    ['🚀', 2],
    ['🇯🇵', 2],
    ['👩\u200d💻', 2],
    ['👍🏽', 2],
    ['한국어', 6],
  ])('textWidth(%j) = %d', (text, width) => expect(textWidth(text)).toBe(width));

  it('truncates to the width with an ellipsis, wide characters counted twice', () => {
    expect(truncate('hello world', 8)).toBe('hello w…');
    expect(truncate('short', 8)).toBe('short');
    expect(textWidth(truncate('日本語のテキスト', 7))).toBeLessThanOrEqual(7);
  });

  it('never cuts inside a grapheme: an emoji sequence or a letter with its accent stays whole', () => {
    expect(truncate('ab👩\u200d💻cd', 5)).toBe('ab👩\u200d💻…');
    expect(truncate('abcde\u0301fgh', 7)).toBe('abcde\u0301f…');
  });

  // An answer's header holds the whole prompt: string-width took over a minute on `── [1] ` and an
  // 80,000-character one, and the terminal run hung (Ctrl-C too) before its first answer. Measured
  // here on 20,000, which the old code still got through (in ~0.5 s).
  it('cuts a header before a long prompt without measuring all of it', () => {
    const label = `── [1] Summarise: ${'z'.repeat(20_000)}`;
    const measured: number[] = [];
    const cut = truncate(label, 79, (text) => {
      measured.push(text.length);
      return textWidth(text);
    });
    expect(cut).toBe(`── [1] Summarise: ${'z'.repeat(79 - 1 - 18)}…`);
    expect(textWidth(cut)).toBe(79);
    expect(measured.length).toBeGreaterThan(0);
    expect(Math.max(...measured)).toBeLessThanOrEqual(4096);
  });

  it('a long run of combining marks is cut too, never past the width', () => {
    const cut = truncate(`a${'\u0301'.repeat(10_000)}bc`, 5);
    expect(textWidth(cut)).toBeLessThanOrEqual(5);
    expect(cut.endsWith('…')).toBe(true);
  });
});

describe('sanitize', () => {
  it('shows escape sequences and control characters instead of executing them; keeps newlines and tabs', () => {
    const out = sanitize('red \x1b[31mtext\x1b[0m\r\n\ttab\x07bell\x9bcsi');
    expect(out).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(out).toBe('red \ufffd[31mtext\ufffd[0m\n\ttab\ufffdbell\ufffdcsi');
  });

  it.each(['202A', '202B', '202C', '202D', '202E', '2066', '2067', '2068', '2069'])(
    'shows the bidirectional control U+%s as \ufffd: it could reorder what the terminal shows',
    (code) => {
      const ch = String.fromCodePoint(Number.parseInt(code, 16));
      expect(sanitize(`if admin ${ch}// not a comment${ch} end`)).toBe('if admin \ufffd// not a comment\ufffd end');
    },
  );

  it('keeps right-to-left text and its neighbours', () => {
    expect(sanitize('שלום עולם مرحبا \u200b\u200d👩\u200d💻')).toBe('שלום עולם مرحبا \u200b\u200d👩\u200d💻');
  });

  // Not Trojan Source's characters (rustc's text_direction_codepoint_in_literal leaves them too): an
  // Arabic or Hebrew answer holds them, as in a number or a Latin word inside the right-to-left line.
  it.each([
    ['200E (LRM)', 'הגרסה היא 2.1\u200e (בטא)'],
    ['200F (RLM)', 'השאלה היא “why?”\u200f'],
    ['061C (ALM)', 'العدد \u061c-5 سالب'],
  ])('shows the bidi mark U+%s as itself', (_, text) => {
    expect(sanitize(text)).toBe(text);
  });
});

describe('RowWrapper', () => {
  it('emits only whole rows: held text comes out at a newline or when the row is full', () => {
    const w = new RowWrapper(() => 20);
    expect(w.push('Hello ')).toBe('');
    expect(w.push('world')).toBe('');
    expect(w.empty).toBe(false);
    expect(w.push('!\nNext')).toBe('Hello world!\n');
    expect(w.flush()).toBe('Next\n');
    expect(w.empty).toBe(true);
    expect(w.flush()).toBe('');
  });

  it('word-wraps long lines at the width, rows never wider than it', () => {
    const w = new RowWrapper(() => 20);
    const text = 'The quick brown fox jumps over the lazy dog and keeps on running far away.';
    let out = '';
    for (const piece of text.match(/.{1,3}/g)!) out += w.push(piece);
    out += w.flush();
    const rows = out.split('\n').slice(0, -1);
    for (const r of rows) expect(textWidth(r)).toBeLessThanOrEqual(20);
    expect(rows.join(' ')).toBe(text);
    expect(rows[0]).toBe('The quick brown fox');
  });

  it('cuts a word longer than the row, and counts wide characters as two columns', () => {
    const w = new RowWrapper(() => 10);
    expect(w.push('abcdefghijklmnop')).toBe('abcdefghij\n');
    expect(w.flush()).toBe('klmnop\n');
    expect(w.push('日本語日本語日本語')).toBe('日本語日本\n');
  });

  it('wraps emoji rows by their width and keeps emoji sequences whole', () => {
    const w = new RowWrapper(() => 10);
    expect(w.push('✅✅✅✅✅✅')).toBe('✅✅✅✅✅\n');
    expect(w.flush()).toBe('✅\n');
    expect(w.push('abcdefgh👩\u200d💻x')).toBe('abcdefgh👩\u200d💻\n');
    expect(w.flush()).toBe('x\n');
  });

  it('follows the width as the terminal resizes', () => {
    let cols = 30;
    const w = new RowWrapper(() => cols);
    w.push('aaaa bbbb cccc ');
    cols = 10;
    expect(w.push('d')).toBe('aaaa bbbb\n');
  });

  it('keeps the indentation of rows that start after a newline; only soft-wrapped rows drop a space', () => {
    const code = 'def f(x):\n    if x:\n        return 1\n  - nested item\n';
    const whole = new RowWrapper(() => 40);
    expect(whole.push(code)).toBe(code);
    // Streamed a character at a time, as deltas arrive.
    const streamed = new RowWrapper(() => 40);
    let out = '';
    for (const ch of code) out += streamed.push(ch);
    expect(out).toBe(code);
    // An indented line that is too long wraps: its own indentation stays, the wrapped row has no leading space.
    const narrow = new RowWrapper(() => 20);
    expect(narrow.push('    indented words that wrap here\n')).toBe('    indented words\nthat wrap here\n');
  });
});

describe('jsonForDisplay', () => {
  it('escapes what sanitize replaces, so the text is the same JSON with nothing a terminal acts on (EXC s22 F5)', () => {
    const value = { '\u001b[31mRED\u202e': 'a\u2066b\u007fc\u009bd', mark: 'x\u200ey', tab: '\t' };
    const shown = jsonForDisplay(value);
    expect(shown).toContain('"\\u001b[31mRED\\u202e": "a\\u2066b\\u007fc\\u009bd"');
    expect(shown).toContain('"mark": "x\u200ey"');
    expect(shown).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(JSON.parse(shown)).toEqual(value);
  });
});

describe('graphemes of a long text, segmented slice by slice', () => {
  const whole = (text: string) => [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map((s) => s.segment);
  it.each([
    ['a family emoji (ZWJ)', '👨‍👩‍👧‍👦'],
    ['a letter with combining marks', 'e\u0301\u0302\u0303'],
    ['a flag (regional indicators)', '🇫🇷🇩🇪'],
    ['CRLF', '\r\n'],
    ['an astral character (a surrogate pair)', '𝄞'],
  ])('%s across every slice boundary: the clusters of the whole text', (_name, cluster) => {
    for (let pad = 2040; pad <= 2048; pad++) {
      const text = 'x'.repeat(pad) + cluster + 'y'.repeat(3000) + cluster + 'z';
      expect([...graphemes(text)]).toEqual(whole(text));
    }
  });

  it('a long mixed text: the same clusters as segmented whole', () => {
    const text = 'the quick brown fox — 狐狸 🦊 e\u0301 🇫🇷\r\n'.repeat(400);
    expect([...graphemes(text)]).toEqual(whole(text));
  });
});
