import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunError } from '../../src/errors.js';
import { diffRunMeta, metaPath, OUTPUT_FORMAT_KEY, readRunMeta, UNCHECKED_BEFORE_KEY, writeRunMeta } from '../../src/output/index.js';
import { useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

describe('run meta', () => {
  it('metaPath sits next to the output', () => {
    expect(metaPath('/x/out.jsonl')).toBe('/x/out.jsonl.meta.json');
  });

  it('writes and reads back, leaving no temp files', () => {
    const dir = tmp();
    const out = join(dir, 'out.jsonl');
    const meta = { version: 1, model: 'gpt-4o', temperature: null, nested: { a: [1, 2] } };
    writeRunMeta(out, meta);
    expect(readRunMeta(out)).toEqual(meta);
    writeRunMeta(out, { version: 2 });
    expect(readRunMeta(out)).toEqual({ version: 2 });
    expect(readdirSync(dir).sort()).toEqual(['out.jsonl.meta.json']);
  });

  it('reads a missing file as undefined', () => {
    expect(readRunMeta(join(tmp(), 'out.jsonl'))).toBeUndefined();
  });

  it.each([['{"model": '], ['[1,2]'], ['null']])('rejects damaged metadata %j', (content) => {
    const out = join(tmp(), 'out.jsonl');
    writeFileSync(metaPath(out), content);
    expect(() => readRunMeta(out)).toThrow(RunError);
    expect(() => readRunMeta(out)).toThrow(metaPath(out));
  });

  it('throws RunError(output) when it cannot write', () => {
    const out = join(tmp(), 'missing', 'out.jsonl');
    expect(() => writeRunMeta(out, {})).toThrow(/Cannot write run metadata/);
    expect(existsSync(metaPath(out))).toBe(false);
  });
});

describe('diffRunMeta', () => {
  it.each([
    ['identical', { model: 'a', t: 1 }, { model: 'a', t: 1 }, []],
    ['changed string', { model: 'gpt-4o-mini' }, { model: 'gpt-4o' }, ['model: was "gpt-4o-mini", now "gpt-4o"']],
    ['added key', {}, { temperature: 0.2 }, ['temperature: was (not set), now 0.2']],
    ['removed key', { system: 'Be brief' }, {}, ['system: was "Be brief", now (not set)']],
    ['null vs value', { maxTokens: null }, { maxTokens: 100 }, ['maxTokens: was null, now 100']],
    ['deep equal, different key order', { o: { a: 1, b: [1, { c: 2 }] } }, { o: { b: [1, { c: 2 }], a: 1 } }, []],
    ['deep difference', { o: { a: 1, b: [1, 2] } }, { o: { a: 1, b: [2, 1] } }, ['o: was {"a":1,"b":[1,2]}, now {"a":1,"b":[2,1]}']],
    ['undefined equals absent', { a: undefined }, {}, []],
    ['type change', { n: 1 }, { n: '1' }, ['n: was 1, now "1"']],
    ['array vs object with its keys', { o: [1] }, { o: { 0: 1 } }, ['o: was [1], now {"0":1}']],
    ['null vs empty object', { o: null }, { o: {} }, ['o: was null, now {}']],
    ['a nested key more', { o: { a: 1 } }, { o: { a: 1, b: 2 } }, ['o: was {"a":1}, now {"a":1,"b":2}']],
    ['a shorter array', { o: [1, 2] }, { o: [1] }, ['o: was [1,2], now [1]']],
    ['nested undefined equals absent', { o: { a: undefined, b: [{ c: undefined }] } }, { o: { b: [{}] } }, []],
  ] as const)('%s', (_name, previous, current, expected) => {
    expect(diffRunMeta(previous as Record<string, unknown>, current as Record<string, unknown>)).toEqual(expected);
  });

  it('lists every differing key, current keys first', () => {
    expect(diffRunMeta({ z: 1, a: 1, b: 1 }, { a: 2, b: 1, c: 3 })).toEqual(['a: was 1, now 2', 'c: was (not set), now 3', 'z: was 1, now (not set)']);
  });

  it('names a key as label says', () => {
    expect(diffRunMeta({ csvDelimiter: ';', model: 'a' }, { model: 'b' }, (key) => `<${key}>`)).toEqual([
      '<model>: was "a", now "b"',
      '<csvDelimiter>: was ";", now (not set)',
    ]);
  });

  it('shortens very long values', () => {
    const [line] = diffRunMeta({ system: 'x'.repeat(1000) }, { system: 'y' });
    expect(line!.length).toBeLessThan(200);
    expect(line).toContain('…');
  });

  it('uncheckedBefore (rows older than the metadata) is no setting: not compared', () => {
    const meta = { model: 'gpt-4o', template: null };
    expect(diffRunMeta({ ...meta, [UNCHECKED_BEFORE_KEY]: '2026-12-02T02:00:00.000Z' }, meta)).toEqual([]);
    expect(diffRunMeta(meta, { ...meta, [UNCHECKED_BEFORE_KEY]: '2026-12-02T02:00:00.000Z' })).toEqual([]);
  });

  it('outputFormat (what the file holds) is no setting: an older record without it matches, and so do shards of either format', () => {
    const meta = { model: 'gpt-4o', template: null };
    expect(diffRunMeta(meta, { ...meta, [OUTPUT_FORMAT_KEY]: 'jsonl' })).toEqual([]);
    expect(diffRunMeta({ ...meta, [OUTPUT_FORMAT_KEY]: 'csv' }, { ...meta, [OUTPUT_FORMAT_KEY]: 'jsonl' })).toEqual([]);
  });
});
