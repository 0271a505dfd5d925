import { systemClock } from '../util/clock.js';
import { asksJsonInPrompt, schemaFromInstructions } from '../structured/instructions.js';
import { EndlessSchemaError, sampleValue } from '../structured/sample-answer.js';
import type { JsonSchema } from '../structured/strictify.js';

/**
 * The `--mock` provider: an in-process stand-in for an OpenAI-compatible server, handed to the SDK
 * as its `fetch`. Everything else (request building, SSE parsing, our retries and pacing) runs
 * for real, so `--mock` shows what a real run does, offline, with no key.
 */
export interface MockFetchOptions {
  /** Mean time to first byte. @default 120 */
  latencyMs?: number;
  /** Gap between streamed chunks. @default 12 */
  chunkDelayMs?: number;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const OPENERS = ['In short', 'Briefly', 'Here is a mock answer', 'A deterministic reply', 'Offline answer'];

/** Same prompt, same answer: runs and tests can compare outputs. */
export function mockReply(prompt: string): string {
  const h = hash(prompt);
  const topic = prompt.replace(/\s+/g, ' ').trim().slice(0, 80);
  return `${OPENERS[h % OPENERS.length]}: you asked "${topic}". This answer comes from llm-batch --mock, which needs no key and no network; set OPENAI_API_KEY to ask a real model.`;
}

/** A structured request gets a valid object: from response_format's schema, or one given in a system message (or --json's, in one). */
export function structuredReply(body: { response_format?: unknown; messages?: Array<{ role: string; content: unknown }> }, prompt: string): string | undefined {
  const format = body.response_format as { type?: string; json_schema?: { schema?: JsonSchema } } | undefined;
  const schema = format?.type === 'json_schema' ? format.json_schema?.schema : schemaFromInstructions(body.messages ?? []);
  if (schema) return JSON.stringify(sampleValue(schema, prompt, (name) => `mock ${name || 'text'} ${hash(prompt + name) % 1000}`));
  if (format?.type === 'json_object' || asksJsonInPrompt(body.messages ?? [])) return JSON.stringify({ answer: mockReply(prompt) });
  return undefined;
}

/** About four characters a token, as OpenAI's rule of thumb: at least one. */
export const approxTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/**
 * The reply as a server sends it under the request's answer cap (`max_tokens`, or
 * `max_completion_tokens`): cut at the cap with finish_reason `length`, as a real model's is, so
 * that `--max-tokens` and a budget's worst case behave offline as they do against a server.
 */
export function cappedReply(
  reply: string,
  body: { max_tokens?: unknown; max_completion_tokens?: unknown },
): { text: string; finishReason: 'stop' | 'length'; tokens: number } {
  const cap = [body.max_completion_tokens, body.max_tokens].find((n): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0);
  const tokens = approxTokens(reply);
  if (cap === undefined || tokens <= cap) return { text: reply, finishReason: 'stop', tokens };
  // Not half a character: a model's cut answer ends between characters (an emoji is two UTF-16 units).
  const cut = reply.slice(0, cap * 4);
  return { text: /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut, finishReason: 'length', tokens: cap };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

// Long by choice: the defaults, then the one handler closure that plays the server.
export function createMockFetch(options: MockFetchOptions = {}): typeof fetch {
  const latency = options.latencyMs ?? 120;
  const chunkDelay = options.chunkDelayMs ?? 12;
  let counter = 0;

  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const signal = init?.signal;
    if (!url.endsWith('/chat/completions')) return json(404, { error: { message: `mock: no route for ${url}`, type: 'invalid_request_error' } });
    const body = JSON.parse(String(init?.body ?? '{}')) as {
      model?: string;
      messages?: Array<{ role: string; content: unknown }>;
      stream?: boolean;
      response_format?: unknown;
      max_tokens?: unknown;
      max_completion_tokens?: unknown;
    };
    const messages = body.messages ?? [];
    const lastUser = [...messages].reverse().find((m) => m.role === 'user');
    const prompt = typeof lastUser?.content === 'string' ? lastUser.content : JSON.stringify(lastUser?.content ?? '');
    // A re-ask's last user turn is our complaint; the record's own prompt is the first one.
    const firstUser = messages.find((m) => m.role === 'user');
    let structured: string | undefined;
    try {
      structured = structuredReply(body, typeof firstUser?.content === 'string' ? firstUser.content : prompt);
    } catch (err) {
      // A schema with no finite value: refused as a server refuses a bad request, not a crash that reads as a lost connection.
      if (err instanceof EndlessSchemaError) return json(400, { error: { message: `mock: ${err.message}`, type: 'invalid_request_error' } });
      throw err;
    }
    const { text: reply, finishReason, tokens } = cappedReply(structured ?? mockReply(prompt), body);
    const model = body.model ?? 'mock-model';
    const id = `chatcmpl-mock-${++counter}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = {
      // An assistant turn that only calls tools has no content (or null): it counts as empty.
      prompt_tokens: messages.reduce(
        (n, m) => n + approxTokens(typeof m.content === 'string' ? m.content : m.content == null ? '' : JSON.stringify(m.content)) + 3,
        3,
      ),
      completion_tokens: tokens,
    };
    await systemClock.sleep(Math.round(latency * (0.5 + (hash(prompt) % 1000) / 1000)), signal ?? undefined);

    if (!body.stream) {
      return json(200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: finishReason }],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      });
    }

    const pieces = reply.match(/\S+\s*/g) ?? [reply];
    const encoder = new TextEncoder();
    const event = (data: unknown) => encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
    const chunk = (delta: object, finish: string | null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        try {
          controller.enqueue(event(chunk({ role: 'assistant', content: '' }, null)));
          for (let i = 0; i < pieces.length; i += 3) {
            await systemClock.sleep(chunkDelay, signal ?? undefined);
            controller.enqueue(event(chunk({ content: pieces.slice(i, i + 3).join('') }, null)));
          }
          controller.enqueue(event(chunk({}, finishReason)));
          controller.enqueue(event({ id, object: 'chat.completion.chunk', created, model, choices: [], usage }));
          controller.enqueue(encoder.encode('data: [DONE]\n\n'));
          controller.close();
        } catch (err) {
          controller.error(err);
        }
      },
    });
    return new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  };
}
