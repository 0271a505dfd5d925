import { describe, expect, it } from 'vitest';
import { batchTimes, rowFromBatchLine } from '../../src/batch/collect-rows.js';
import { customIdOf } from '../../src/batch/custom-id.js';
import type { IndexEntry } from '../../src/batch/plan-chunks.js';
import { isRegionRefusal } from '../../src/provider/region-refusal.js';
import { isTransientFailure } from '../../src/output/resume-policy.js';
import { answerScrubber } from '../../src/provider/answer-scrubber.js';

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
      customId: 'a',
      row: {
        id: 'a',
        line: 3,
        prompt: 'hello',
        response: 'hi',
        error: null,
        started_at: null,
        finished_at: null,
        attempts: 1,
        latency_ms: null,
        model: 'gpt-4o-mini-2024-07-18',
        finish_reason: 'stop',
        usage: { prompt_tokens: 5, completion_tokens: 1 },
        batch_id: 'batch_1',
      },
    });
  });

  it('keeps the prompt tokens the provider served from its cache (they bill lower)', () => {
    const out = rowFromBatchLine(
      line({
        custom_id: 'a',
        response: {
          status_code: 200,
          body: {
            model: 'gpt-4o-mini',
            choices: [{ message: { content: 'hi' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 1000, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 900 } },
          },
        },
        error: null,
      }),
      'b',
      index,
    );
    expect(out).toMatchObject({ kind: 'row', row: { usage: { prompt_tokens: 1000, completion_tokens: 1, cached_tokens: 900 } } });
  });

  it.each([
    [429, 'rate_limit'],
    [500, 'http'],
    [400, 'http'],
  ])('HTTP %i becomes a %s error row with the status and message', (status, type) => {
    const out = rowFromBatchLine(line({ custom_id: 'a', response: { status_code: status, body: { error: { message: 'nope', code: 'x' } } } }), 'b', index);
    expect(out).toMatchObject({ kind: 'row', row: { response: null, error: { type, message: 'nope', status, code: 'x' } } });
  });

  it.each([
    ['a 429 insufficient_quota', 429, { message: 'You exceeded your current quota', code: 'insufficient_quota' }, 'quota'],
    ['a 429 whose type says insufficient_quota', 429, { message: 'quota', type: 'insufficient_quota' }, 'quota'],
    ['a 402', 402, { message: 'Insufficient credits' }, 'quota'],
    ["OpenRouter's 403 for a key past its spend cap", 403, { message: 'Key limit exceeded (monthly limit)' }, 'quota'],
    ['a 403 for one model', 403, { message: 'no access to o1', code: 'model_not_found' }, 'http'],
    ['a 403 for one flagged input', 403, { message: 'flagged', metadata: { reasons: ['violence'], flagged_input: 'x' } }, 'http'],
    ['a 403 for the key', 403, { message: 'not allowed' }, 'auth'],
  ] as const)('%s is typed as a live row has it, so --resume treats it the same', (_what, status, error, type) => {
    const out = rowFromBatchLine(line({ custom_id: 'a', response: { status_code: status, body: { error } }, error: null }), 'b', index);
    expect(out).toMatchObject({ kind: 'row', row: { response: null, error: { type, status } } });
    const row = out.kind === 'row' ? out.row : undefined;
    expect(isTransientFailure(row!.error!)).toBe(type === 'quota');
  });

  it.each(['batch_expired', 'batch_cancelled'])('%s lines are unfinished, not rows', (code) => {
    expect(rowFromBatchLine(line({ custom_id: 'a', response: null, error: { code, message: 'm' } }), 'b', index)).toEqual({ kind: 'unfinished', id: 'a' });
  });

  it('a 403 for the country or region is worded as such (as a live row), not as a key; other 403s as the server said', () => {
    const refused = (error: Record<string, unknown>) =>
      rowFromBatchLine(line({ custom_id: 'a', response: { status_code: 403, body: { error } }, error: null }), 'batch_1', index);
    const region = refused({ message: 'Country, region, or territory not supported', code: 'unsupported_country_region_territory' });
    expect(region).toMatchObject({
      kind: 'row',
      row: {
        error: {
          type: 'auth',
          status: 403,
          code: 'unsupported_country_region_territory',
          message: 'the server does not serve the country or region the requests come from (HTTP 403: Country, region, or territory not supported)',
        },
      },
    });
    // A gateway that passes the message on without the code.
    const worded = refused({ message: 'Country, region, or territory not supported' });
    expect(worded.kind === 'row' && isRegionRefusal(worded.row.error!.message)).toBe(true);
    const key = refused({ message: 'You are not allowed to use this project' });
    expect(key).toMatchObject({ kind: 'row', row: { error: { type: 'auth', status: 403, message: 'You are not allowed to use this project' } } });
  });

  it("a 500 line that says the prompt is past the model's context is no line to ask again, as live", () => {
    const failed = (message: string) => {
      const r = rowFromBatchLine(line({ custom_id: 'a', response: { status_code: 500, body: { error: { message, code: null } } } }), 'b', index);
      return r.kind === 'row' ? r.row.error! : undefined;
    };
    const overflow = failed('the input length exceeds the context length');
    expect(overflow).toMatchObject({ type: 'http', status: 500, code: 'context_length_exceeded' });
    expect(isTransientFailure(overflow!)).toBe(false);
    expect(isTransientFailure(failed('The server had an error')!)).toBe(true);
  });

  it('a line for an id the batch never had, or not JSON, is unknown', () => {
    expect(rowFromBatchLine(line({ custom_id: 'zz', response: null }), 'b', index).kind).toBe('unknown');
    expect(rowFromBatchLine('{not json', 'b', index).kind).toBe('unknown');
  });

  it("a server's words of another shape are said as text: an object as a message threw in the redactor, and every resume again", () => {
    const error = (value: object) => {
      const out = rowFromBatchLine(line({ custom_id: 'a', ...value }), 'b', index);
      return out.kind === 'row' ? out.row.error : out.kind;
    };
    expect(error({ response: { status_code: 400, body: { error: { message: { detail: 'x' }, code: 7 } } } })).toMatchObject({
      message: '{"detail":"x"}',
      status: 400,
      code: '7',
    });
    expect(error({ response: { status_code: 400, body: { error: { message: 'no', code: { n: 1 } } } } })).toMatchObject({ code: '{"n":1}' });
    // An `error` that is a string, with no response or in a body: its words, not "no response" or "HTTP 429".
    expect(error({ response: null, error: 'plain string error' })).toMatchObject({ type: 'bad_response', message: 'plain string error' });
    expect(error({ response: { status_code: 429, body: { error: 'Too many requests' } } })).toMatchObject({ status: 429, message: 'Too many requests' });
    expect(error({ response: null, error: { message: 42 } })).toMatchObject({ type: 'bad_response', message: '42' });
    expect(error({ response: 5 })).toMatchObject({ type: 'bad_response', message: 'the batch returned no response for this line' });
    expect(error({ response: { status_code: 'abc', body: {} } })).toMatchObject({ message: 'the response has no status code' });
    expect(error({ response: { status_code: 200, body: { choices: 'abc' } } })).toMatchObject({ type: 'bad_response', message: 'response has no choices' });
    // A status written as digits is that status.
    expect(error({ response: { status_code: '200', body: { choices: [{ message: { content: 'hi' }, finish_reason: 'stop' }] } } })).toBeNull();
  });

  it('a line that is JSON but no object, or has no custom_id, is unknown and says why (null threw, and every resume again)', () => {
    const why = (text: string) => {
      const out = rowFromBatchLine(text, 'b', index);
      return out.kind === 'unknown' ? out.why : out.kind;
    };
    expect(['null', '123', '"x"', '[1]', '{}', '{"custom_id":null}', '{"custom_id":5}'].map(why)).toEqual([
      'a line that is not a JSON object',
      'a line that is not a JSON object',
      'a line that is not a JSON object',
      'a line that is not a JSON object',
      'a line with no custom_id',
      'a line with no custom_id',
      'custom_id 5 is not in this batch',
    ]);
  });

  it('with a scrubber, an answer that repeats the key is without it: text, refusal, tool calls, logprobs, model, finish_reason', () => {
    const key = 'sk-LEAKCHECK-1234567890abcdef';
    const scrub = answerScrubber(key);
    const message = {
      content: `it is ${key}`,
      refusal: `not ${key}`,
      tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: `{"k":"${key}"}` } }],
    };
    const logprobs = {
      content: [
        { token: 'it is sk-LEAK', logprob: -1, bytes: [1] },
        { token: 'CHECK-1234567890abcdef', logprob: -1, bytes: [2] },
      ],
    };
    const body = { model: `gw/${key}`, choices: [{ message, logprobs, finish_reason: `echo ${key}` }] };
    const out = rowFromBatchLine(line({ custom_id: 'a', response: { status_code: 200, body } }), 'b', index, undefined, scrub);
    expect(JSON.stringify(out)).not.toContain('LEAKCHECK');
    expect(out).toMatchObject({
      refusal: 'not [redacted]',
      row: {
        response: 'it is [redacted]',
        model: 'gw/[redacted]',
        finish_reason: 'echo [redacted]',
        tool_calls: [{ function: { arguments: '{"k":"[redacted]"}' } }],
        logprobs: {
          content: [
            { token: 'it is [redacted]', bytes: [] },
            { token: '', bytes: [] },
          ],
        },
      },
    });
    const bare = rowFromBatchLine(
      line({ custom_id: 'a', response: { status_code: 200, body: { model: `gw/${key}`, choices: [] } } }),
      'b',
      index,
      undefined,
      scrub,
    );
    expect(bare).toMatchObject({ row: { model: 'gw/[redacted]', error: { message: 'response has no choices' } } });
  });

  it('a model × sample line becomes the row of (id, model, sample), as a live matrix row', () => {
    const customId = customIdOf({ id: 'a|"x', model: 'm-1', sample: 2 });
    const matrix = new Map<string, IndexEntry>([[customId, [customId, 4, 'hi', null, { id: 'a|"x', model: 'm-1', sample: 2 }]]]);
    const body = { model: 'm-1', choices: [{ message: { content: 'ok' }, finish_reason: 'stop' }] };
    const out = rowFromBatchLine(line({ custom_id: customId, response: { status_code: 200, body } }), 'b', matrix);
    expect(out).toMatchObject({ kind: 'row', customId, row: { id: 'a|"x', requested_model: 'm-1', sample: 2, line: 4, response: 'ok' } });
    expect(JSON.parse(customId)).toEqual(['a|"x', 'm-1', 2]);
  });

  it("dates an answer from the batch's in_progress_at to its completion's created, in ISO 8601 with ms", () => {
    const times = batchTimes({ created_at: 1_700_000_000, in_progress_at: 1_700_000_010, finalizing_at: 1_700_000_100, completed_at: 1_700_000_120 });
    const body = { created: 1_700_000_042, choices: [{ message: { content: 'hi' }, finish_reason: 'stop' }] };
    const ok = rowFromBatchLine(line({ custom_id: 'a', response: { status_code: 200, body } }), 'b', index, times);
    expect(ok).toMatchObject({ row: { started_at: '2023-11-14T22:13:30.000Z', finished_at: '2023-11-14T22:14:02.000Z' } });
    // An error line has no completion: it ended by the time the batch was finalizing.
    const failed = rowFromBatchLine(line({ custom_id: 'a', response: { status_code: 500, body: { error: { message: 'x' } } } }), 'b', index, times);
    expect(failed).toMatchObject({ row: { started_at: '2023-11-14T22:13:30.000Z', finished_at: '2023-11-14T22:15:00.000Z' } });
    // A clock that says the answer came before the batch ran is not believed past the batch's start.
    const early = rowFromBatchLine(line({ custom_id: 'a', response: { status_code: 200, body: { ...body, created: 1_699_999_999 } } }), 'b', index, times);
    expect(early).toMatchObject({ row: { started_at: '2023-11-14T22:13:30.000Z', finished_at: '2023-11-14T22:13:30.000Z' } });
  });
});
