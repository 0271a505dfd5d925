import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { createInterface } from 'node:readline';
import type { Batch } from 'openai/resources/batches';
import { createHttpFetch } from '../provider/http-fetch.js';
import { withTrace } from '../provider/trace-fetch.js';
import { APIConnectionError, APIError, OpenAI, toStreamingFile } from '../provider/sdk.js';
import { isTransientStatus, RunError } from '../errors.js';
import { REGION_ADVICE, REGION_REFUSAL, refusesRegion } from '../provider/region-refusal.js';
import { fundsAdvice, outOfFunds, PROXY_ADVICE, PROXY_CREDENTIALS_REFUSED, proxyRefusal, serverMessage } from '../provider/classify-error.js';
import { withReadableErrors } from '../provider/error-body.js';
import { noKeyRefusal } from '../provider/no-key-refusal.js';
import { BATCH_ENDPOINT } from './request-line.js';
import { answerScrubber, type AnswerScrubber } from '../provider/answer-scrubber.js';
import { linkedAbort } from '../util/linked-abort.js';
import { namingTheProxy } from '../provider/proxy-env.js';
import { OPENAI_V1 } from '../provider/openai-url.js';

export type { Batch };

export interface BatchClientOptions {
  apiKey: string | undefined;
  baseURL: string | undefined;
  /** Sent as OpenAI-Organization and OpenAI-Project (the CLI's OPENAI_ORG_ID, OPENAI_PROJECT_ID; not read here). */
  organization?: string | undefined;
  project?: string | undefined;
  proxyFor?: (url: string) => string | undefined;
  redact: (text: string) => string;
  /** Tests and the mock provider pass their own. */
  fetch?: typeof fetch;
  /** `-v` / `--trace`: every upload, create, poll and download with its raw response, credentials redacted (whole lines). */
  trace?: (text: string) => void;
  /** The run's stop (Ctrl-C, SIGTERM): ends a call in flight, a stalled one too. */
  signal?: AbortSignal;
  /** Ends an upload in flight: later than `signal`, so that one the stop came during may finish. */
  uploadSignal?: AbortSignal;
  /** `--idle-timeout`: the longest a transfer may go without bytes moving, and any other call wait for its answer. */
  idleMs?: number;
}

/** The Batch API calls a run makes, over the SDK with the project's transport and redaction. */
export interface BatchClient {
  upload(file: string): Promise<string>;
  create(fileId: string, metadata: Record<string, string>): Promise<Batch>;
  retrieve(batchId: string): Promise<Batch>;
  cancel(batchId: string): Promise<Batch>;
  /** The newest batch whose metadata has `key` = `value`, looking through recent batches. */
  findByMetadata(key: string, value: string, createdAfterSec: number): Promise<Batch | undefined>;
  /** A file's lines, streamed (output files hold up to 50,000 answers). */
  lines(fileId: string): AsyncIterable<string>;
  remove(fileId: string): Promise<void>;
  /**
   * Takes the key this client sends out of a collected answer that repeats it (an echoing gateway),
   * as out of a live answer (see answerScrubber); none for a placeholder key.
   */
  readonly scrubAnswer?: AnswerScrubber;
}

/** A failure of the Batch API itself, worded once with the key removed. */
export class BatchApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    /** Worth another try at the next poll (network, 429, 5xx, 408, 409, Groq's 498). */
    readonly transient: boolean,
    /** A network failure's code (ECONNREFUSED, ENOTFOUND…), for the endpoint check (see isEndpointCode). */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** A network error's code (ECONNREFUSED, ENOTFOUND, a certificate's…) anywhere in its `cause` chain. */
function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{2,}$/.test(code)) return code;
  }
  return undefined;
}

/** A batch's output or error file that the server no longer has (HTTP 404 on its download). */
export function isGoneFile(err: unknown): err is BatchApiError {
  return err instanceof BatchApiError && err.status === 404 && !err.transient;
}

/** `keyless`: no key was given (a placeholder went), so a refusal says that, naming `baseURL`. */
function classify(err: unknown, what: string, redact: (t: string) => string, keyless = false, baseURL?: string): Error {
  // As live: a proxy that refuses the tunnel or its credentials refuses every call, the key unblamed.
  const refused = proxyRefusal(err);
  if (refused !== undefined || (err instanceof APIError && err.status === 407)) {
    return new RunError(redact(`${what}: ${namingTheProxy(refused?.message ?? PROXY_CREDENTIALS_REFUSED, baseURL ?? OPENAI_V1)}; ${PROXY_ADVICE}`), 'proxy');
  }
  if (err instanceof APIError && err.status !== undefined) {
    const status = err.status;
    const message = redact(`${what}: HTTP ${status} ${serverMessage(err)}`);
    // A 403 for where the calls come from: as live, the key is not blamed (still an `auth` stop: a 403).
    if (status === 403 && refusesRegion(typeof err.code === 'string' ? err.code : undefined, err.message))
      return new RunError(`${REGION_REFUSAL} (${message}); ${REGION_ADVICE}`, 'auth');
    // As live: waiting will not restore a quota, so it stops the run (exit 3) instead of polling on.
    if (outOfFunds(status, err.code, err.type, err.message))
      return new RunError(`quota exhausted (${message}); ${fundsAdvice(err.message, err.type)}`, 'quota');
    if (status === 401 || status === 403)
      return new RunError(
        keyless ? redact(noKeyRefusal(baseURL, message)) : `the server rejected the API key (${message}); check OPENAI_API_KEY and --base-url`,
        'auth',
      );
    if (status === 429 || isTransientStatus(status)) return new BatchApiError(message, status, true);
    // A batch's file deleted (in the dashboard, past retention): the caller sends its lines again.
    if (status === 404 && what.startsWith('downloading ')) return new BatchApiError(message, status, false);
    // Asking again will not help: one line, exit 2; the manifest keeps what was done for a --resume.
    // A batch this run made that the server does not know: made with another key's project or
    // another --base-url (or lost by a test server). Every command that would collect, cancel or
    // overwrite it stops on it; the way out was deleting the batch state by hand, said nowhere.
    if (status === 404 && /^(reading|cancelling) batch /.test(what))
      return new RunError(
        `${message}: the batch was made with another key (OpenAI project) or --base-url than this one; use those, or, to forget it here, delete the output's .batch.json file (a batch that still runs elsewhere is billed there; --resume would send its lines again)`,
        'usage',
      );
    if (status === 404) return new RunError(`${message} (does this server offer the Batch API? check --base-url)`, 'usage');
    return new RunError(message, 'usage');
  }
  if (err instanceof APIConnectionError) {
    // "fetch failed" says nothing: the code (ECONNREFUSED, ENOTFOUND…) is what the user can act on.
    const code = networkCode(err);
    const cause = err.cause ? ` (${(err.cause as Error).message}${code ? `: ${code}` : ''})` : code ? ` (${code})` : '';
    return new BatchApiError(redact(`${what}: ${err.message}${cause}`), undefined, true, code);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * The transport as `-v` / `--trace` log it, tagged `#b1`, `#b2`… apart from `--finish-live`'s requests
 * (`#1`…) in the same trace. An upload's multipart body is a stream: logged as such, not the file.
 */
function traced(transport: typeof fetch, options: BatchClientOptions): typeof fetch {
  return options.trace ? withTrace(transport, { write: options.trace, redact: options.redact, apiKey: options.apiKey, tagPrefix: 'b' }) : transport;
}

/** As --idle-timeout's default. */
const DEFAULT_IDLE_MS = 90_000;

/** An upload's whole time, for a 200 MB file at ~60 KB/s: a stall is idleWatch's to end, not this. */
const UPLOAD_TIMEOUT_MS = 60 * 60 * 1000;

/**
 * A signal for one call that follows `parent` (the run's stop) and aborts on its own once `ms` pass
 * without a `poke` (bytes moving): a server that holds a transfer is left, not waited on for ever.
 * `pause` stops the clock while the time is the caller's own; `stalled` tells that abort from the parent's.
 */
function idleWatch(parent: AbortSignal | undefined, ms: number) {
  const linked = linkedAbort(parent);
  let timer: NodeJS.Timeout | undefined;
  const poke = () => {
    clearTimeout(timer);
    timer = setTimeout(() => linked.controller.abort(), ms);
  };
  poke();
  return {
    signal: linked.controller.signal,
    poke,
    pause: () => clearTimeout(timer),
    stalled: () => linked.controller.signal.aborted && !parent?.aborted,
    done() {
      clearTimeout(timer);
      linked.unlink();
    },
  };
}

export function createBatchClient(options: BatchClientOptions): BatchClient {
  const client = new OpenAI({
    apiKey: options.apiKey ?? 'no-key',
    // Given, or none: the SDK would read OPENAI_BASE_URL, OPENAI_ORG_ID and OPENAI_PROJECT_ID itself.
    baseURL: options.baseURL ?? OPENAI_V1,
    organization: options.organization?.trim() || null,
    project: options.project?.trim() || null,
    maxRetries: 2,
    timeout: 10 * 60 * 1000,
    logLevel: 'off',
    // Error bodies in other shapes (FastAPI's `{"detail": …}`, a text `404 page not found`) read as the
    // chat path reads them: else `HTTP 404 status code (no body)`, `HTTP 404 404 page not found`.
    fetch: withReadableErrors(traced(options.fetch ?? createHttpFetch(globalThis.fetch, { proxyFor: options.proxyFor }), options)),
  });
  const { signal } = options;
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  // A poll, create, cancel, listing or delete is a few hundred bytes: one the server holds gets
  // --idle-timeout, not the SDK's 10 minutes (×3 with its retries) an upload of 200 MB may need.
  const timeout = idleMs;
  const classified = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw classify(err, what, options.redact, options.apiKey === undefined, options.baseURL);
    }
  };
  /** A call with a signal of its own, following `parent` only while it runs: the SDK never removes its listener (see linkedAbort). */
  const call = async <T>(what: string, fn: (signal: AbortSignal | undefined) => Promise<T>, parent = signal): Promise<T> => {
    const linked = parent && linkedAbort(parent);
    try {
      return await classified(what, () => fn(linked?.controller.signal));
    } finally {
      linked?.unlink();
    }
  };
  return {
    upload: (file) =>
      call(
        `uploading ${path.basename(file)}`,
        async (signal) => {
          // A streaming file: the SDK encodes the multipart body as the file is read, never whole in
          // memory as a File would be (bench/results/2026-11-30-batch.md). Not retried by the SDK: a
          // stream cannot be replayed; the next poll round uploads again. Closed when the call ends:
          // a server that answers before reading the whole body (a 413, a 401) leaves it unread, and
          // its file descriptor open for the rest of the run, one more every round.
          const stream = createReadStream(file);
          // A server that takes the file and never answers (or stops reading it) is left after
          // --idle-timeout without progress, and the file sent again at the next poll: the SDK's own
          // limit is the whole upload's, 10 minutes, which a large file on a slow link needs and more.
          const idle = idleWatch(signal, idleMs);
          const read = new Transform({
            transform(chunk, _encoding, done) {
              idle.poke();
              done(null, chunk);
            },
          });
          stream.on('error', (err) => read.destroy(err)).pipe(read);
          let sent = false;
          read.once('end', () => (sent = true));
          try {
            const uploaded = await client.files.create(
              { file: toStreamingFile(read, path.basename(file), { type: 'application/jsonl' }), purpose: 'batch' },
              { maxRetries: 0, signal: idle.signal, timeout: UPLOAD_TIMEOUT_MS },
            );
            return uploaded.id;
          } catch (err) {
            if (!idle.stalled()) throw err;
            const silence = sent ? `no answer ${idleMs / 1000}s after the file was sent` : `nothing sent for ${idleMs / 1000}s`;
            throw new BatchApiError(options.redact(`uploading ${path.basename(file)}: ${silence} (--idle-timeout)`), undefined, true);
          } finally {
            idle.done();
            // Its file may be gone by the time an unread stream opens it: the call is over, so is the error.
            stream.on('error', () => {}).destroy();
            read.destroy();
          }
        },
        options.uploadSignal ?? signal,
      ),
    create: (fileId, metadata) =>
      call(`creating a batch from ${fileId}`, (signal) =>
        client.batches.create(
          { input_file_id: fileId, endpoint: BATCH_ENDPOINT, completion_window: '24h', metadata },
          // Never retried blindly: a create that timed out may have happened; the caller looks it up by metadata.
          { maxRetries: 0, signal, timeout },
        ),
      ),
    retrieve: (batchId) => call(`reading batch ${batchId}`, (signal) => client.batches.retrieve(batchId, { signal, timeout })),
    cancel: (batchId) => call(`cancelling batch ${batchId}`, (signal) => client.batches.cancel(batchId, { signal, timeout })),
    findByMetadata: (key, value, createdAfterSec) =>
      call('listing batches', async (signal) => {
        for await (const batch of client.batches.list({ limit: 100 }, { signal, timeout })) {
          if (batch.metadata?.[key] === value) return batch;
          // Newest first: older than the chunk's first attempt means it is not there.
          if (batch.created_at < createdAfterSec) return undefined;
        }
        return undefined;
      }),
    async *lines(fileId) {
      // A download that stalls (a proxy holding a half-sent file) is ended after --idle-timeout without
      // bytes, and tried again at the next poll as a cut one is: else it held the run, and its lock, for ever.
      // Linked to the run's stop for the whole download: the SDK's listener on it cuts the body too.
      const idle = idleWatch(signal, idleMs);
      const what = `downloading ${fileId}`;
      let stream: Readable | undefined;
      let reader: ReturnType<typeof createInterface> | undefined;
      try {
        const response = await classified(what, () => client.files.content(fileId, { signal: idle.signal }));
        if (!response.body) return;
        stream = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
        stream.on('data', idle.poke);
        reader = createInterface({ input: stream, crlfDelay: Infinity });
        for await (const line of reader) {
          if (line.trim() === '') continue;
          // The time the caller takes over a line is not the server's silence.
          idle.pause();
          yield line;
          idle.poke();
        }
      } catch (err) {
        if (idle.stalled()) throw new BatchApiError(options.redact(`${what}: no data for ${idleMs / 1000}s (--idle-timeout)`), undefined, true);
        // A body cut off mid-file (a reset, a proxy timeout) is worth another try, like a failed request.
        const known =
          err instanceof RunError || err instanceof BatchApiError ? err : classify(err, what, options.redact, options.apiKey === undefined, options.baseURL);
        throw known instanceof RunError || known instanceof BatchApiError
          ? known
          : new BatchApiError(options.redact(`${what}: ${known.message}`), undefined, true);
      } finally {
        idle.done();
        reader?.close();
        stream?.destroy();
      }
    },
    remove: async (fileId) => {
      await call(`deleting ${fileId}`, (signal) => client.files.delete(fileId, { signal, timeout }));
    },
    scrubAnswer: answerScrubber(options.apiKey),
  };
}
