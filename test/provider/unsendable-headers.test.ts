import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ExitCode, UsageError, createOpenAIComplete, runBatch, type PromptRecord, type ResultRow } from '../../src/index.js';
import { startMockServer, type MockServer } from '../helpers/mock-server.js';

/**
 * The library path with a header value undici refuses to send (an OPENAI_ORG_ID or a key pasted
 * with smart quotes): the run used to stall for good once the pool had lost every connection to
 * such refusals (2 here), with requests "in flight" forever. It must end, and quickly: it stops
 * before the first request, as a rejected key does, naming the variable and never the value.
 * (A header refused in the transport itself: test/provider/chat-dispatch.test.ts.)
 */
let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(() => mock.close());
afterEach(() => {
  vi.unstubAllEnvs();
  mock.reset();
});

function* records(n: number): Generator<PromptRecord> {
  for (let i = 1; i <= n; i++)
    yield { id: `p${i}`, line: i, source: 'lib', prompt: `prompt ${i}`, messages: [{ role: 'user', content: `prompt ${i}` }], params: {} };
}

async function* from<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/** Runs the batch, failing the test if it does not end within `ms` (the old code never did). */
async function run(apiKey: string, ids: { organization?: string; project?: string } = {}, ms = 10_000): Promise<{ rows: ResultRow[]; error?: unknown }> {
  let complete: ReturnType<typeof createOpenAIComplete>;
  try {
    // An organization or project no header can carry is refused here, where it is given.
    complete = createOpenAIComplete({ apiKey, baseURL: mock.url, connections: 2, ...ids });
  } catch (error) {
    return { rows: [], error };
  }
  const rows: ResultRow[] = [];
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the run did not end within ${ms} ms`)), ms);
  });
  const drain = (async () => {
    for await (const row of runBatch(from(records(5)), { complete, model: 'gpt-test', concurrency: 2, retries: 1, circuitBreaker: false })) rows.push(row);
  })();
  try {
    await Promise.race([drain, stalled]);
    return { rows };
  } catch (error) {
    if (error instanceof Error && /did not end/.test(error.message)) throw error;
    return { rows, error };
  } finally {
    clearTimeout(timer);
    await (complete as { close?: () => Promise<void> }).close?.();
  }
}

describe('a header value undici cannot send, through the library', () => {
  it.each([
    [
      'an API key',
      'sk-\u201cSECRET\u201d',
      {},
      /^the API key has a character that cannot be sent in an HTTP header: U\+201C at position 4 of 11 \(the value is not shown\)$/,
    ],
    [
      'an organization',
      'sk-test',
      { organization: '\u201cSECRET\u201d' },
      /^the organization has a character that cannot be sent in an HTTP header: U\+201C at position 1 of 8 /,
    ],
    ['a project', 'sk-test', { project: 'SECRET\nSECRET' }, /^the project has a character that cannot be sent in an HTTP header: U\+000A at position 7 of 13 /],
  ])('%s with smart quotes or a line break stops the run before it sends anything', async (_, key, ids, message) => {
    const { rows, error } = await run(key, ids);
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code: 'usage', exitCode: ExitCode.usage });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toMatch(/SECRET/);
    expect(rows).toEqual([]);
    expect(mock.requests).toHaveLength(0);
  });

  it('organization and project are checked on the SDK path too (a trace given), and as strings', () => {
    expect(() => createOpenAIComplete({ apiKey: 'sk-test', baseURL: mock.url, trace: () => {}, organization: 'org\nX' })).toThrow(
      /^the organization has a character that cannot be sent in an HTTP header: U\+000A at position 4 of 5 /,
    );
    expect(() => createOpenAIComplete({ apiKey: 'sk-test', baseURL: mock.url, project: 123 as never })).toThrow(/^project must be a string, got number$/);
  });

  it("reads no OPENAI_ORG_ID, OPENAI_PROJECT_ID or OPENAI_BASE_URL: a host's own would go to any server", async () => {
    vi.stubEnv('OPENAI_ORG_ID', 'org-host');
    vi.stubEnv('OPENAI_PROJECT_ID', 'proj-host');
    vi.stubEnv('OPENAI_BASE_URL', 'http://127.0.0.1:9/elsewhere/v1');
    const { rows, error } = await run('sk-test');
    expect(error).toBeUndefined();
    expect(rows.map((row) => row.error)).toEqual(Array(5).fill(null));
    expect(mock.requests.map((request) => [request.organization, request.project])).toEqual(Array(5).fill([undefined, undefined]));
    // Given, they are sent.
    mock.reset();
    await run('sk-test', { organization: 'org-given', project: 'proj-given' });
    expect(mock.requests[0]).toMatchObject({ organization: 'org-given', project: 'proj-given' });
  });
});
