import { approxTokens, cappedReply, createMockFetch, mockReply, structuredReply } from './mock-fetch.js';

/**
 * `--mock --batch-api`: the Batch API's files and batches, in this process, so the whole submit →
 * poll → collect path can be tried offline. A batch is answered `stepMs` × 3 after it is created
 * (validating, in_progress, finalizing), with `--mock`'s deterministic answers; other paths (the
 * live requests of `--finish-live`) go to the ordinary mock.
 */
export function createMockBatchFetch(options: { stepMs?: number } = {}): typeof fetch {
  const step = options.stepMs ?? 300;
  const live = createMockFetch({ latencyMs: 20, chunkDelayMs: 2 });
  const files = new Map<string, string>();
  const batches = new Map<string, MockBatch>();
  let seq = 0;

  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const missing = (what: string) => json(404, { error: { message: `mock: no such ${what}`, type: 'invalid_request_error' } });

  const view = (b: MockBatch) => {
    const age = Date.now() - b.created;
    if (!b.outputFileId && age >= 3 * step) {
      b.outputFileId = `file-mock-out-${++seq}`;
      files.set(b.outputFileId, answers(files.get(b.inputFileId) ?? '', b.id));
    }
    const status = b.cancelled ? 'cancelled' : age < step ? 'validating' : age < 2 * step ? 'in_progress' : age < 3 * step ? 'finalizing' : 'completed';
    const done = status === 'completed';
    return {
      id: b.id,
      object: 'batch',
      endpoint: '/v1/chat/completions',
      errors: null,
      input_file_id: b.inputFileId,
      completion_window: '24h',
      status,
      output_file_id: done ? b.outputFileId : null,
      error_file_id: null,
      created_at: Math.floor(b.created / 1000),
      // When each stage began, as the real API reports them.
      ...(age >= step ? { in_progress_at: Math.floor((b.created + step) / 1000) } : {}),
      ...(age >= 2 * step ? { finalizing_at: Math.floor((b.created + 2 * step) / 1000) } : {}),
      ...(done ? { completed_at: Math.floor((b.created + 3 * step) / 1000) } : {}),
      metadata: b.metadata,
      request_counts: { total: b.total, completed: done ? b.total : 0, failed: 0 },
    };
  };

  return async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const path = url.pathname.replace(/^.*?\/v1/, '');
    const method = (init?.method ?? 'GET').toUpperCase();
    if (method === 'POST' && path === '/files') {
      const form = await new Response(init?.body as ConstructorParameters<typeof Response>[0], { headers: init?.headers }).formData();
      const file = form.get('file');
      if (!(file instanceof Blob)) return json(400, { error: { message: 'mock: no file', type: 'invalid_request_error' } });
      const id = `file-mock-${++seq}`;
      files.set(id, await file.text());
      return json(200, {
        id,
        object: 'file',
        bytes: file.size,
        created_at: Math.floor(Date.now() / 1000),
        filename: (file as File).name,
        purpose: 'batch',
        status: 'processed',
      });
    }
    let m = /^\/files\/([^/]+)(\/content)?$/.exec(path);
    if (m) {
      const content = files.get(m[1]!);
      if (content === undefined) return missing(`file ${m[1]}`);
      if (method === 'DELETE') {
        files.delete(m[1]!);
        return json(200, { id: m[1], object: 'file', deleted: true });
      }
      return new Response(content, { status: 200, headers: { 'content-type': 'application/octet-stream' } });
    }
    if (method === 'POST' && path === '/batches') {
      const body = JSON.parse(String(init?.body ?? '{}')) as { input_file_id: string; metadata?: Record<string, string> };
      const content = files.get(body.input_file_id);
      if (content === undefined) return missing(`file ${body.input_file_id}`);
      const batch: MockBatch = {
        id: `batch_mock_${++seq}`,
        inputFileId: body.input_file_id,
        metadata: body.metadata ?? null,
        created: Date.now(),
        total: lineCount(content),
        cancelled: false,
      };
      batches.set(batch.id, batch);
      return json(200, view(batch));
    }
    if (method === 'GET' && path === '/batches') return json(200, { object: 'list', data: [...batches.values()].reverse().map(view), has_more: false });
    m = /^\/batches\/([^/]+)(\/cancel)?$/.exec(path);
    if (m) {
      const batch = batches.get(m[1]!);
      if (!batch) return missing(`batch ${m[1]}`);
      if (m[2]) batch.cancelled = view(batch).status !== 'completed';
      return json(200, view(batch));
    }
    return live(input, init);
  };
}

interface MockBatch {
  id: string;
  inputFileId: string;
  metadata: Record<string, string> | null;
  created: number;
  total: number;
  cancelled: boolean;
  outputFileId?: string;
}

const lineCount = (text: string) => text.split('\n').filter((l) => l.trim() !== '').length;

/** The output file of a batch: one answered line per request line. */
function answers(content: string, batchId: string): string {
  const out: string[] = [];
  for (const text of content.split('\n')) {
    if (text.trim() === '') continue;
    const line = JSON.parse(text) as {
      custom_id: string;
      body: {
        model?: string;
        response_format?: unknown;
        messages?: Array<{ role: string; content: unknown }>;
        max_tokens?: unknown;
        max_completion_tokens?: unknown;
      };
    };
    const messages = line.body.messages ?? [];
    const lastUser = [...messages].reverse().find((m) => m.role === 'user');
    const prompt = typeof lastUser?.content === 'string' ? lastUser.content : JSON.stringify(lastUser?.content ?? '');
    const firstUser = messages.find((m) => m.role === 'user');
    const {
      text: reply,
      finishReason,
      tokens: completionTokens,
    } = cappedReply(structuredReply(line.body, typeof firstUser?.content === 'string' ? firstUser.content : prompt) ?? mockReply(prompt), line.body);
    const promptTokens = messages.reduce((n, m) => n + approxTokens(typeof m.content === 'string' ? m.content : JSON.stringify(m.content)) + 3, 3);
    const body = {
      id: `chatcmpl-${batchId}-${out.length}`,
      object: 'chat.completion',
      model: line.body.model ?? 'mock-model',
      choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: finishReason }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    };
    out.push(
      JSON.stringify({
        id: `batch_req_${out.length}`,
        custom_id: line.custom_id,
        response: { status_code: 200, request_id: `req_${out.length}`, body },
        error: null,
      }),
    );
  }
  return out.join('\n') + '\n';
}
