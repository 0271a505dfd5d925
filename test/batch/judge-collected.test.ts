import { describe, expect, it } from 'vitest';
import { judgeCollected } from '../../src/batch/judge-collected.js';
import { compileCheck } from '../../src/structured/validate.js';
import type { ResultRow } from '../../src/types.js';

const check = compileCheck({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false }, '07');
const row = (response: string, finish = 'stop'): ResultRow => ({
  id: 'a',
  line: 1,
  prompt: 'p',
  response,
  error: null,
  attempts: 1,
  latency_ms: null,
  model: 'm',
  finish_reason: finish,
  usage: null,
  batch_id: 'b',
});

describe('judgeCollected', () => {
  it('a valid answer gains output', () => {
    expect(judgeCollected(row('{"n":1}'), undefined, { check, retries: 2, reaskLive: false })).toEqual({
      kind: 'row',
      row: { ...row('{"n":1}'), output: { n: 1 } },
    });
  });

  it('an invalid answer is re-asked only when a live re-ask is possible and allowed', () => {
    expect(judgeCollected(row('{"n":"x"}'), undefined, { check, retries: 2, reaskLive: true }).kind).toBe('reask');
    const judged = judgeCollected(row('{"n":"x"}'), undefined, { check, retries: 0, reaskLive: true });
    expect(judged).toMatchObject({ kind: 'row', row: { response: '{"n":"x"}', error: { type: 'invalid_output' }, output: null } });
    const noLive = judgeCollected(row('{"n":"x"}'), undefined, { check, retries: 2, reaskLive: false });
    expect(noLive.kind === 'row' && noLive.row.error?.message).toMatch(/--resume --retry-failed/);
  });

  it('a truncated answer or a refusal is final; a failed row just gets output null', () => {
    expect(judgeCollected(row('{"n":', 'length'), undefined, { check, retries: 2, reaskLive: true }).kind).toBe('row');
    const refused = judgeCollected(row(''), 'I cannot', { check, retries: 2, reaskLive: true });
    expect(refused).toMatchObject({ kind: 'row', row: { response: 'I cannot', error: { type: 'invalid_output' } } });
    const failed: ResultRow = { ...row(''), response: null, error: { type: 'http', message: 'x' } };
    expect(judgeCollected(failed, undefined, { check, retries: 2, reaskLive: true })).toEqual({ kind: 'row', row: { ...failed, output: null } });
  });
});
