import { getEventListeners } from 'node:events';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createBatchClient } from '../../src/batch/batch-client.js';
import { RunError } from '../../src/errors.js';
import { isRegionRefusal } from '../../src/provider/region-refusal.js';
import { tempDir, writePrompts } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';

/** A client whose every call gets `status` with an OpenAI error body. */
function refusingClient(status: number, error: Record<string, unknown>) {
  const fetch = (async () =>
    new Response(JSON.stringify({ error }), { status, headers: { 'content-type': 'application/json' } })) as unknown as typeof globalThis.fetch;
  return createBatchClient({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1', redact: (t) => t, fetch });
}

async function failure(call: Promise<unknown>): Promise<RunError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RunError);
  return err as RunError;
}

describe('createBatchClient: how a refused call is worded', () => {
  it('a 403 for the country or region the calls come from does not blame the key (still an auth stop)', async () => {
    const err = await failure(
      refusingClient(403, {
        message: 'Country, region, or territory not supported',
        code: 'unsupported_country_region_territory',
        type: 'request_forbidden',
      }).retrieve('batch_1'),
    );
    expect(err.code).toBe('auth');
    expect(isRegionRefusal(err.message)).toBe(true);
    expect(err.message).toBe(
      'the server does not serve the country or region the requests come from (reading batch batch_1: HTTP 403 Country, region, or territory not supported); the API key is not the problem: check the network the requests leave by (a VPN, a proxy, the region of a cloud machine) and --base-url',
    );
    // A gateway that passes the message on without the code: the same.
    const worded = await failure(refusingClient(403, { message: 'Country, region, or territory not supported' }).cancel('batch_2'));
    expect(isRegionRefusal(worded.message)).toBe(true);
  });

  it.each([
    // vLLM and other FastAPI servers without the Batch API.
    ['application/json', '{"detail":"Not Found"}', 'Not Found'],
    // Ollama (Go's default 404).
    ['text/plain; charset=utf-8', '404 page not found', 'page not found'],
    ['text/plain', '', 'no body'],
  ])("a 404 in another server's words (%s %j) reads as the server put it", async (type, body, said) => {
    const fetch = (async () => new Response(body, { status: 404, headers: { 'content-type': type } })) as unknown as typeof globalThis.fetch;
    const client = createBatchClient({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1', redact: (t) => t, fetch });
    const err = await failure(client.create('file-1', {}));
    expect(err.message).toBe(`creating a batch from file-1: HTTP 404 ${said} (does this server offer the Batch API? check --base-url)`);
  });

  it.each([['retrieve' as const], ['cancel' as const]])('a 404 for a batch (%s) says whose batch it is and how to forget it', async (call) => {
    const fetch = (async () =>
      new Response('{"error":{"message":"No such batch: batch_9","type":"invalid_request_error"}}', {
        status: 404,
        headers: { 'content-type': 'application/json' },
      })) as unknown as typeof globalThis.fetch;
    const client = createBatchClient({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1', redact: (t) => t, fetch });
    const err = await failure(client[call]('batch_9'));
    expect(err.message).toMatch(
      /^(reading|cancelling) batch batch_9: HTTP 404 No such batch: batch_9: the batch was made with another key \(OpenAI project\) or --base-url than this one; use those, or, to forget it here, delete the output's \.batch\.json file/,
    );
  });

  it('another 401 or 403 is a rejected key', async () => {
    const err = await failure(refusingClient(401, { message: 'Incorrect API key provided', code: 'invalid_api_key' }).retrieve('batch_1'));
    expect(err.code).toBe('auth');
    expect(err.message).toMatch(/^the server rejected the API key \(reading batch batch_1: HTTP 401 Incorrect API key provided\); check OPENAI_API_KEY/);
  });
});

describe("createBatchClient: the run's signal", () => {
  const batch = { id: 'batch_1', object: 'batch', status: 'in_progress', created_at: 1, metadata: { run: 'r' } };
  /** Answers every call as the Batch API would, enough for each method to return. */
  const answering = (async (url: string | URL) => {
    const at = String(url);
    const body = at.endsWith('/content')
      ? '{"custom_id":"a"}\n'
      : JSON.stringify(
          at.includes('/batches?') ? { object: 'list', data: [batch], has_more: false } : at.includes('/files') ? { id: 'file_1', deleted: true } : batch,
        );
    return new Response(body, { status: 200, headers: { 'content-type': at.endsWith('/content') ? 'application/jsonl' : 'application/json' } });
  }) as unknown as typeof globalThis.fetch;

  it('keeps no listener on it once a call is over: a 24 h wait polls thousands of times', async () => {
    const stop = new AbortController();
    const uploadStop = new AbortController();
    const client = createBatchClient({
      apiKey: 'sk-test',
      baseURL: 'http://127.0.0.1:9/v1',
      redact: (t) => t,
      fetch: answering,
      signal: stop.signal,
      uploadSignal: uploadStop.signal,
    });
    const { dir, cleanup } = tempDir('llm-batch-client-');
    const file = writePrompts(dir, 'chunk.jsonl', ['{"custom_id":"a"}']);
    // Past the 11 at which Node warns on stderr (MaxListenersExceededWarning), -q or not.
    for (let i = 0; i < 12; i++) {
      await client.upload(file);
      await client.create('file_1', { run: 'r' });
      await client.retrieve('batch_1');
      await client.cancel('batch_1');
      await client.findByMetadata('run', 'r', 0);
      for await (const _ of client.lines('file_1'));
      await client.remove('file_1');
    }
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(uploadStop.signal, 'abort')).toHaveLength(0);
    cleanup();
  });

  it('leaves nothing of an upload the server answered without reading it', async () => {
    // A server (or a gateway) that answers before it reads the body: the file's stream was never
    // read, and opened its file afterwards, by then removed (an uncaught ENOENT), or held it open.
    const unread = (async () =>
      new Response(JSON.stringify({ id: 'file_1', object: 'file' }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      })) as unknown as typeof globalThis.fetch;
    const client = createBatchClient({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1', redact: (t) => t, fetch: unread });
    const { dir, cleanup } = tempDir('llm-batch-client-');
    const file = writePrompts(dir, 'chunk.jsonl', ['{"custom_id":"a"}']);
    const openOnFile = () =>
      fs.readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
        } catch {
          return false;
        }
      }).length;
    for (let i = 0; i < 3; i++) expect(await client.upload(file)).toBe('file_1');
    cleanup();
    await until(() => openOnFile() === 0, 'the uploads to let go of their file', 2_000);
  });

  it('still ends a call in flight when it fires', async () => {
    const stop = new AbortController();
    const held = (async (_url: string | URL, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)),
      )) as unknown as typeof globalThis.fetch;
    const client = createBatchClient({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1', redact: (t) => t, fetch: held, signal: stop.signal });
    const retrieving = client.retrieve('batch_1').then(
      () => 'answered',
      () => 'ended',
    );
    setImmediate(() => stop.abort(new Error('interrupted')));
    expect(await retrieving).toBe('ended');
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });
});
