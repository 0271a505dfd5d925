/**
 * OpenAI's `/v1/files` and `/v1/batches`, for the mock server (test/helpers/mock-server.ts routes
 * to `handle`). A batch walks validating → in_progress → finalizing → completed as time passes
 * (`stepMs` per step), judged whenever it is read, so no timers run. Switches make it fail the
 * ways the real one does: failing lines, expiry with partial output, token_limit_exceeded,
 * validation errors (errors.data), cancellation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface MockBatchOptions {
  /** Time spent in each of validating, in_progress and finalizing. @default 20 */
  stepMs?: number;
  /** An HTTP status other than 200 for a line (its body becomes an error body). */
  lineStatus?: (customId: string, body: any) => number | undefined;
  /** The error message of a line failed by `lineStatus` (e.g. a 401 echoing the key, as OpenAI's does). */
  lineMessage?: (customId: string, status: number) => string | undefined;
  /** A reasoning model's thinking for a line, sent as its message's `reasoning_content` (DeepSeek's, vLLM's name). */
  reasoning?: (customId: string, body: any) => string | undefined;
  /** Leave this request out of both the output and the error file of a batch that completes (a server that drops lines). */
  dropLine?: (customId: string) => boolean;
  /**
   * Lines added to the end of a completed batch's output file: `repeat` copies its first line, `stray`
   * names no request, `garbage` is not JSON, `null` is JSON but no object.
   */
  oddOutput?: ReadonlyArray<'repeat' | 'stray' | 'garbage' | 'null'>;
  /** Make the batch with this 0-based creation index expire after answering this many lines. */
  expireAfter?: (batchIndex: number) => number | undefined;
  /** Make the batch with this creation index fail with token_limit_exceeded. */
  tokenLimit?: (batchIndex: number) => boolean;
  /** A validation message for a line (1-based line in the file), failing the whole batch. */
  validate?: (line: any, lineNo: number) => string | undefined;
  /** Hold batches in_progress until this returns false (cancellation tests). */
  hold?: (batchIndex: number) => boolean;
  /** Report `completed` rising through in_progress, as the real API does (else 0 until the batch is done). */
  progressCounts?: boolean;
  /**
   * Do the step's work (store the file, create the batch, send half the file) but never answer:
   * the client is killed while it waits, as by `kill -9` right after the server acted.
   */
  hang?: (step: 'upload' | 'create' | 'download' | 'retrieve') => boolean;
  /** An error status for the n-th batch retrieve (1-based), e.g. 503 during an outage. */
  retrieveStatus?: (n: number) => number | undefined;
  /** An error status for the n-th batch cancel (1-based), e.g. 503 during an outage. */
  cancelStatus?: (n: number) => number | undefined;
  /** Store an upload, then hold its answer while this returns true (a slow upload a signal arrives during). */
  uploadHold?: () => boolean;
  /** An error status for the n-th file upload (1-based), e.g. 503 before any batch exists. */
  uploadStatus?: (n: number) => number | undefined;
  /**
   * Answer a batch creation (nothing is created) with OpenAI's 429 `insufficient_quota` (true), a
   * 402 out of credits (`credits`) or OpenRouter's 403 for a key past its spending cap (`spend-cap`).
   */
  createQuota?: () => boolean | 'credits' | 'spend-cap';
  /** Send half of a file's content, then reset the connection (a download cut off mid-file). */
  cutDownload?: (fileId: string) => boolean;
  /** Usage as length / 4 instead of the tokenizer: a million answers otherwise cost the mock minutes. */
  approximateUsage?: boolean;
  /** Keep every uploaded batch input in `uploaded`, deleted or not, for tests to read. @default true */
  keepUploads?: boolean;
}

/** What a chat answer to `body` would be: the mock server's reply and token counts. */
export type Answer = (
  body: any,
  approximate: boolean,
) => { content: string; promptTokens: number; completionTokens: number; finishReason?: string; toolCalls?: object[]; logprobs?: object; model?: string };

interface MockFile {
  id: string;
  filename: string;
  purpose: string;
  bytes: Buffer;
  created_at: number;
}

interface MockBatch {
  id: string;
  /** Retrieves answered so far (see advance's `firstLook`). */
  looks?: number;
  index: number;
  input_file_id: string;
  endpoint: string;
  completion_window: string;
  metadata: Record<string, string> | null;
  createdMs: number;
  /** The input file's bytes, parsed only when needed (a million lines would not fit as objects). */
  input: Buffer;
  total: number;
  /** Set once the batch is terminal. */
  final?: { status: string; output_file_id: string | null; error_file_id: string | null; errors?: unknown; completed: number; failed: number };
  cancelledMs?: number;
  /** Lines answered when it was cancelled or expired. */
  stopAfter?: number;
}

export interface MockBatchState {
  files: Map<string, MockFile>;
  /** Every batch input uploaded, in order, even after the client deleted it. */
  uploaded: MockFile[];
  /** Files the client deleted. */
  deleted: string[];
  batches: Map<string, MockBatch>;
  /** Counters to assert on: nothing submitted twice. */
  counts: { uploads: number; creates: number; cancels: number; retrieves: number; lists: number; downloads: number; hung: number };
  /** performance.now() of the first output download (benchmarks time the collect phase from it). */
  firstDownloadAt?: number;
  /** performance.now() of the last batch creation (the end of the submit phase). */
  lastCreateAt?: number;
}

/** The prompts of every batch input uploaded, in order: each line's last message. */
export function uploadedPrompts(state: Pick<MockBatchState, 'uploaded'>): string[][] {
  return state.uploaded.map((f) =>
    f.bytes
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).body.messages.at(-1).content as string),
  );
}

export interface BatchRoutes {
  state: MockBatchState;
  /** Handles /v1/files* and /v1/batches*; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean;
  reset(): void;
}

const now = () => Date.now();

/** Calls `fn` for each non-blank line of a JSONL buffer, parsed unless `parse` is false. */
function forEachLine(bytes: Buffer, fn: (line: any, index: number) => void, parse = true): void {
  let start = 0;
  let index = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const text = bytes.toString('utf8', start, end);
    if (text.trim() !== '') fn(parse ? JSON.parse(text) : undefined, index++);
    start = end + 1;
  }
}

export function createBatchRoutes(options: () => MockBatchOptions, answer: Answer): BatchRoutes {
  const state: MockBatchState = {
    files: new Map(),
    uploaded: [],
    deleted: [],
    batches: new Map(),
    counts: { uploads: 0, creates: 0, cancels: 0, retrieves: 0, lists: 0, downloads: 0, hung: 0 },
  };
  let seq = 0;
  let batchIndex = 0;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const notFound = (res: ServerResponse, what: string) =>
    send(res, 404, { error: { message: `No such ${what}`, type: 'invalid_request_error', param: null, code: null } });
  const readBody = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const addFile = (filename: string, purpose: string, bytes: Buffer): MockFile => {
    const file = { id: `file-mock${++seq}`, filename, purpose, bytes, created_at: Math.floor(now() / 1000) };
    state.files.set(file.id, file);
    return file;
  };
  const fileJson = (f: MockFile) => ({
    id: f.id,
    object: 'file',
    bytes: f.bytes.length,
    created_at: f.created_at,
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed',
  });

  /** The output line for one request line. */
  function outputLine(batch: MockBatch, line: any, n: number): { ok: boolean; text: string } {
    const status = options().lineStatus?.(line.custom_id, line.body) ?? 200;
    const requestId = `req_${batch.id}_${n}`;
    if (status !== 200) {
      const body = {
        error: {
          message: options().lineMessage?.(line.custom_id, status) ?? `mock line failure (HTTP ${status})`,
          type: 'server_error',
          param: null,
          code: status === 429 ? 'rate_limit_exceeded' : null,
        },
      };
      return {
        ok: false,
        text: JSON.stringify({ id: `batch_req_${n}`, custom_id: line.custom_id, response: { status_code: status, request_id: requestId, body }, error: null }),
      };
    }
    const a = answer(line.body, options().approximateUsage === true);
    const reasoning = options().reasoning?.(line.custom_id, line.body);
    const body = {
      id: `chatcmpl-${batch.id}-${n}`,
      object: 'chat.completion',
      // When the completion was made: as the batch finishes (the real API stamps each as it runs).
      created: Math.floor(now() / 1000),
      model: a.model ?? line.body?.model ?? 'mock-model',
      choices: [
        a.toolCalls
          ? { index: 0, message: { role: 'assistant', content: null, tool_calls: a.toolCalls }, finish_reason: 'tool_calls' }
          : {
              index: 0,
              message: { role: 'assistant', content: a.content, ...(reasoning !== undefined ? { reasoning_content: reasoning } : {}) },
              ...(a.logprobs ? { logprobs: a.logprobs } : {}),
              finish_reason: a.finishReason ?? 'stop',
            },
      ],
      usage: { prompt_tokens: a.promptTokens, completion_tokens: a.completionTokens, total_tokens: a.promptTokens + a.completionTokens },
    };
    return {
      ok: true,
      text: JSON.stringify({ id: `batch_req_${n}`, custom_id: line.custom_id, response: { status_code: 200, request_id: requestId, body }, error: null }),
    };
  }

  /** Writes the output and error files of a batch that stops after `answered` lines. */
  function finish(batch: MockBatch, status: string, answered: number, unfinishedCode: string | null): void {
    const out: string[] = [];
    const err: string[] = [];
    let completed = 0;
    let failed = 0;
    const drop = status === 'completed' ? options().dropLine : undefined;
    forEachLine(batch.input, (line, i) => {
      if (drop?.(line.custom_id)) return;
      if (i < answered) {
        const o = outputLine(batch, line, i);
        (o.ok ? out : err).push(o.text);
        if (o.ok) completed++;
        else failed++;
      } else if (unfinishedCode) {
        err.push(
          JSON.stringify({
            id: `batch_req_${i}`,
            custom_id: line.custom_id,
            response: null,
            error: { code: unfinishedCode, message: `This request could not be executed before the completion window expired.` },
          }),
        );
        failed++;
      }
    });
    if (status === 'completed' && out.length > 0) {
      for (const odd of options().oddOutput ?? []) {
        if (odd === 'repeat') out.push(out[0]!.replace(/ECHO /, 'ECHO AGAIN '));
        if (odd === 'stray') out.push(out[0]!.replace(/"custom_id":"[^"]*"/, '"custom_id":"no-such-line"'));
        if (odd === 'garbage') out.push('<html>not json</html>');
        if (odd === 'null') out.push('null');
      }
    }
    const outFile = out.length ? addFile(`${batch.id}_output.jsonl`, 'batch_output', Buffer.from(out.join('\n') + '\n')) : null;
    const errFile = err.length ? addFile(`${batch.id}_error.jsonl`, 'batch_output', Buffer.from(err.join('\n') + '\n')) : null;
    batch.final = { status, output_file_id: outFile?.id ?? null, error_file_id: errFile?.id ?? null, completed, failed };
    batch.input = Buffer.alloc(0); // answered: the input is not needed any more (keeps the bench's mock small)
  }

  /** Moves a batch along by the clock, and finishes it when it reaches a terminal state. */
  /**
   * `firstLook`: the batch's first retrieve, which never finds it done (it goes no further than
   * in_progress): a `--no-wait` run polls once right after creating it, and a run that a loaded
   * machine held up past 3 × stepMs found it completed and collected it (exit 0 where tests want 75).
   */
  function advance(batch: MockBatch, firstLook = false): string {
    if (batch.final) return batch.final.status;
    const o = options();
    const step = o.stepMs ?? 20;
    const t = now();
    if (batch.cancelledMs !== undefined) {
      if (t - batch.cancelledMs < step) return 'cancelling';
      finish(batch, 'cancelled', batch.stopAfter ?? 0, null);
      return 'cancelled';
    }
    const age = t - batch.createdMs;
    if (age < step) return 'validating';
    const problems: Array<{ code: string; message: string; param: string | null; line: number | null }> = [];
    if (o.validate) {
      forEachLine(batch.input, (line, i) => {
        const message = o.validate!(line, i + 1);
        if (message) problems.push({ code: 'invalid_request', message, param: 'body', line: i + 1 });
      });
    }
    if (problems.length === 0 && o.tokenLimit?.(batch.index)) {
      problems.push({
        code: 'token_limit_exceeded',
        message: 'Enqueued token limit reached for mock-model in organization org-mock. Limit: 90,000 enqueued tokens.',
        param: null,
        line: null,
      });
    }
    if (problems.length > 0) {
      batch.final = { status: 'failed', output_file_id: null, error_file_id: null, errors: { object: 'list', data: problems }, completed: 0, failed: 0 };
      batch.input = Buffer.alloc(0);
      return 'failed';
    }
    if (o.hold?.(batch.index)) return 'in_progress';
    const expireAfter = o.expireAfter?.(batch.index);
    if (age < 2 * step || firstLook) return 'in_progress';
    if (expireAfter !== undefined) {
      finish(batch, 'expired', expireAfter, 'batch_expired');
      return 'expired';
    }
    if (age < 3 * step) return 'finalizing';
    finish(batch, 'completed', batch.total, null);
    return 'completed';
  }

  function batchJson(batch: MockBatch, firstLook = false) {
    const status = advance(batch, firstLook);
    const total = batch.final ? batch.final.completed + batch.final.failed : batch.total;
    const f = batch.final;
    return {
      id: batch.id,
      object: 'batch',
      endpoint: batch.endpoint,
      errors: f?.errors ?? null,
      input_file_id: batch.input_file_id,
      completion_window: batch.completion_window,
      status,
      output_file_id: f?.output_file_id ?? null,
      error_file_id: f?.error_file_id ?? null,
      created_at: Math.floor(batch.createdMs / 1000),
      // When each stage began, as the real API reports them (stages move on every stepMs).
      ...stageTimes(batch, status),
      metadata: batch.metadata,
      request_counts: { total, completed: f?.completed ?? runningCount(batch, status), failed: f?.failed ?? 0 },
    };
  }

  /** Requests done so far while in_progress, with `progressCounts`: a share of the step gone by. */
  function runningCount(batch: MockBatch, status: string): number {
    if (!options().progressCounts || status !== 'in_progress') return 0;
    const step = options().stepMs ?? 20;
    return Math.floor(batch.total * Math.min(1, Math.max(0, (now() - batch.createdMs - step) / step)));
  }

  function stageTimes(batch: MockBatch, status: string): Record<string, number> {
    const step = options().stepMs ?? 20;
    const sec = (ms: number) => Math.floor(ms / 1000);
    const times: Record<string, number> = {};
    if (status !== 'validating') times['in_progress_at'] = sec(batch.createdMs + step);
    if (status === 'finalizing' || status === 'completed') times['finalizing_at'] = sec(batch.createdMs + 2 * step);
    if (status === 'completed') times['completed_at'] = sec(batch.createdMs + 3 * step);
    if (status === 'expired') times['expired_at'] = sec(now());
    if (status === 'cancelled') times['cancelled_at'] = sec(now());
    if (status === 'failed') times['failed_at'] = sec(now());
    return times;
  }

  const hang = (step: 'upload' | 'create' | 'download' | 'retrieve'): boolean => {
    if (!options().hang?.(step)) return false;
    state.counts.hung++;
    return true;
  };

  async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (method === 'POST' && path === '/v1/files') {
      const raw = await readBody(req);
      const form = await new Response(raw, { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData();
      const file = form.get('file');
      const purpose = String(form.get('purpose') ?? '');
      if (!(file instanceof Blob) || purpose === '') {
        return send(res, 400, {
          error: { message: "Missing required parameter: 'file' or 'purpose'", type: 'invalid_request_error', param: 'file', code: null },
        });
      }
      state.counts.uploads++;
      const refuseWith = options().uploadStatus?.(state.counts.uploads);
      if (refuseWith) return send(res, refuseWith, { error: { message: `mock outage (HTTP ${refuseWith})`, type: 'server_error', param: null, code: null } });
      const name = (file as File).name ?? 'upload.jsonl';
      const stored = addFile(name, purpose, Buffer.from(await file.arrayBuffer()));
      if (options().keepUploads !== false) state.uploaded.push(stored);
      if (hang('upload')) return;
      while (options().uploadHold?.()) await new Promise((resolve) => setTimeout(resolve, 10));
      return send(res, 200, fileJson(stored));
    }
    let m = /^\/v1\/files\/([^/]+)(\/content)?$/.exec(path);
    if (m) {
      const file = state.files.get(m[1]!);
      if (!file) return notFound(res, `file: ${m[1]}`);
      if (method === 'DELETE') {
        state.files.delete(file.id);
        state.deleted.push(file.id);
        return send(res, 200, { id: file.id, object: 'file', deleted: true });
      }
      if (m[2]) {
        state.counts.downloads++;
        state.firstDownloadAt ??= performance.now();
        if (options().cutDownload?.(file.id)) {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes.length });
          return void res.write(file.bytes.subarray(0, file.bytes.length >> 1), () => res.destroy());
        }
        if (hang('download')) {
          // Half its lines, whole (at least one): the client has rows of it to write, however short the file.
          const ends = [...file.bytes.entries()].filter(([, byte]) => byte === 0x0a).map(([at]) => at + 1);
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes.length });
          return void res.write(file.bytes.subarray(0, ends[Math.max(0, (ends.length >> 1) - 1)] ?? 0));
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes.length });
        return void res.end(file.bytes);
      }
      return send(res, 200, fileJson(file));
    }
    if (method === 'POST' && path === '/v1/batches') {
      const body = JSON.parse((await readBody(req)).toString('utf8') || '{}');
      const input = state.files.get(body.input_file_id);
      if (!input) return notFound(res, `file: ${body.input_file_id}`);
      const quota = options().createQuota?.();
      if (quota === 'credits') return send(res, 402, { error: { message: 'Insufficient credits. Add more using https://openrouter.ai/credits', code: 402 } });
      if (quota === 'spend-cap')
        return send(res, 403, { error: { message: 'Key limit exceeded (monthly limit). Manage it using https://openrouter.ai/settings/keys', code: 403 } });
      if (quota) {
        const message = 'You exceeded your current quota, please check your plan and billing details.';
        return send(res, 429, { error: { message, type: 'insufficient_quota', param: null, code: 'insufficient_quota' } });
      }
      state.counts.creates++;
      state.lastCreateAt = performance.now();
      let total = 0;
      forEachLine(input.bytes, () => total++, false);
      const batch: MockBatch = {
        id: `batch_mock${++seq}`,
        index: batchIndex++,
        input_file_id: input.id,
        endpoint: body.endpoint,
        completion_window: body.completion_window,
        metadata: body.metadata ?? null,
        createdMs: now(),
        input: input.bytes,
        total,
      };
      state.batches.set(batch.id, batch);
      if (hang('create')) return;
      return send(res, 200, batchJson(batch));
    }
    if (method === 'GET' && path === '/v1/batches') {
      state.counts.lists++;
      const url = new URL(req.url ?? '/', 'http://x');
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const after = url.searchParams.get('after');
      const all = [...state.batches.values()].reverse();
      const start = after ? all.findIndex((b) => b.id === after) + 1 : 0;
      const page = all.slice(start, start + limit);
      return send(res, 200, {
        object: 'list',
        data: page.map((batch) => batchJson(batch)),
        first_id: page[0]?.id ?? null,
        last_id: page.at(-1)?.id ?? null,
        has_more: start + limit < all.length,
      });
    }
    m = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path);
    if (m) {
      const batch = state.batches.get(m[1]!);
      if (!batch) return notFound(res, `batch: ${m[1]}`);
      if (m[2] && method === 'POST') {
        state.counts.cancels++;
        const refuseWith = options().cancelStatus?.(state.counts.cancels);
        if (refuseWith) return send(res, refuseWith, { error: { message: `mock outage (HTTP ${refuseWith})`, type: 'server_error', param: null, code: null } });
        const status = advance(batch);
        if (!batch.final && batch.cancelledMs === undefined) {
          const step = options().stepMs ?? 20;
          const progress = status === 'in_progress' ? Math.min(1, (now() - batch.createdMs - step) / step) : 0;
          batch.stopAfter = Math.floor(batch.total * (options().hold?.(batch.index) ? 0.5 : progress));
          batch.cancelledMs = now();
        }
        return send(res, 200, batchJson(batch));
      }
      state.counts.retrieves++;
      if (hang('retrieve')) return;
      const failWith = options().retrieveStatus?.(state.counts.retrieves);
      if (failWith) return send(res, failWith, { error: { message: `mock outage (HTTP ${failWith})`, type: 'server_error', param: null, code: null } });
      batch.looks = (batch.looks ?? 0) + 1;
      return send(res, 200, batchJson(batch, batch.looks === 1));
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', code: 'not_found' } }));
  }

  return {
    state,
    handle(req, res, path) {
      if (!path.startsWith('/v1/files') && !path.startsWith('/v1/batches')) return false;
      route(req, res, path).catch((err) => {
        if (!res.headersSent) send(res, 500, { error: { message: `mock batch error: ${String(err)}`, type: 'server_error', code: null } });
        else res.destroy();
      });
      return true;
    },
    reset() {
      state.files.clear();
      state.uploaded.length = 0;
      state.deleted.length = 0;
      state.batches.clear();
      for (const k of Object.keys(state.counts)) state.counts[k as keyof MockBatchState['counts']] = 0;
      delete state.firstDownloadAt;
      delete state.lastCreateAt;
      batchIndex = 0;
    },
  };
}
