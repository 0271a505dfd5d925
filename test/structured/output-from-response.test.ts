import { describe, expect, it } from 'vitest';
import { outputFromResponse } from '../../src/structured/output-from-response.js';
import { truncatedError } from '../../src/types.js';

describe('outputFromResponse', () => {
  it.each<[string, { error: { type: any; message: string } | null; response: string | null }, unknown]>([
    ['an answer, typed', { error: null, response: '{"n":1,"ok":true,"tags":["a"],"none":null}' }, { n: 1, ok: true, tags: ['a'], none: null }],
    ['a fenced answer (--schema-in-prompt)', { error: null, response: '```json\n{"n":1}\n```' }, { n: 1 }],
    ['--json: any JSON value', { error: null, response: '[1,"2"]' }, [1, '2']],
    ['an invalid answer', { error: { type: 'invalid_output', message: 'x' }, response: '{"n":"one"}' }, null],
    ['a failed request', { error: { type: 'http', message: 'x' }, response: null }, null],
    ['a validated answer cut off (--fail-truncated)', { error: truncatedError(50), response: '{"n":2}' }, { n: 2 }],
    ['… at the context length', { error: truncatedError(undefined, 'model_length'), response: '{"n":2}' }, { n: 2 }],
    // Its live row's output is null: a compaction of its CSV gave it the value that failed the schema.
    ['an answer cut off that failed its schema', { error: { type: 'truncated', message: '/n: must be integer' }, response: '{"n":"two"}' }, null],
    ['an answer cut off mid-JSON', { error: { type: 'truncated', message: 'the answer is not valid JSON' }, response: '{"n":' }, null],
    ['an edited cell that is not JSON', { error: null, response: 'hand-written' }, undefined],
  ])('%s', (_name, row, expected) => {
    expect(outputFromResponse(row)).toEqual(expected);
  });
});
