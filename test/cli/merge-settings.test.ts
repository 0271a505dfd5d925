import { describe, expect, it } from 'vitest';
import { AnswerCoverage } from '../../src/cli/merge-coverage.js';
import { mergeDifferences, runModelsOf, runRepeatOf } from '../../src/cli/merge-settings.js';

/** Metadata as a run records it (see describeRun): `model` is the first of -m, `models` the sorted set. */
const meta = (models: string[] | undefined, more: Record<string, unknown> = {}) => ({
  version: 1,
  input: 'in.txt',
  model: models?.[0] ?? 'ma',
  ...(models ? { models: [...models].sort() } : {}),
  temperature: null,
  ...more,
});

describe("merge's comparison of run settings", () => {
  it.each([
    ['the same models in another order', meta(['ma', 'mb']), meta(['mb', 'ma']), []],
    ['the same one model', meta(['ma']), meta(['ma']), []],
    ['another shard', meta(['ma', 'mb'], { shard: '1/3' }), meta(['mb', 'ma'], { shard: '2/3' }), []],
    ['fewer models', meta(['ma', 'mb']), meta(['ma']), ['models: was ["ma","mb"], now ["ma"]']],
    ['fewer models, first the other', meta(['mb', 'ma']), meta(['ma']), ['models: was ["ma","mb"], now ["ma"]']],
    ['another model', meta(['ma']), meta(['mc']), ['model: was "ma", now "mc"']],
    ['more samples', meta(['ma']), meta(['ma'], { repeat: 2 }), ['repeat: was 1, now 2']],
    ['other samples', meta(['ma'], { repeat: 3 }), meta(['ma'], { repeat: 2 }), ['repeat: was 3, now 2']],
    // An answer limit is no other run: a resume may change it too (a higher one for answers cut at it).
    ['another --max-tokens', meta(['ma'], { maxTokens: 5 }), meta(['ma'], { maxTokens: 500 }), []],
    ['--max-tokens and none', meta(['ma'], { maxTokens: null }), meta(['ma'], { maxTokens: 100 }), []],
    [
      'models, samples and a setting',
      meta(['ma', 'mb']),
      meta(['ma'], { repeat: 2, temperature: 1 }),
      ['models: was ["ma","mb"], now ["ma"]', 'repeat: was 1, now 2', 'temperature: was null, now 1'],
    ],
    // Metadata from before the model list or --repeat was recorded: its one model, one sample.
    ['old metadata, the same model', meta(undefined), meta(undefined), []],
    ['old metadata, another model', meta(undefined), meta(undefined, { model: 'mc' }), ['model: was "ma", now "mc"']],
    ['old metadata beside a list holding its model', meta(undefined), meta(['mb', 'ma']), []],
    ['a list beside old metadata of another model', meta(['ma', 'mb']), meta(undefined, { model: 'mc' }), ['models: was ["ma","mb"], now ["mc"]']],
    // The input by its content, as a resume compares it: how its path is written is no setting.
    ['the same input as ./in.txt', meta(['ma'], { inputFingerprint: 'h1' }), meta(['ma'], { input: './in.txt', inputFingerprint: 'h1' }), []],
    [
      "the same input at another machine's mount",
      meta(['ma'], { inputFingerprint: 'h1' }),
      meta(['ma'], { input: '/mnt/b/input.txt', inputFingerprint: 'h1' }),
      [],
    ],
    [
      'another input under another name',
      meta(['ma'], { inputFingerprint: 'h1' }),
      meta(['ma'], { input: 'other.txt', inputFingerprint: 'h2' }),
      ['input: was "in.txt", now "other.txt"', 'inputFingerprint: was "h1", now "h2"'],
    ],
    // Stdin and pipes record no fingerprint: their names are all there is to compare.
    [
      'two pipes',
      meta(['ma'], { input: '/dev/fd/63', inputFingerprint: null }),
      meta(['ma'], { input: '/dev/fd/62', inputFingerprint: null }),
      ['input: was "/dev/fd/63", now "/dev/fd/62"'],
    ],
    [
      'stdin and a file',
      meta(['ma'], { input: '<stdin>', inputFingerprint: null }),
      meta(['ma'], { inputFingerprint: 'h1' }),
      ['input: was "<stdin>", now "in.txt"', 'inputFingerprint: was null, now "h1"'],
    ],
  ])('%s', (_, first, other, expected) => {
    expect(mergeDifferences(first, other)).toEqual(expected);
  });

  it('reads the models as a set and the samples as 1 when not recorded', () => {
    expect(runModelsOf({ model: 'mb', models: ['mb', 'ma'] })).toEqual(['ma', 'mb']);
    expect(runModelsOf({ model: 'ma' })).toEqual(['ma']);
    expect(runModelsOf({})).toBeUndefined();
    expect([runRepeatOf({}), runRepeatOf({ repeat: 3 }), runRepeatOf({ repeat: '3' })]).toEqual([1, 3, 1]);
  });
});

describe('the answers merge --input finds missing', () => {
  const record = (id: string, model?: string, problem = false) => ({
    id,
    params: model ? { model } : {},
    ...(problem ? { problem: { message: 'bad line' } as never } : {}),
  });

  it('every (id, model, sample) of the run, a record naming its own model on that one only', () => {
    const coverage = new AnswerCoverage(['ma', 'mb'], 2);
    coverage.add({ id: 'r1', sample: 0 }, 'ma');
    coverage.add({ id: 'r1', sample: 1 }, 'ma');
    coverage.add({ id: 'r1', sample: 0 }, 'mb');
    coverage.add({ id: 'own', sample: 1 }, 'mx');
    expect(coverage.missing(record('r1'))).toEqual([{ id: 'r1', model: 'mb', sample: 1 }]);
    expect(coverage.missing(record('own', 'mx'))).toEqual([{ id: 'own', sample: 0 }]);
    expect(coverage.missing(record('r2')).map((m) => `${m.model}/${m.sample}`)).toEqual(['ma/0', 'mb/0', 'ma/1', 'mb/1']);
    expect(coverage.matrix).toBe(true);
  });

  it('an input error is one row; a row of unknown model (no metadata) answers any', () => {
    const coverage = new AnswerCoverage(['ma', 'mb'], 1);
    coverage.add({ id: 'bad' }, 'ma');
    coverage.add({ id: 'r1' }, undefined);
    expect(coverage.missing(record('bad', undefined, true))).toEqual([]);
    expect(coverage.missing(record('gone', undefined, true))).toEqual([{ id: 'gone', sample: 0 }]);
    expect(coverage.missing(record('r1'))).toEqual([]);
  });

  it('a plain run counts ids', () => {
    const coverage = new AnswerCoverage(['ma'], 1);
    coverage.add({ id: 'r1' }, 'ma');
    expect(coverage.matrix).toBe(false);
    expect([coverage.missing(record('r1')), coverage.missing(record('r2'))]).toEqual([[], [{ id: 'r2', model: 'ma', sample: 0 }]]);
  });
});
