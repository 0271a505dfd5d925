import { describe, expect, it } from 'vitest';
import type { BatchEvent } from '../../src/engine/events.js';
import { AttemptError, type Complete, type CompletionRequest, type CompletionResult } from '../../src/provider/completion.js';
import { runBatch, type BatchOutcome } from '../../src/engine/run-batch.js';
import { createStats } from '../../src/engine/stats.js';
import { strictify } from '../../src/structured/strictify.js';
import { jsonSchemaFormat } from '../../src/structured/response-format.js';
import { compileCheck } from '../../src/structured/validate.js';
import type { StructuredOutput } from '../../src/structured/types.js';
import type { PromptRecord, ResultRow } from '../../src/types.js';
import type { AnswerCache } from '../../src/engine/answer-cache.js';
import type { CachedAnswer } from '../../src/cache/response-store.js';

/** An in-memory response cache keyed by the request's messages (enough for one record). */
function memoryCache(seed?: string) {
  const stored = new Map<string, CachedAnswer>();
  const key = (request: CompletionRequest) => JSON.stringify(request.messages);
  if (seed !== undefined) stored.set(JSON.stringify(record.messages), { text: seed, finishReason: 'stop', model: 'm', usage: null, storedAt: 0 });
  const cache: AnswerCache = {
    keyOf: key,
    lookup: (k) => stored.get(k),
    store: (k, _request, result) =>
      void stored.set(k, { text: result.text, finishReason: result.finishReason, model: result.model, usage: result.usage, storedAt: 0 }),
    getByBody: () => undefined,
    putByBody: async () => {},
    flush: async () => {},
  };
  return { cache, stored };
}

const schema = strictify({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] }).schema;

function structured(retries = 2): StructuredOutput {
  return { responseFormat: jsonSchemaFormat('t', schema), check: compileCheck(schema, '07'), retries };
}

const record: PromptRecord = { id: 'r0', line: 1, source: 's', prompt: 'p', messages: [{ role: 'user', content: 'p' }], params: {} };

async function* one(): AsyncGenerator<PromptRecord> {
  yield record;
}

const answer = (text: string, finishReason = 'stop'): CompletionResult => ({
  text,
  finishReason,
  usage: { prompt_tokens: 10, completion_tokens: 2 },
  model: 'm',
  headers: null,
});

/** A provider that answers from a script, one entry per request, and records what it was sent. */
function scripted(script: Array<string | AttemptError | CompletionResult>) {
  const sent: CompletionRequest[] = [];
  const complete: Complete = async (request) => {
    sent.push(structuredClone(request));
    const next = script[sent.length - 1];
    if (next === undefined) throw new Error('script ran out');
    if (next instanceof AttemptError) throw next;
    return typeof next === 'string' ? answer(next) : next;
  };
  return { complete, sent };
}

async function run(
  complete: Complete,
  s: StructuredOutput,
  extra: { events?: BatchEvent[]; stats?: ReturnType<typeof createStats>; cache?: AnswerCache; failTruncated?: boolean } = {},
) {
  const gen = runBatch(one(), {
    complete,
    model: 'm',
    structured: s,
    cache: extra.cache,
    random: () => 0,
    rpm: 6_000_000,
    stats: extra.stats,
    failTruncated: extra.failTruncated,
    onEvent: (e) => extra.events?.push(e),
  });
  const rows: ResultRow[] = [];
  for (;;) {
    const step = await gen.next();
    if (step.done) return { rows, outcome: step.value as BatchOutcome };
    rows.push(step.value);
  }
}

describe('engine with a schema', () => {
  it('structured without retries (a JavaScript caller) re-asks twice, as its default says, then writes invalid_output', async () => {
    const { complete, sent } = scripted(['not json', 'not json', 'not json', 'not json']);
    const { retries: _, ...noRetries } = structured();
    const { rows } = await run(complete, noRetries as StructuredOutput);
    expect(sent).toHaveLength(3);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ attempts: 3, error: { type: 'invalid_output' } });
  });

  it('a valid answer: output holds the parsed value; response_format is on the request', async () => {
    const { complete, sent } = scripted(['{"n":3}']);
    const { rows } = await run(complete, structured());
    expect(rows[0]).toMatchObject({ response: '{"n":3}', output: { n: 3 }, error: null, attempts: 1 });
    expect(sent[0]!.response_format).toEqual({ type: 'json_schema', json_schema: { name: 't', schema, strict: true } });
  });

  // A re-ask resends the prompt, which a prompt cache serves: the cached part is added up too, or
  // the row's input would be priced in full.
  it("a re-asked row's usage adds up the cached prompt tokens as well", async () => {
    const cachedAnswer = (text: string): CompletionResult => ({ ...answer(text), usage: { prompt_tokens: 10, completion_tokens: 2, cached_tokens: 8 } });
    const { complete } = scripted([cachedAnswer('{"n":"three"}'), cachedAnswer('{"n":3}')]);
    const { rows } = await run(complete, structured());
    expect(rows[0]!.usage).toEqual({ prompt_tokens: 20, completion_tokens: 4, cached_tokens: 16 });
  });

  it('re-asks an invalid answer: the second request carries the answer and the errors; attempts and usage add up', async () => {
    const { complete, sent } = scripted(['{"n":"three"}', '{"n":3}']);
    const events: BatchEvent[] = [];
    const stats = createStats();
    const { rows } = await run(complete, structured(), { events, stats });
    expect(rows[0]).toMatchObject({ output: { n: 3 }, attempts: 2, error: null, usage: { prompt_tokens: 20, completion_tokens: 4 } });
    expect(sent[1]!.messages.slice(1)).toEqual([
      { role: 'assistant', content: '{"n":"three"}' },
      { role: 'user', content: expect.stringContaining('- /n: must be integer') },
    ]);
    expect(events.filter((e) => e.type === 'reask')).toEqual([{ type: 'reask', id: 'r0', attempt: 1, problems: ['/n: must be integer'] }]);
    expect(stats).toMatchObject({ reasks: 1, ok: 1, requests: 2 });
  });

  it('never valid: an invalid_output row after 1 + N attempts, raw text kept in response', async () => {
    const { complete, sent } = scripted(['nope', '{"n":1.5}', '{"m":1}', '{"n":1}']);
    const stats = createStats();
    const { rows } = await run(complete, structured(2), { stats });
    expect(sent).toHaveLength(3);
    expect(rows[0]).toMatchObject({ response: '{"m":1}', output: null, attempts: 3, error: { type: 'invalid_output' } });
    expect(rows[0]!.error!.message).toMatch(/^answer does not match the schema: \/: missing property "n"; \/: unexpected property "m" \(after 2 re-asks\)$/);
    expect(stats).toMatchObject({ reasks: 2, failed: 1, failedByType: { invalid_output: 1 } });
  });

  it('a stop before the re-ask is sent: an aborted row, and no re-ask counted (none was sent)', async () => {
    const stop = new AbortController();
    const { complete: answerOnce, sent } = scripted(['{"n":"three"}', '{"n":3}']);
    // The stop comes while the first answer is on its way back: the re-ask is never sent.
    const complete: Complete = async (request, options) => {
      const result = await answerOnce(request, options);
      stop.abort();
      return result;
    };
    const stats = createStats();
    const rows: ResultRow[] = [];
    const gen = runBatch(one(), { complete, model: 'm', structured: structured(), random: () => 0, rpm: 6_000_000, stats, stopSignal: stop.signal });
    for await (const row of gen) rows.push(row);
    expect(sent).toHaveLength(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ attempts: 1, error: { type: 'aborted' } });
    expect(stats).toMatchObject({ reasks: 0, requests: 1, failed: 1 });
  });

  it('--schema-retries 0: the first invalid answer is the row', async () => {
    const { complete, sent } = scripted(['{"n":"x"}']);
    const { rows } = await run(complete, structured(0));
    expect(sent).toHaveLength(1);
    expect(rows[0]).toMatchObject({ attempts: 1, error: { type: 'invalid_output' } });
  });

  it('a truncated answer is said as such and not re-asked', async () => {
    const { complete, sent } = scripted([answer('{"n":', 'length')]);
    const { rows } = await run(complete, structured());
    expect(sent).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      response: '{"n":',
      finish_reason: 'length',
      error: { type: 'invalid_output', message: expect.stringMatching(/^answer cut off at the token limit/) },
    });
  });

  it.each([
    ['its JSON incomplete', '{"n":', /before its JSON was complete; raise --max-tokens/],
    ['its JSON complete but not matching', '{"m":1}', /; its JSON is complete but does not match the schema: \/: missing property "n"/],
  ])('a cut answer, %s: the message says which; with failTruncated a truncated row, as a cut valid answer is (EXC s22 F8)', async (_, text, said) => {
    for (const failTruncated of [false, true]) {
      const stats = createStats();
      const { complete, sent } = scripted([answer(text, 'length')]);
      const { rows } = await run(complete, structured(), { stats, failTruncated });
      expect(sent).toHaveLength(1);
      expect(rows[0]).toMatchObject({ error: { type: failTruncated ? 'truncated' : 'invalid_output', message: said }, output: null });
      expect(stats).toMatchObject({ truncated: 1, failed: 1 });
    }
    const { complete } = scripted([answer('{"n":1}', 'length')]);
    expect((await run(complete, structured(), { failTruncated: true })).rows[0]).toMatchObject({ error: { type: 'truncated' } });
  });

  it('a refusal is an invalid_output row saying so, not re-asked; the refusal text is the response', async () => {
    const { complete, sent } = scripted([{ ...answer(''), refusal: "I can't help with that." }]);
    const { rows } = await run(complete, structured());
    expect(sent).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      response: "I can't help with that.",
      error: { type: 'invalid_output', message: "the model refused to answer: I can't help with that." },
    });
  });

  it('transport retries and re-asks have their own budgets; both count in attempts', async () => {
    const e503 = () => new AttemptError('http', 'overloaded', { status: 503 });
    const { complete, sent } = scripted([e503(), '{"n":"x"}', e503(), '{"n":2}']);
    const gen = runBatch(one(), {
      complete,
      model: 'm',
      structured: structured(1),
      retries: 2,
      random: () => 0,
      rpm: 6_000_000,
      clock: { now: () => performance.now(), sleep: async () => {} },
    });
    const step = await gen.next();
    expect(sent).toHaveLength(4);
    expect(step.value).toMatchObject({ output: { n: 2 }, attempts: 4 });
  });

  it('a 400 naming response_format stops the run on the first one: no row, reason response_format', async () => {
    const e = new AttemptError('http', "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.", { status: 400 });
    const { complete, sent } = scripted([e]);
    const { rows, outcome } = await run(complete, structured());
    expect(sent).toHaveLength(1);
    expect(rows).toEqual([]);
    expect(outcome).toMatchObject({ stopped: 'response_format', message: expect.stringContaining('response_format') });
  });

  it('without response_format (--schema-in-prompt) such a 400 is an ordinary error row', async () => {
    const e = new AttemptError('http', "'response_format' is not supported", { status: 400 });
    const { complete } = scripted([e]);
    const { rows, outcome } = await run(complete, { ...structured(), responseFormat: undefined, instructions: 'schema here' });
    expect(outcome.stopped).toBeUndefined();
    expect(rows[0]).toMatchObject({ error: { type: 'http', status: 400 }, output: null });
  });

  it("instructions go in a system message before the record's own messages, which are unchanged", async () => {
    const { complete, sent } = scripted(['{"n":1}']);
    await run(complete, { ...structured(), responseFormat: undefined, instructions: 'S' });
    expect(sent[0]!.messages).toEqual([
      { role: 'system', content: 'S' },
      { role: 'user', content: 'p' },
    ]);
    expect(sent[0]!.response_format).toBeUndefined();
    expect(record.messages).toHaveLength(1);
  });
});

describe('engine with a schema and the response cache', () => {
  it('stores only the validated answer, under the first request (not the re-ask), and a hit needs no request', async () => {
    const { cache, stored } = memoryCache();
    const first = scripted(['{"n":"x"}', '{"n":4}']);
    const { rows } = await run(first.complete, structured(), { cache });
    expect(rows[0]).toMatchObject({ output: { n: 4 }, attempts: 2 });
    expect([...stored.values()].map((a) => a.text)).toEqual(['{"n":4}']);
    expect([...stored.keys()]).toEqual([JSON.stringify(record.messages)]);

    const again = scripted([]);
    const hit = await run(again.complete, structured(), { cache });
    expect(again.sent).toHaveLength(0);
    expect(hit.rows[0]).toMatchObject({ cached: true, output: { n: 4 }, response: '{"n":4}', error: null, attempts: 0 });
  });

  it('checks a stored answer again: one that fails the check now is asked afresh', async () => {
    const { cache } = memoryCache('{"n":"not a number"}');
    const { complete, sent } = scripted(['{"n":5}']);
    const { rows } = await run(complete, structured(), { cache });
    expect(sent).toHaveLength(1);
    expect(rows[0]).toMatchObject({ output: { n: 5 }, error: null, attempts: 1 });
    expect(rows[0]!.cached).toBeUndefined();
  });

  it('an answer that never validates is not stored', async () => {
    const { cache, stored } = memoryCache();
    const { complete } = scripted(['nope', 'nope', 'nope']);
    const { rows } = await run(complete, structured(), { cache });
    expect(rows[0]!.error?.type).toBe('invalid_output');
    expect(stored.size).toBe(0);
  });
});
