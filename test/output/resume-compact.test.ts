import { lstatSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  compactFile,
  compactResults,
  hasRow,
  isTransientFailure,
  loadResumeState,
  openFileWriter,
  readResults,
  recordKey,
  rowKey,
  streamWriter,
} from '../../src/output/index.js';
import { isRetryable } from '../../src/schedule/retry-policy.js';
import type { ErrorType, ResultRow } from '../../src/types.js';
import { collect, errRow, okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

async function writeFile(path: string, format: 'jsonl' | 'csv', rows: ResultRow[], append = false): Promise<void> {
  const w = openFileWriter(path, format, { append });
  for (const r of rows) await w.write(r);
  await w.close();
}

describe.each(['jsonl', 'csv'] as const)('loadResumeState (%s)', (format) => {
  it.each([
    ['error then success → succeeded', [errRow('x'), okRow('x', 'ok')], ['x'], []],
    ['success then error → failed', [okRow('x', 'ok'), errRow('x')], [], ['x']],
    ['error, success, error → failed', [errRow('x'), okRow('x', 'ok'), errRow('x')], [], ['x']],
    ['independent ids', [okRow('a', '1'), errRow('b'), okRow('c', '3')], ['a', 'c'], ['b']],
  ])('%s', async (_name, rows, succeeded, failed) => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, rows);
    const state = await loadResumeState(path, format);
    expect([...state.succeeded].sort()).toEqual(succeeded);
    // errRow is a timeout: transient, so a plain resume re-runs it.
    expect([...state.transient].sort()).toEqual(failed);
    expect([...state.failed]).toEqual([]);
    expect(state.rows).toBe(rows.length);
  });

  it.each([
    ['timeout', { type: 'timeout', message: 't' }, 'transient'],
    ['connection', { type: 'connection', message: 'c' }, 'transient'],
    ['rate_limit', { type: 'rate_limit', message: 'r', status: 429 }, 'transient'],
    ['HTTP 500', { type: 'http', message: 'h', status: 500 }, 'transient'],
    ['HTTP 503', { type: 'http', message: 'h', status: 503 }, 'transient'],
    ['HTTP 400', { type: 'http', message: 'h', status: 400 }, 'failed'],
    ['HTTP 404', { type: 'http', message: 'h', status: 404 }, 'failed'],
    ['input', { type: 'input', message: 'bad row' }, 'failed'],
    ['bad_response', { type: 'bad_response', message: 'unparsable body' }, 'transient'],
    ['HTTP 408', { type: 'http', message: 'h', status: 408 }, 'transient'],
    ["HTTP 498 (Groq's flex tier at capacity)", { type: 'http', message: 'h', status: 498 }, 'transient'],
    ['truncated', { type: 'truncated', message: 'cut off' }, 'failed'],
  ] as const)('a last row failed with %s is %s', async (_name, error, kind) => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, [errRow('x', error.message, { error: { ...error } })]);
    const state = await loadResumeState(path, format);
    expect([...state[kind]]).toEqual(['x']);
    expect(state.failed.size + state.transient.size).toBe(1);
  });

  it('counts rows across append runs and ignores a torn last row', async () => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, [errRow('a')]);
    await writeFile(path, format, [okRow('a', 'fixed'), okRow('b', 'x')], true);
    writeFileSync(path, readFileSync(path, 'utf8') + (format === 'csv' ? 'c,3,"torn' : '{"id":"c"'));
    const state = await loadResumeState(path, format);
    expect(state).toEqual({
      succeeded: new Set(['a', 'b']),
      failed: new Set(),
      retried: new Set(),
      transient: new Set(),
      rows: 3,
      inputErrorLines: new Set(),
      superseded: true,
      tagged: false,
      keyOf: expect.any(Function),
    });
  });

  it('treats a missing file as nothing done', async () => {
    const state = await loadResumeState(join(tmp(), `none.${format}`), format);
    expect(state).toEqual({
      succeeded: new Set(),
      failed: new Set(),
      retried: new Set(),
      transient: new Set(),
      rows: 0,
      inputErrorLines: new Set(),
      superseded: false,
      tagged: false,
      lastLineInOrder: 0,
      keyOf: expect.any(Function),
    });
  });

  it('tells whether its rows are in input order, by line, and the last line then', async () => {
    const path = join(tmp(), `order.${format}`);
    await writeFile(path, format, [
      okRow('a', '1', { line: 1 }),
      okRow('b', '2', { line: 2 }),
      errRow('b', 'again', { line: 2 }),
      okRow('d', '4', { line: 4 }),
    ]);
    expect((await loadResumeState(path, format)).lastLineInOrder).toBe(4);
    await writeFile(path, format, [okRow('b', '2', { line: 2 }), okRow('a', '1', { line: 1 })]);
    expect((await loadResumeState(path, format)).lastLineInOrder).toBeUndefined();
  });

  it('stops reading at a stop (Ctrl-C, SIGTERM), throwing its reason: a run stopped then must not read on under its lock', async () => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, [okRow('a', '1'), okRow('b', '2')]);
    const stop = new AbortController();
    const reason = new Error('interrupted');
    stop.abort(reason);
    await expect(loadResumeState(path, format, {}, undefined, stop.signal)).rejects.toBe(reason);
  });

  it('finds an id with a lone UTF-16 surrogate again, which a CSV holds as U+FFFD: it is not asked twice', async () => {
    const path = join(tmp(), `out.${format}`);
    // A JSONL input's "s\ud800", and a model × sample key that holds it.
    await writeFile(path, format, [okRow('s\ud800', 'ok'), okRow('t\udc00', 'ok', { requested_model: 'other', sample: 1 })]);
    const state = await loadResumeState(path, format, {}, 'gpt-4o-mini');
    expect(hasRow(state, recordKey({ id: 's\ud800', params: {}, sample: undefined }, 'gpt-4o-mini'))).toBe(true);
    expect(hasRow(state, recordKey({ id: 't\udc00', params: { model: 'other' }, sample: 1 }, 'gpt-4o-mini'))).toBe(true);
    // A new row for it (a retry) supersedes the one in the file.
    expect(hasRow(state, rowKey(okRow('s\ud800', 'again'), 'gpt-4o-mini'))).toBe(true);
    // Only a lone surrogate: a pair (an emoji) is text, and ids that differ otherwise stay apart.
    expect(hasRow(state, 's\ud83d\ude00')).toBe(false);
    expect(hasRow(state, 's')).toBe(false);
  });

  it.each([
    ['one row per id', [okRow('a', '1'), errRow('b'), okRow('c', '3')], false],
    ['a transient error, then its answer', [okRow('a', '1'), errRow('b'), okRow('b', '2')], true],
    ['an answer, then an error for it', [okRow('a', '1'), errRow('a')], true],
  ])('says whether the file already holds superseded rows: %s', async (_name, rows, superseded) => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, rows);
    expect((await loadResumeState(path, format)).superseded).toBe(superseded);
  });
});

describe.each(['jsonl', 'csv'] as const)('compactResults (%s)', (format) => {
  const input: ResultRow[] = [
    errRow('a', 'first try'),
    okRow('b', 'b ok'),
    errRow('c', 'c failed'),
    okRow('a', 'a ok\non retry'),
    okRow('d', 'd ok'),
    errRow('c', 'c failed again'),
    errRow('b', 'b later failure'),
  ];
  // File order of each id's last row; b's failure carries the usage of the answer it replaced.
  const expected = [
    okRow('a', 'a ok\non retry'),
    okRow('d', 'd ok'),
    errRow('c', 'c failed again'),
    errRow('b', 'b later failure', { usage: { prompt_tokens: 5, completion_tokens: 7 } }),
  ];

  it('keeps the last row per id, in file order of those rows', async () => {
    const dir = tmp();
    const src = join(dir, `in.${format}`);
    const dst = join(dir, `out.${format}`);
    await writeFile(src, format, input);
    const out = openFileWriter(dst, format, { append: false });
    const stats = await compactResults(src, format, out);
    await out.close();
    expect(stats).toEqual({ rows: 4, dropped: 3, torn: false });
    expect(await collect(readResults(dst, format))).toEqual(expected);
  });

  it('of a file a run appends to meanwhile: the rows it held when the compaction began, not "changed"', async () => {
    // A compaction of a live output read it to its end twice and failed whenever a row came between.
    const dir = tmp();
    const src = join(dir, `in.${format}`);
    // Larger than a read's block: the second pass is still reading when the first row is appended.
    const before = Array.from({ length: 1500 }, (_, i) => okRow(`f${i}`, `an answer of some length, number ${i}`));
    await writeFile(src, format, [...before, ...input]);
    const live = openFileWriter(src, format, { append: true });
    const dst = join(dir, `out.${format}`);
    const out = openFileWriter(dst, format, { append: false });
    // Each row the compaction writes (its second pass) comes with one more appended to its source.
    let appended = 0;
    const appending = {
      ...out,
      write: async (row: ResultRow) => {
        await live.write(okRow(`late${appended++}`, 'late'));
        return out.write(row);
      },
    };
    const stats = await compactResults(src, format, appending);
    await Promise.all([out.close(), live.close()]);
    expect(appended).toBe(1504);
    expect(stats).toEqual({ rows: 1504, dropped: 3, torn: false });
    expect(await collect(readResults(dst, format))).toEqual([...before, ...expected]);
  });

  it('compacts a file in place atomically', async () => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, input);
    expect(await compactFile(path, format)).toEqual({ rows: 4, dropped: 3, torn: false });
    expect(await collect(readResults(path, format))).toEqual(expected);
    const again = await compactFile(path, format);
    expect(again).toEqual({ rows: 4, dropped: 0, torn: false });
  });

  it('can convert while compacting (to a stream)', async () => {
    const src = join(tmp(), `in.${format}`);
    await writeFile(src, format, input);
    const chunks: string[] = [];
    const stream = new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c.toString());
        cb();
      },
    });
    const w = streamWriter(stream, 'jsonl');
    await compactResults(src, format, w);
    await w.close();
    expect(
      chunks
        .join('')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as ResultRow),
    ).toEqual(expected);
  });
});

describe.each(['jsonl', 'csv'] as const)('compaction keeps the usage of the rows it drops (%s)', (format) => {
  const paid = (prompt: number, completion: number, cached?: number) => ({
    prompt_tokens: prompt,
    completion_tokens: completion,
    ...(cached === undefined ? {} : { cached_tokens: cached }),
  });
  const aborted = (id: string, usage: ResultRow['usage'], extra: Partial<ResultRow> = {}) =>
    errRow(id, 'the run stopped before this answer could be asked again', { error: { type: 'aborted', message: 'stopped' }, attempts: 1, usage, ...extra });

  it('adds each superseded row to the row that replaces it: paid answers, cached input, none for a row without usage', async () => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, [
      aborted('a', paid(200, 100, 50)),
      okRow('b', 'b ok', { usage: paid(10, 1) }),
      errRow('a', 'cut', { usage: null }),
      aborted('c', paid(30, 3)),
      okRow('a', 'a ok', { usage: paid(200, 90) }),
      okRow('c', 'c ok', { usage: null }),
    ]);
    expect(await compactFile(path, format)).toEqual({ rows: 3, dropped: 3, torn: false });
    expect((await collect(readResults(path, format))).map((r) => [r.id, r.usage])).toEqual([
      ['b', paid(10, 1)],
      ['a', paid(400, 190, 50)],
      ['c', paid(30, 3)],
    ]);
    // Compacted again: nothing dropped, nothing counted twice.
    await compactFile(path, format);
    expect((await collect(readResults(path, format))).map((r) => r.usage?.prompt_tokens)).toEqual([10, 400, 30]);
  });

  it('a row served from the response cache neither carries nor takes usage (nothing was spent on it here)', async () => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, [
      okRow('a', 'from cache', { cached: true, usage: paid(7, 7) }),
      aborted('b', paid(20, 2)),
      errRow('a', 'later', { usage: null }),
      okRow('b', 'from cache', { cached: true, usage: paid(9, 9) }),
    ]);
    await compactFile(path, format);
    expect((await collect(readResults(path, format))).map((r) => [r.id, r.usage])).toEqual([
      ['a', null],
      ['b', paid(9, 9)],
    ]);
  });
});

describe.each(['jsonl', 'csv'] as const)('input error rows of a line fixed later (%s)', (format) => {
  const broken = (id: string, line: number) => errRow(id, 'line 2: not JSON', { line, error: { type: 'input', message: 'line 2: not JSON' } });
  // Line 2 broken, then fixed (a new id: line + content hash); line 4 broken and still broken.
  const rows: ResultRow[] = [okRow('1-a', 'one', { line: 1 }), broken('2-old', 2), broken('4-x', 4), okRow('2-new', 'two', { line: 2 }), broken('4-x', 4)];

  it('resume state: only a line whose last word is an input error stays open', async () => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, rows);
    const state = await loadResumeState(path, format);
    expect([...state.inputErrorLines]).toEqual([4]);
    // The old error keeps its key (a --retry-failed of the old content would find it), as before.
    expect([...state.failed].sort()).toEqual(['2-old', '4-x']);
  });

  it('resume state: an input error whose line was answered later (under another id) is superseded', async () => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, [okRow('1-a', 'one', { line: 1 }), broken('2-old', 2), okRow('2-new', 'two', { line: 2 })]);
    expect((await loadResumeState(path, format)).superseded).toBe(true);
    await writeFile(path, format, [okRow('1-a', 'one', { line: 1 }), broken('2-old', 2)]);
    expect((await loadResumeState(path, format)).superseded).toBe(false);
  });

  it('compaction drops the input error whose line got a real row later, and nothing else', async () => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, rows);
    expect(await compactFile(path, format)).toEqual({ rows: 3, dropped: 2, torn: false });
    expect((await collect(readResults(path, format))).map((r) => [r.id, r.line, r.error?.type ?? 'ok'])).toEqual([
      ['1-a', 1, 'ok'],
      ['2-new', 2, 'ok'],
      ['4-x', 4, 'input'],
    ]);
  });

  it('a line broken again after it was answered keeps its new error', async () => {
    const path = join(tmp(), `out.${format}`);
    await writeFile(path, format, [okRow('2-good', 'two', { line: 2 }), broken('2-bad', 2)]);
    expect(await compactFile(path, format)).toEqual({ rows: 2, dropped: 0, torn: false });
  });
});

describe('compactFile through a symlink', () => {
  it('compacts the file the link points to and leaves the link a link', async () => {
    const dir = tmp();
    const real = join(dir, 'out-2026-11-30.jsonl');
    const link = join(dir, 'latest.jsonl');
    await writeFile(real, 'jsonl', [errRow('a'), okRow('a', 'a ok'), okRow('b', 'b ok')]);
    symlinkSync(real, link);
    expect(await compactFile(link, 'jsonl')).toEqual({ rows: 2, dropped: 1, torn: false });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect((await collect(readResults(real, 'jsonl'))).map((r) => r.response)).toEqual(['a ok', 'b ok']);
  });
});

describe('isTransientFailure', () => {
  const TYPES: ErrorType[] = ['timeout', 'rate_limit', 'quota', 'http', 'connection', 'bad_response', 'auth', 'input', 'aborted', 'truncated'];
  const STATUSES = [undefined, 400, 401, 404, 408, 409, 422, 429, 500, 502, 503];
  it('re-runs on resume exactly what the retry policy retries, plus quota and aborted', () => {
    for (const type of TYPES) {
      for (const status of STATUSES) {
        for (const code of [undefined, 'server_error', 'context_length_exceeded']) {
          const expected = type === 'quota' || type === 'aborted' || isRetryable(type, status, code);
          expect(isTransientFailure({ type, status, code }), `${type} ${status} ${code}`).toBe(expected);
        }
      }
    }
  });

  it('leaves a prompt past the model context to --retry-failed, whatever status came with it', () => {
    for (const status of [undefined, 500, 503]) {
      expect(isTransientFailure({ type: 'http', status, code: 'context_length_exceeded' }), String(status)).toBe(false);
      expect(isTransientFailure({ type: 'http', status }), String(status)).toBe(true);
    }
  });
});
