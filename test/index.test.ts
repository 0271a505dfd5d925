/**
 * The library as a user's app uses it (README "As a library"): everything comes from the package's
 * entry, src/index.ts, and failures must reach the caller's try/catch as the documented errors.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { until } from './helpers/until.js';
import {
  AttemptError,
  ExitCode,
  InputError,
  RunError,
  UsageError,
  createOpenAIComplete,
  createRedactor,
  createStats,
  expandMatrix,
  proxyFromEnv,
  readRecords,
  runBatch,
  type BatchOptions,
  type BatchOutcome,
  type Complete,
  type PromptRecord,
  type RecordInput,
  type ResultRow,
  type RunBudget,
  type Usage,
} from '../src/index.js';

const KEY = 'sk-test-SECRET-123';

async function drain(rows: AsyncGenerator<ResultRow, BatchOutcome, undefined>): Promise<{ rows: ResultRow[]; outcome: BatchOutcome }> {
  const out: ResultRow[] = [];
  for (;;) {
    const step = await rows.next();
    if (step.done) return { rows: out, outcome: step.value };
    out.push(step.value);
  }
}

/** A record as a user builds one by hand. */
const record = (i: number): PromptRecord => ({
  id: `r${i}`,
  line: i + 1,
  source: 'app',
  prompt: `p${i}`,
  messages: [{ role: 'user', content: `p${i}` }],
  params: {},
});

/** Records as readRecords hands them out: an async iterable. */
async function* asyncRecords(...records: PromptRecord[]): AsyncGenerator<PromptRecord> {
  yield* records;
}

/** A server that echoes the Authorization header's key in its error, as OpenAI's 401 does. */
function echoingFetch(status: number, code: string): typeof fetch {
  return (async (_url: string | URL | Request, init?: RequestInit) => {
    const key = new Headers(init?.headers).get('authorization')?.slice('Bearer '.length);
    const body = { error: { message: `Incorrect API key provided: ${key}`, code } };
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

describe('createOpenAIComplete', () => {
  it.each([
    ['a 401 (the run stops)', 401, 'invalid_api_key'],
    ['a 400 (each row fails)', 400, 'bad_request'],
  ])('redacts its own apiKey by default: %s', async (_name, status, code) => {
    const complete = createOpenAIComplete({ apiKey: KEY, baseURL: 'http://127.0.0.1:9/v1', fetch: echoingFetch(status, code) });
    // A run-level stop is thrown (see below): its message is scrubbed as the rows are.
    const seen = await drain(runBatch([record(0), record(1)], { complete, model: 'm', concurrency: 1, circuitBreaker: false })).then(
      ({ rows, outcome }) => JSON.stringify({ rows, outcome }),
      (err: unknown) => String(err),
    );
    expect(seen).toMatch(/Incorrect API key provided: \[redacted\]/);
    expect(seen).not.toContain('SECRET');
  });

  it("wrapped in a caller's own complete that throws errors of its own: a refused field is still sent again without it", async () => {
    // Ours hands a refusal back for the engine to send again; a wrapper's new error lost that switch.
    const refusing = (async (_url: string | URL | Request, init?: RequestInit) => {
      const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
      if (body.max_tokens !== undefined) {
        const error = {
          message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
          param: 'max_tokens',
        };
        return new Response(JSON.stringify({ error }), { status: 400, headers: { 'content-type': 'application/json' } });
      }
      const answer = {
        id: 'c',
        object: 'chat.completion',
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
      };
      return new Response(JSON.stringify(answer), { status: 200, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const inner = createOpenAIComplete({ apiKey: KEY, baseURL: 'http://127.0.0.1:9/v1', fetch: refusing });
    const complete: Complete = (request, context) =>
      inner(request, context).catch((e: AttemptError) => {
        throw new AttemptError(e.type, `[primary] ${e.message}`, { status: e.info.status });
      });
    const { rows } = await drain(runBatch([record(0), record(1)], { complete, model: 'm', maxTokens: 20, stream: false, concurrency: 1 }));
    expect(rows.map((r) => [r.error, r.response])).toEqual([
      [null, 'hi'],
      [null, 'hi'],
    ]);
  });

  it.each<[string, unknown, RegExp]>([
    ['no options', undefined, /^createOpenAIComplete takes an options object \(\{ apiKey, baseURL \}\), got undefined$/],
    ['a baseURL that is no URL', { apiKey: KEY, baseURL: 'not a url' }, /^baseURL must be an http:\/\/ or https:\/\/ URL, got a string that is no URL$/],
    ['an ftp baseURL', { apiKey: KEY, baseURL: 'ftp://example.com/v1' }, /^baseURL must be an http:\/\/ or https:\/\/ URL, got a URL with protocol ftp:$/],
    ['a baseURL that is no string', { apiKey: KEY, baseURL: 8080 }, /^baseURL must be an http:\/\/ or https:\/\/ URL, got number$/],
    ['an apiKey that is no string', { apiKey: 42, baseURL: undefined }, /^apiKey must be a string, got number$/],
    ['a proxyFor that is no function', { apiKey: KEY, proxyFor: 'http://proxy:3128' }, /^proxyFor must be a function, got string$/],
  ])('refuses %s with a UsageError, at once', (_name, options, message) => {
    const make = () => createOpenAIComplete(options as Parameters<typeof createOpenAIComplete>[0]);
    expect(make).toThrow(UsageError);
    expect(make).toThrow(message);
  });

  it("uses the caller's redact in place of the default", async () => {
    const complete = createOpenAIComplete({
      apiKey: KEY,
      baseURL: 'http://127.0.0.1:9/v1',
      fetch: echoingFetch(400, 'x'),
      redact: (t) => t.replaceAll(KEY, '<key>'),
    });
    const { rows } = await drain(runBatch([record(0)], { complete, model: 'm', circuitBreaker: false }));
    expect(rows[0]?.error?.message).toMatch(/Incorrect API key provided: <key>$/);
  });

  it('takes createRedactor for more secrets than its own key', async () => {
    const redact = createRedactor([KEY, 'proxy-password']);
    expect(redact(`${KEY} via http://u:proxy-password@proxy`)).toBe('[redacted] via http://***@proxy');
    const complete = createOpenAIComplete({ apiKey: KEY, baseURL: 'http://127.0.0.1:9/v1', fetch: echoingFetch(400, 'x'), redact });
    const { rows } = await drain(runBatch([record(0)], { complete, model: 'm', circuitBreaker: false }));
    expect(rows[0]?.error?.message).toMatch(/Incorrect API key provided: \[redacted\]$/);
  });
});

describe('proxyFromEnv', () => {
  it("reads HTTPS_PROXY, HTTP_PROXY and NO_PROXY as the CLI does, with the proxy's password for the redactor", () => {
    const names = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy', 'NO_PROXY'];
    const saved = names.map((n) => [n, process.env[n]] as const);
    for (const n of names) delete process.env[n];
    try {
      process.env.HTTPS_PROXY = 'http://user:proxy-password-1@proxy.corp:3128';
      process.env.NO_PROXY = 'localhost';
      const proxy = proxyFromEnv(undefined);
      expect(proxy.proxyFor('https://api.openai.com/v1/chat/completions')).toBe('http://user:proxy-password-1@proxy.corp:3128');
      expect(proxy.proxyFor('http://localhost:11434/v1')).toBeUndefined();
      const redact = createRedactor([KEY, ...proxy.secrets]);
      expect(redact(`${KEY} proxy-password-1`)).not.toMatch(/SECRET|proxy-password/);
      // What README shows: the helper's two halves handed to createOpenAIComplete.
      expect(typeof createOpenAIComplete({ apiKey: KEY, proxyFor: proxy.proxyFor, redact })).toBe('function');
    } finally {
      for (const [n, v] of saved) {
        if (v === undefined) delete process.env[n];
        else process.env[n] = v;
      }
    }
  });
});

describe('readRecords', () => {
  it('a file stream that fails to open is an InputError from the run, caught by the caller', async () => {
    const missing = path.join(tmpdir(), `llm-batch-no-such-dir-${process.pid}`, 'prompts.txt');
    const stream = fs.createReadStream(missing);
    const records = readRecords(stream, { source: 'prompts.txt', format: 'txt' });
    // The stream fails before anything pulls from it. Its 'close' follows the 'error' event, which
    // throws instead when nothing listens (not events.once: that would listen for 'error' itself).
    let closed = false;
    stream.on('close', () => (closed = true));
    await until(() => closed, "the stream's close after its 'error'", 5_000);
    expect(stream.errored).toMatchObject({ code: 'ENOENT' });
    const complete: Complete = async () => {
      throw new Error('nothing should be sent');
    };
    const run = drain(runBatch(records, { complete, model: 'm' }));
    await expect(run).rejects.toBeInstanceOf(InputError);
    await expect(run).rejects.toThrow(/^prompts\.txt: cannot read input \(ENOENT/);
  });

  it("decodes a file's bytes as the CLI does: UTF-16 by its BOM; a Latin-1 byte stops the read at its line", async () => {
    const dir = fs.mkdtempSync(path.join(tmpdir(), 'llm-batch-lib-decode-'));
    try {
      const utf16 = path.join(dir, 'utf16.txt');
      fs.writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('café\nthé\n', 'utf16le')]));
      const prompts: string[] = [];
      for await (const r of readRecords(fs.createReadStream(utf16), { source: 'utf16.txt', format: 'txt' })) prompts.push(r.prompt);
      expect(prompts).toEqual(['café', 'thé']);
      const latin1 = path.join(dir, 'latin1.txt');
      fs.writeFileSync(latin1, Buffer.from('fine\ncafé\n', 'latin1'));
      const complete: Complete = async () => ({ text: 'ok', finishReason: 'stop', usage: null, model: 'm', headers: null });
      const run = drain(runBatch(readRecords(fs.createReadStream(latin1), { source: 'latin1.txt', format: 'txt' }), { complete, model: 'm' }));
      await expect(run).rejects.toBeInstanceOf(InputError);
      await expect(run).rejects.toThrow(/^latin1\.txt:2: not valid UTF-8 \(byte 0xE9\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the library at its edges: types as runtime takes them, and what a plain-JS caller may pass', () => {
  it("readRecords takes a web ReadableStream (a Blob's, a fetch body) and Uint8Array chunks (tsc checks this file)", async () => {
    const prompts: string[] = [];
    for await (const r of readRecords(new Blob(['café\n', 'thé\n']).stream(), { source: 'blob', format: 'txt' })) prompts.push(r.prompt);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('one\ntw');
      yield new TextEncoder().encode('o\n');
    }
    for await (const r of readRecords(chunks(), { source: 'bytes', format: 'txt' })) prompts.push(r.prompt);
    expect(prompts).toEqual(['café', 'thé', 'one', 'two']);
  });

  it("createOpenAIComplete takes no baseURL (OpenAI's own), as it runs", () => {
    expect(typeof createOpenAIComplete({ apiKey: 'k' })).toBe('function');
  });

  it('an AttemptError of a type no row may carry is a retried connection error that names it', async () => {
    let calls = 0;
    const complete: Complete = async () => {
      calls++;
      throw new AttemptError('weird' as AttemptError['type'], 'it went wrong');
    };
    const { rows } = await drain(runBatch([record(0)], { complete, model: 'm', retries: 1, circuitBreaker: false }));
    expect(rows[0]?.error).toMatchObject({ type: 'connection', message: 'it went wrong (an AttemptError of unknown type "weird")' });
    expect(calls).toBe(2);
  });

  it('usage that is not numbers is no usage: no tokens counted, none in the row', async () => {
    const complete: Complete = async () => ({
      text: 'ok',
      finishReason: 'stop',
      usage: { prompt_tokens: 'a', completion_tokens: 2 } as unknown as Usage,
      model: 'm',
      headers: null,
    });
    const stats = createStats();
    const { rows } = await drain(runBatch([record(0)], { complete, model: 'm', stats }));
    expect(rows[0]?.usage).toBeNull();
    expect(stats.promptTokens).toBe(0);
    expect(stats.completionTokens).toBe(0);
  });
});

describe('runBatch', () => {
  const answering = () => {
    const sent: string[] = [];
    const complete: Complete = async (request) => {
      sent.push(String(request.messages[0]?.content));
      return { text: 'ok', finishReason: 'stop', usage: null, model: request.model, headers: null };
    };
    return { complete, sent };
  };

  it('takes an array of records, or readRecords over any stream', async () => {
    const { complete, sent } = answering();
    const fromArray = await drain(runBatch([record(0), record(1)], { complete, model: 'm', order: 'input' }));
    expect(fromArray.rows.map((r) => r.id)).toEqual(['r0', 'r1']);
    const fromText = await drain(runBatch(readRecords(Readable.from(['a\nb\n']), { source: 's', format: 'txt' }), { complete, model: 'm', order: 'input' }));
    expect(fromText.rows.map((r) => r.prompt)).toEqual(['a', 'b']);
    expect(sent).toEqual(['p0', 'p1', 'a', 'b']);
  });

  it.each([
    ['a number', 42, /got number$/],
    ['null', null, /got null$/],
    ['a string', 'prompts.txt', /got string$/],
  ])('refuses records that are %s with a UsageError the caller catches', async (_name, records, message) => {
    const { complete } = answering();
    const run = drain(runBatch(records as unknown as PromptRecord[], { complete, model: 'm' }));
    await expect(run).rejects.toBeInstanceOf(UsageError);
    await expect(run).rejects.toThrow(message);
  });

  it.each<[string, Partial<BatchOptions>, RegExp]>([
    ['no model', { model: undefined }, /^model must be a non-empty string .*, got undefined$/],
    ['an empty model', { model: '' }, /^model must be a non-empty string .*, got ""$/],
    ['a model that is not a string', { model: 4 as unknown as string }, /^model must be a non-empty string .*, got 4$/],
    ['temperature above 2', { temperature: 9 }, /^temperature must be a number from 0 to 2, got 9$/],
    ['temperature below 0', { temperature: -0.5 }, /^temperature must be a number from 0 to 2, got -0.5$/],
    ['temperature NaN', { temperature: Number.NaN }, /^temperature must be a number from 0 to 2, got NaN$/],
    ['temperature as a string', { temperature: '1' as unknown as number }, /^temperature must be a number from 0 to 2, got "1"$/],
    ['an unknown order', { order: 'random' as 'input' }, /^order must be "completion" or "input", got "random"$/],
  ])('refuses %s with a UsageError before sending', async (_name, bad, message) => {
    const { complete, sent } = answering();
    const run = drain(runBatch(asyncRecords(record(0)), { complete, model: 'm', ...bad } as BatchOptions));
    await expect(run).rejects.toThrow(message);
    await expect(run).rejects.toMatchObject({ name: 'UsageError', code: 'usage', exitCode: ExitCode.usage });
    expect(sent).toEqual([]);
  });

  it.each<[string, Partial<BatchOptions>, RegExp]>([
    // NaN is what `Number(process.env.X)` of an unset variable gives: it switched the tpm cap off.
    ['defaultCompletionTokens NaN', { defaultCompletionTokens: Number.NaN, tpm: 1200 }, /^defaultCompletionTokens must be a whole number >= 0, got NaN$/],
    ['defaultCompletionTokens below 0', { defaultCompletionTokens: -1000 }, /^defaultCompletionTokens must be a whole number >= 0, got -1000$/],
    ['defaultCompletionTokens a fraction', { defaultCompletionTokens: 2.5 }, /^defaultCompletionTokens must be a whole number >= 0, got 2.5$/],
    ['maxTokens -1', { maxTokens: -1 }, /^maxTokens must be a positive integer, got -1$/],
    ['maxTokens 0', { maxTokens: 0 }, /^maxTokens must be a positive integer, got 0$/],
    ['maxTokens 1.5', { maxTokens: 1.5 }, /^maxTokens must be a positive integer, got 1.5$/],
    ['maxTokens NaN', { maxTokens: Number.NaN }, /^maxTokens must be a positive integer, got NaN$/],
    ['maxTokens as a string', { maxTokens: '100' as unknown as number }, /^maxTokens must be a positive integer, got "100"$/],
    ['budgetMaxTokens NaN', { budgetMaxTokens: Number.NaN }, /^budgetMaxTokens must be a positive integer, got NaN$/],
    ['stream as a string', { stream: 'false' as unknown as boolean }, /^stream must be true or false, got "false"$/],
    ['no complete', { complete: undefined }, /^complete must be a function that sends one request \(createOpenAIComplete\(…\)\), got undefined$/],
    ['a stopSignal that is no signal', { stopSignal: {} as AbortSignal }, /^stopSignal must be an AbortSignal \(an AbortController's signal\), got an object$/],
    [
      'an abortSignal of true',
      { abortSignal: true as unknown as AbortSignal },
      /^abortSignal must be an AbortSignal \(an AbortController's signal\), got true$/,
    ],
    ['an onEvent that is no function', { onEvent: 5 as unknown as BatchOptions['onEvent'] }, /^onEvent must be a function, got 5$/],
    ['an onRow that is no function', { onRow: 'log' as unknown as BatchOptions['onRow'] }, /^onRow must be a function, got "log"$/],
    // A run with such stats never ended: its first record was counted outside the guard that settles it.
    ['stats that are no createStats()', { stats: 5 as unknown as BatchOptions['stats'] }, /^stats must be what createStats\(\) returns, got 5$/],
    ['a cache that is no answer cache', { cache: 5 as unknown as BatchOptions['cache'] }, /^cache must be what createAnswerCache\(…\) returns, got 5$/],
    ['a budget without admit', { budget: {} as unknown as BatchOptions['budget'] }, /^budget must be what createRunBudget\(…\) returns, got an object$/],
    // Sent and paid for, then `check is not a function` at the first answer.
    [
      'a structured without check',
      { structured: { retries: 1 } as unknown as BatchOptions['structured'] },
      /^structured\.check must be a function .*, got undefined$/,
    ],
    [
      'structured.retries NaN',
      { structured: { check: () => ({ ok: true, value: 1 }), retries: Number.NaN } as unknown as BatchOptions['structured'] },
      /^structured\.retries must be a whole number >= 0, got NaN$/,
    ],
  ])('refuses %s with a UsageError naming the option', async (_name, bad, message) => {
    const { complete, sent } = answering();
    const run = drain(runBatch(asyncRecords(record(0)), { complete, model: 'm', ...bad } as BatchOptions));
    await expect(run).rejects.toThrow(message);
    await expect(run).rejects.toMatchObject({ name: 'UsageError', code: 'usage', exitCode: ExitCode.usage });
    expect(sent).toEqual([]);
  });

  it.each([undefined, null, 'gpt-4o-mini'])('refuses options that are %s with a UsageError', async (options) => {
    const run = drain(runBatch([record(0)], options as unknown as BatchOptions));
    await expect(run).rejects.toBeInstanceOf(UsageError);
    await expect(run).rejects.toThrow(/^options must be an object with at least complete and model, got /);
  });

  it.each([
    ['a string', 'just a string', /^record 2 of the input is not a prompt record \(.*\), got "just a string"$/],
    ['null', null, /^record 2 of the input is not a prompt record \(.*\), got null$/],
    ['a record without messages', { id: 'x', prompt: 'hi' }, /^record 2 of the input \(id "x"\) has no messages \(.*\), got undefined$/],
    // Its row went out with no id.
    [
      'a record without an id',
      { ...record(1), id: undefined },
      /^record 2 of the input: id must be a non-empty string \(rows are told apart by it\), got none$/,
    ],
    ['a record whose id is a number', { ...record(1), id: 7 }, /^record 2 of the input: id must be a non-empty string .*, got 7$/],
    ['a record with params not an object', { ...record(1), params: 'm' }, /^record 2 of the input \(id "r1"\): params must be an object .*, got string$/],
    ['a record with params an array', { ...record(1), params: ['m'] }, /^record 2 of the input \(id "r1"\): params must be an object .*, got an array$/],
    // Checked as the run's own model, temperature and maxTokens are: these were sent as they were.
    [
      'a record whose model is a number',
      { ...record(1), params: { model: 4 } },
      /^record 2 of the input \(id "r1"\): params\.model must be a non-empty string or left out, got 4$/,
    ],
    ['a record whose model is blank', { ...record(1), params: { model: ' ' } }, /: params\.model must be a non-empty string or left out, got " "$/],
    [
      'a record whose temperature is a string',
      { ...record(1), params: { temperature: 'hot' } },
      /: params\.temperature must be a number from 0 to 2 or left out, got "hot"$/,
    ],
    ['a record whose temperature is 9', { ...record(1), params: { temperature: 9 } }, /: params\.temperature must be a number from 0 to 2 or left out, got 9$/],
    ['a record whose max_tokens is -1', { ...record(1), params: { max_tokens: -1 } }, /: params\.max_tokens must be a positive integer or left out, got -1$/],
    [
      'a record whose max_tokens is a string',
      { ...record(1), params: { max_tokens: '5' } },
      /: params\.max_tokens must be a positive integer or left out, got "5"$/,
    ],
    // Spread into the request body letter by letter.
    [
      'a record whose extraBody is a string',
      { ...record(1), extraBody: 'seed' },
      /: extraBody must be an object \(request-body fields\) or left out, got "seed"$/,
    ],
    ['a record whose sample is a string', { ...record(1), sample: '0' }, /: sample must be a whole number >= 0 or left out, got "0"$/],
    // Sent as it was; under tpm, a TypeError from the token estimate.
    ['a record with a null message', { ...record(1), messages: [null] }, /: messages\[0\] must be an object \(a chat message: role and content\), got null$/],
    // Its `input` row had no message.
    ['a record whose problem is a string', { ...record(1), problem: 'bad' }, /: problem must be an object with a message \(a string\) or left out, got "bad"$/],
  ])('refuses %s among the records with a UsageError, and stops', async (_name, bad, message) => {
    const { complete, sent } = answering();
    const records = [record(0), bad, ...Array.from({ length: 20 }, (_, i) => record(i + 2))] as PromptRecord[];
    const run = drain(runBatch(records, { complete, model: 'm', concurrency: 1 }));
    await expect(run).rejects.toThrow(message);
    await expect(run).rejects.toMatchObject({ name: 'UsageError', code: 'usage' });
    // Records read before the bad one may have gone out; the run does not go on to the end.
    expect(sent.length).toBeLessThan(5);
    expect(sent).not.toContain('p1');
  });

  it("runs expandMatrix's cells of a record without params on each model, and refuses one whose params are no object", async () => {
    const { complete, sent } = answering();
    const { id, line, source, prompt, messages } = record(0);
    const built: RecordInput = { id, line, source, prompt, messages };
    const matrix = { models: ['a', 'b'], repeat: 1 };
    const { rows } = await drain(runBatch(expandMatrix(asyncRecords(built as PromptRecord), matrix), { complete, model: 'm', order: 'input' }));
    expect(sent).toEqual(['p0', 'p0']);
    expect(rows).toMatchObject([
      { id: 'r0', requested_model: 'a', sample: 0, error: null },
      { id: 'r0', requested_model: 'b', sample: 0, error: null },
    ]);
    const bad = { ...record(1), params: null } as unknown as PromptRecord;
    const run = drain(runBatch(expandMatrix(asyncRecords(bad), matrix), { complete, model: 'm' }));
    await expect(run).rejects.toThrow(/^record 1 of the input \(id "r1"\): params must be an object .*, got null$/);
    await expect(run).rejects.toBeInstanceOf(UsageError);
  });

  it("sends a record without params with the run's defaults", async () => {
    const { complete, sent } = answering();
    const { id, line, source, prompt, messages } = record(0);
    // Typed as README says a record you build is: no cast (tsc checks this file).
    const built: RecordInput = { id, line, source, prompt, messages };
    const { rows } = await drain(runBatch([built], { complete, model: 'm', maxTokens: 5 }));
    expect(sent).toEqual(['p0']);
    expect(rows).toMatchObject([{ id: 'r0', response: 'ok', model: 'm' }]);
  });

  it.each([0, 2])('accepts temperature %d (the bounds the CLI allows)', async (temperature) => {
    const { complete, sent } = answering();
    await drain(runBatch(asyncRecords(record(0)), { complete, model: 'm', temperature }));
    expect(sent).toEqual(['p0']);
  });
});

describe('runBatch: a stop of the whole run', () => {
  /** Answers every prompt but `p<failAt>`, which fails with `error` (for good: a stop, or every time). */
  function failingAt(failAt: number, error: () => AttemptError) {
    const sent: number[] = [];
    const complete: Complete = async (request) => {
      const i = Number(String(request.messages[0]?.content).slice(1));
      sent.push(i);
      if (i >= failAt) throw error();
      return { text: `a${i}`, finishReason: 'stop', usage: null, model: request.model, headers: null };
    };
    return { complete, sent };
  }

  it.each<[string, number, () => AttemptError, RunError['code'], number, string[]]>([
    [
      'a rejected key',
      2,
      () => new AttemptError('auth', 'HTTP 401: Incorrect API key provided: [redacted]', { status: 401, stop: 'auth' }),
      'auth',
      ExitCode.usage,
      ['a0', 'a1'],
    ],
    [
      'an exhausted quota',
      2,
      () => new AttemptError('quota', 'HTTP 429 insufficient_quota: no credit', { status: 429, stop: 'quota' }),
      'quota',
      ExitCode.stoppedEarly,
      ['a0', 'a1'],
    ],
    [
      'a proxy that refuses',
      2,
      () => new AttemptError('auth', 'HTTP 407: proxy authentication required', { status: 407, stop: 'proxy' }),
      'proxy',
      ExitCode.usage,
      ['a0', 'a1'],
    ],
    // The first 3 attempts all refused: a refused connection sent nothing, so even with no retries
    // each prompt has retries left (README: Retry policy), and the third refusal trips the breaker:
    // no rows, --resume asks them.
    [
      'an unreachable endpoint',
      0,
      () => new AttemptError('connection', 'connection failed (ECONNREFUSED)', { code: 'ECONNREFUSED' }),
      'unreachable',
      ExitCode.unreachable,
      [],
    ],
  ])('%s is thrown as a RunError with its code and exit code, after the rows made before it', async (_name, failAt, error, code, exitCode, before) => {
    const { complete, sent } = failingAt(failAt, error);
    const rows: string[] = [];
    let thrown: unknown;
    try {
      // README's loop: the stop must reach its catch, not end the loop as if all went well.
      for await (const row of runBatch(
        Array.from({ length: 30 }, (_, i) => record(i)),
        { complete, model: 'm', concurrency: 1, retries: 0, order: 'input' },
      )) {
        rows.push(row.response ?? row.error!.type);
      }
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RunError);
    expect(thrown).toMatchObject({ name: 'RunError', code, exitCode, message: expect.stringMatching(new RegExp(`^stopped \\(${code}\\): `)) });
    expect(rows).toEqual(before);
    expect(sent).toEqual([0, 1, 2]);
  });

  it.each<[string, () => AttemptError, RunError['code']]>([
    ['auth', () => new AttemptError('auth', 'HTTP 401: bad key', { status: 401 }), 'auth'],
    ['quota', () => new AttemptError('quota', 'no credit left'), 'quota'],
  ])('an AttemptError of type %s stops the run as README says, with no `stop` given', async (_name, error, code) => {
    const { complete, sent } = failingAt(2, error);
    const run = drain(
      runBatch(
        Array.from({ length: 30 }, (_, i) => record(i)),
        { complete, model: 'm', concurrency: 1, order: 'input' },
      ),
    );
    await expect(run).rejects.toMatchObject({ name: 'RunError', code });
    expect(sent).toEqual([0, 1, 2]);
  });

  it('a server that refuses response_format is thrown as a RunError (code response_format)', async () => {
    const complete: Complete = async () => {
      throw new AttemptError('http', "HTTP 400: Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model", { status: 400 });
    };
    const check = () => ({ ok: true as const, value: {} });
    const structured = { responseFormat: { type: 'json_schema', json_schema: { name: 'x', schema: {} } }, check, retries: 0 };
    const run = drain(runBatch([record(0), record(1)], { complete, model: 'm', structured } as BatchOptions));
    await expect(run).rejects.toMatchObject({ code: 'response_format', exitCode: ExitCode.usage });
  });

  it("the caller's own stop is no error: the loop ends, and the return value says interrupted", async () => {
    const stop = new AbortController();
    const complete: Complete = async (request) => {
      stop.abort();
      return { text: 'ok', finishReason: 'stop', usage: null, model: request.model, headers: null };
    };
    const { rows, outcome } = await drain(runBatch([record(0), record(1), record(2)], { complete, model: 'm', concurrency: 1, stopSignal: stop.signal }));
    expect(rows.map((r) => r.id)).toEqual(['r0']);
    expect(outcome).toEqual({ stopped: 'interrupted', message: 'interrupted' });
  });

  it('a budget that is spent is no error: the loop ends, and the return value says budget', async () => {
    const { complete, sent } = failingAt(99, () => new AttemptError('http', 'never'));
    const budget = {
      capUsd: 0.01,
      admit: async () => ({ kind: 'full', message: 'budget reached' }),
      settle: () => {},
      spentUsd: () => 0,
      overrun: () => ({ answers: 0, usd: 0 }),
      passed: () => false,
    } as unknown as RunBudget;
    const { rows, outcome } = await drain(runBatch([record(0), record(1)], { complete, model: 'm', budget }));
    expect(rows).toEqual([]);
    expect(sent).toEqual([]);
    expect(outcome).toEqual({ stopped: 'budget', message: 'budget reached' });
  });

  it("types the return value with the stops it can hold: the caller's own (checked by tsc)", () => {
    // The others are thrown, or (output_closed, output_failed) the CLI's alone: a switch over them would be dead code.
    expectTypeOf<BatchOutcome['stopped']>().toEqualTypeOf<'interrupted' | 'budget' | undefined>();
    expectTypeOf(runBatch).returns.toEqualTypeOf<AsyncGenerator<ResultRow, BatchOutcome, undefined>>();
  });
});
