import { describe, expect, it } from 'vitest';
import { rowFromBatchLine } from '../../src/batch/collect-rows.js';
import type { IndexEntry } from '../../src/batch/plan-chunks.js';

const index = new Map<string, IndexEntry>([['a', ['a', 3, 'hello']]]);
const line = (value: unknown) => JSON.stringify(value);

describe('rowFromBatchLine', () => {
  it('an answered line becomes a row shaped like a live one, plus batch_id', () => {
    const out = rowFromBatchLine(
      line({
        custom_id: 'a',
        response: {
          status_code: 200,
          body: {
            model: 'gpt-4o-mini-2024-07-18',
            choices: [{ message: { content: 'hi' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 5, completion_tokens: 1 },
          },
        },
        error: null,
      }),
      'batch_1',
      index,
    );
    expect(out).toEqual({
      kind: 'row',
      row: {
        id: 'a',
        line: 3,
        prompt: 'hello',
        response: 'hi',
        error: null,
        attempts: 1,
        latency_ms: null,
        model: 'gpt-4o-mini-2024-07-18',
        finish_reason: 'stop',
        usage: { prompt_tokens: 5, completion_tokens: 1 },
        batch_id: 'batch_1',
      },
    });
  });

  it.each([
    [429, 'rate_limit'],
    [500, 'http'],
    [400, 'http'],
  ])('HTTP %i becomes a %s error row with the status and message', (status, type) => {
    const out = rowFromBatchLine(line({ custom_id: 'a', response: { status_code: status, body: { error: { message: 'nope', code: 'x' } } } }), 'b', index);
    expect(out).toMatchObject({ kind: 'row', row: { response: null, error: { type, message: 'nope', status, code: 'x' } } });
  });

  it.each(['batch_expired', 'batch_cancelled'])('%s lines are unfinished, not rows', (code) => {
    expect(rowFromBatchLine(line({ custom_id: 'a', response: null, error: { code, message: 'm' } }), 'b', index)).toEqual({ kind: 'unfinished', id: 'a' });
  });

  it('a line for an id the batch never had, or not JSON, is unknown', () => {
    expect(rowFromBatchLine(line({ custom_id: 'zz', response: null }), 'b', index).kind).toBe('unknown');
    expect(rowFromBatchLine('{not json', 'b', index).kind).toBe('unknown');
  });
});
