/**
 * A chat completions server that reports prompt-cache hits the way OpenAI does
 * (`usage.prompt_tokens_details.cached_tokens`), streamed or not, with fixed usage on every answer:
 * what the main mock server does not model. For tests of how cached input tokens are priced.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CachedUsageServer {
  /** Base URL including /v1. */
  url: string;
  /** Chat completion requests received. */
  requests: number;
  close(): Promise<void>;
}

/**
 * `model`: the name every answer reports, as an Azure deployment answers with the model behind it
 * or OpenAI an alias with its snapshot; the model asked for when not given.
 */
export async function startCachedUsageServer(
  /**
   * `reasoning`: reasoning tokens in `completion_tokens_details`, inside `completion` as OpenAI counts
   * them, or with `reasoningApart` outside it and in `total_tokens` alone, as xAI (Grok) reports them.
   */
  usage: { prompt: number; completion: number; cached: number; reasoning?: number; reasoningApart?: boolean },
  model?: string,
): Promise<CachedUsageServer> {
  const reasoning = usage.reasoning ?? 0;
  const reported = {
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.prompt + usage.completion + (usage.reasoningApart ? reasoning : 0),
    prompt_tokens_details: { cached_tokens: usage.cached },
    ...(usage.reasoning !== undefined ? { completion_tokens_details: { reasoning_tokens: reasoning } } : {}),
  };
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => {
      state.requests++;
      const body = JSON.parse(text || '{}') as { model?: string; stream?: boolean; stream_options?: { include_usage?: boolean } };
      const reportedModel = model ?? body.model ?? 'mock-model';
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'chatcmpl-cached',
            object: 'chat.completion',
            created: 0,
            model: reportedModel,
            choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
            usage: reported,
          }),
        );
        return;
      }
      const chunk = (fields: object) =>
        `data: ${JSON.stringify({ id: 'chatcmpl-cached', object: 'chat.completion.chunk', created: 0, model: reportedModel, ...fields })}\n\n`;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'hello' }, finish_reason: null }] }));
      res.write(chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
      if (body.stream_options?.include_usage) res.write(chunk({ choices: [], usage: reported }));
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
