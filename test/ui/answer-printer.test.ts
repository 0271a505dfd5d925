import { describe, expect, it } from 'vitest';
import type { BatchEvent } from '../../src/engine/events.js';
import type { ResultRow } from '../../src/types.js';
import { AnswerPrinter } from '../../src/ui/answer-printer.js';

function ok(id: string, prompt: string, response: string): ResultRow {
  return { id, line: 1, prompt, response, error: null, attempts: 1, latency_ms: 5, model: 'm', finish_reason: 'stop', usage: null };
}
const attempt = (id: string, prompt: string, n = 1, seq = 0): BatchEvent => ({ type: 'attempt', id, attempt: n, prompt, seq });
const delta = (id: string, text: string, n = 1): BatchEvent => ({ type: 'delta', id, attempt: n, text });

function printer(options: { wholeRows?: boolean; columns?: number; color?: boolean; inputOrder?: boolean; ascii?: boolean } = {}) {
  const writes: string[] = [];
  const p = new AnswerPrinter({
    write: (t) => writes.push(t),
    color: options.color ?? false,
    columns: options.columns ?? 40,
    wholeRows: options.wholeRows,
    inputOrder: options.inputOrder,
    ascii: options.ascii,
  });
  return { p, writes, text: () => writes.join('') };
}

/** Three answers streaming at once, their deltas interleaved word by word. */
async function interleaved(p: AnswerPrinter) {
  const answers: Record<string, string> = {
    a: 'Alpha answer has several words that will wrap across rows for sure.',
    b: 'Bravo answer.\nIt has two lines.',
    c: 'Charlie answer is short.',
  };
  for (const id of Object.keys(answers)) p.event(attempt(id, `prompt ${id}`));
  const pieces = Object.fromEntries(Object.entries(answers).map(([id, t]) => [id, t.match(/\S+\s*|\s+/g)!]));
  for (let i = 0; Object.values(pieces).some((x) => i < x.length); i++) {
    for (const id of Object.keys(pieces)) if (i < pieces[id]!.length) p.event(delta(id, pieces[id]![i]!));
    if (i === 3) await p.write(ok('c', 'prompt c', answers.c!)); // c finishes while a streams
  }
  await p.write(ok('b', 'prompt b', answers.b!));
  await p.write(ok('a', 'prompt a', answers.a!));
  await p.close();
  return answers;
}

/** The printed text split into blocks: header id → body lines. */
function blocks(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const block of text.split(/\n(?=── )/)) {
    const [header, ...body] = block.trimEnd().split('\n');
    map.set(/\[(\w+)\]/.exec(header!)![1]!, body.join('\n'));
  }
  return map;
}

describe('AnswerPrinter', () => {
  it.each([false, true])('keeps each answer whole under its own header while several stream (wholeRows %s)', async (wholeRows) => {
    const { p, text } = printer({ wholeRows });
    const answers = await interleaved(p);
    const got = blocks(text());
    expect([...got.keys()]).toEqual(['a', 'c', 'b']);
    for (const [id, answer] of Object.entries(answers)) {
      // Wrapping may turn spaces into row breaks; the words and the real line breaks stay.
      expect(got.get(id)!.replace(/\n/g, ' ')).toBe(answer.replace(/\n/g, ' '));
    }
    expect(text()).toMatch(/^── \[a\] prompt a\n/);
  });

  it('in wholeRows mode every write ends a line and no row is wider than the terminal', async () => {
    const { p, writes } = printer({ wholeRows: true, columns: 30 });
    await interleaved(p);
    for (const w of writes) expect(w.endsWith('\n'), JSON.stringify(w)).toBe(true);
    for (const row of writes.join('').split('\n')) expect(row.length).toBeLessThanOrEqual(30);
  });

  it('streams raw deltas as they come without wholeRows', () => {
    const { p, writes } = printer();
    p.event(attempt('a', 'q'));
    p.event(delta('a', 'Hel'));
    p.event(delta('a', 'lo'));
    expect(writes.slice(-2)).toEqual(['Hel', 'lo']);
  });

  it('shows a restarted stream instead of doubling its text', async () => {
    const { p, text } = printer({ wholeRows: true });
    p.event(attempt('a', 'q'));
    p.event(delta('a', 'partial ans'));
    p.event(attempt('a', 'q', 2));
    p.event(delta('a', 'full answer', 2));
    await p.write({ ...ok('a', 'q', 'full answer'), attempts: 2 });
    expect(text()).toBe('── [a] q\npartial ans\n(attempt 2, restarting the answer)\nfull answer\n\n');
  });

  it('prints failures with their error type, and colours only when asked', async () => {
    for (const color of [false, true]) {
      const { p, text } = printer({ color });
      await p.write({ ...ok('z', 'bad one', ''), response: null, error: { type: 'http', message: 'HTTP 400: nope' } });
      expect(text()).toMatch(/✗ http: HTTP 400: nope/);
      expect(/\x1b\[/.test(text())).toBe(color);
    }
  });

  it('in wholeRows mode wraps a long failure between words, as answer text, and coloured rows still fit', async () => {
    const message = 'HTTP 400: This model maximum context length is 8192 tokens, however you requested 9000 tokens';
    const failed: ResultRow = { ...ok('z', 'bad one', ''), response: null, error: { type: 'http', message } };
    for (const color of [false, true]) {
      const { p, text } = printer({ wholeRows: true, columns: 30, color });
      await p.write(failed);
      const rows = text()
        .replace(/\x1b\[[0-9;]*m/g, '')
        .split('\n')
        .slice(1, -2);
      expect(rows.length).toBeGreaterThan(2);
      for (const row of rows) expect(row.length).toBeLessThanOrEqual(30);
      // Broken only at spaces: the words are all there, each whole.
      expect(rows.join(' ')).toBe(`✗ http: ${message}`);
    }
    // Streamed as it comes (stdout a terminal of its own): one line, for the terminal to wrap.
    const { p, text } = printer({ columns: 30 });
    await p.write(failed);
    expect(text().split('\n')[1]).toBe(`✗ http: ${message}`);
  });

  it("never passes a model's escape sequences to the terminal", async () => {
    const { p, text } = printer({ wholeRows: true });
    p.event(attempt('a', 'evil \x1b]0;title\x07 prompt'));
    p.event(delta('a', 'answer \x1b[2J\x1b[H with escapes\r\n'));
    await p.write(ok('a', 'evil', 'x'));
    expect(text()).not.toMatch(/[\x1b\x07\r]/);
    expect(text()).toContain('answer \ufffd[2J\ufffd[H with escapes');
  });

  it('fits the header to the terminal, defaulting to 80 columns when the width is unknown', async () => {
    const long = 'word '.repeat(60);
    for (const [columns, max] of [
      [50, 49],
      [0, 79],
    ] as const) {
      const { p, text } = printer({ columns });
      await p.write(ok('id1', long, 'r'));
      const header = text().split('\n')[0]!;
      expect(header.length).toBeLessThanOrEqual(max);
      expect(header.length).toBeGreaterThan(max - 3);
      expect(header).toMatch(/…$/);
    }
  });

  it.each([false, true])('with inputOrder, shows answers in input order however they stream and finish (wholeRows %s)', async (wholeRows) => {
    const { p, text } = printer({ wholeRows, inputOrder: true });
    for (const [seq, id] of ['a', 'b', 'c'].entries()) p.event(attempt(id, `prompt ${id}`, 1, seq));
    // c and b speak first; a, the first in input order, last. Rows then come in input order.
    p.event(delta('c', 'Charlie '));
    p.event(delta('b', 'Bravo '));
    p.event(delta('a', 'Alpha '));
    p.event(delta('b', 'answer.'));
    p.event(delta('a', 'answer.'));
    await p.write(ok('a', 'prompt a', 'Alpha answer.'));
    p.event(delta('c', 'answer.'));
    await p.write(ok('b', 'prompt b', 'Bravo answer.'));
    await p.write(ok('c', 'prompt c', 'Charlie answer.'));
    await p.close();
    expect(text()).toBe('── [a] prompt a\nAlpha answer.\n\n── [b] prompt b\nBravo answer.\n\n── [c] prompt c\nCharlie answer.\n\n');
  });

  it('with inputOrder, an answer that was never sent (cached, an input error) keeps its place before a later one that streams', async () => {
    const { p, text } = printer({ wholeRows: true, inputOrder: true });
    // b (position 1) comes from the cache: no attempt, its row waits behind a's.
    p.event(attempt('a', 'prompt a', 1, 0));
    p.event(attempt('c', 'prompt c', 1, 2));
    p.event(delta('c', 'Charlie '));
    p.event(delta('a', 'Alpha.'));
    await p.write(ok('a', 'prompt a', 'Alpha.'));
    p.event(delta('c', 'answer.'));
    await p.write(ok('b', 'prompt b', 'Bravo.'));
    await p.write(ok('c', 'prompt c', 'Charlie answer.'));
    await p.close();
    expect(text()).toBe('── [a] prompt a\nAlpha.\n\n── [b] prompt b\nBravo.\n\n── [c] prompt c\nCharlie answer.\n\n');
  });

  it('with inputOrder, the next answer streams live once the one before it is printed', async () => {
    const { p, writes } = printer({ inputOrder: true });
    for (const [seq, id] of ['a', 'b'].entries()) p.event(attempt(id, `prompt ${id}`, 1, seq));
    p.event(delta('b', 'Bra'));
    p.event(delta('a', 'Alpha.'));
    await p.write(ok('a', 'prompt a', 'Alpha.'));
    // b's text so far is shown under its header at once, and what follows streams as it comes.
    expect(writes.join('')).toBe('── [a] prompt a\nAlpha.\n\n── [b] prompt b\nBra');
    p.event(delta('b', 'vo.'));
    expect(writes.at(-1)).toBe('vo.');
  });

  it('in ASCII (a locale that is not UTF-8) draws its headers and failures in ASCII, within the width, and leaves answers alone', async () => {
    const { p, text } = printer({ ascii: true, columns: 30 });
    await p.write(ok('a', 'a prompt long enough to be cut at thirty columns', 'Réponse · ok'));
    await p.write({ ...ok('b', 'bad', ''), response: null, error: { type: 'http', message: 'HTTP 400: nope' } });
    const lines = text().split('\n');
    expect(lines).toEqual(['-- [a] a prompt long enoug...', 'Réponse · ok', '', '-- [b] bad', 'x http: HTTP 400: nope', '', '']);
    expect(lines[0]!.length).toBe(29);
  });

  it('in ASCII shows a control character in an answer as `?`, streamed or whole, as in its header and failure line', async () => {
    for (const wholeRows of [false, true]) {
      const { p, text } = printer({ ascii: true, columns: 80, wholeRows });
      p.event(attempt('a', 'evil \x1b]0;title\x07 prompt'));
      p.event(delta('a', 'caf\u00e9 \x1b]0;PWNED\x07 \x1b[2J \u009b2J'));
      await p.write(ok('a', 'evil \x1b]0;title\x07 prompt', 'unused'));
      await p.write(ok('b', 'q', 'whole \x07bell'));
      await p.write({ ...ok('c', 'q', ''), response: null, error: { type: 'http', message: 'HTTP 400: bad \x1b[31m' } });
      await p.close();
      // Before: U+FFFD, bytes EF BF BD, which an ASCII or Latin-1 terminal shows as `ï¿½`.
      expect(text()).not.toContain('\ufffd');
      expect(text().split('\n')).toEqual([
        '-- [a] evil ?]0;title? prompt',
        'caf\u00e9 ?]0;PWNED? ?[2J ?2J',
        '',
        '-- [b] q',
        'whole ?bell',
        '',
        '-- [c] q',
        'x http: HTTP 400: bad ?[31m',
        '',
        '',
      ]);
    }
  });

  it('keeps apart answers to one prompt from several models and samples, each under its own header', async () => {
    const { p, text } = printer({ wholeRows: true });
    const cells = [
      { model: 'm1', sample: 0 },
      { model: 'm2', sample: 0 },
      { model: 'm1', sample: 1 },
    ];
    for (const cell of cells) p.event({ ...attempt('a', 'q'), cell } as BatchEvent);
    for (const word of ['one ', 'two ', 'three'])
      for (const cell of cells) p.event({ ...delta('a', `${cell.model}/${cell.sample}:${word}`), cell } as BatchEvent);
    for (const cell of cells) await p.write({ ...ok('a', 'q', 'x'), requested_model: cell.model, sample: cell.sample });
    await p.close();
    expect(text()).toBe(
      [
        '── [a · m1] q\nm1/0:one m1/0:two m1/0:three\n',
        '── [a · m2] q\nm2/0:one m2/0:two m2/0:three\n',
        '── [a · m1 #2] q\nm1/1:one m1/1:two m1/1:three\n',
        '',
      ].join('\n'),
    );
  });

  it.each([false, true])('says so when the run ends with an answer still streaming (wholeRows %s)', async (wholeRows) => {
    const { p, text } = printer({ wholeRows });
    p.event(attempt('a', 'q'));
    p.event(attempt('b', 'r'));
    p.event(delta('a', 'Half an ans'));
    await p.write(ok('b', 'r', 'Whole.'));
    await p.close();
    expect(text()).toBe('── [a] q\nHalf an ans\n(cut off: the run stopped before this answer was complete)\n\n── [b] r\nWhole.\n\n');
  });
});
