import type { ChatMessage } from '../types.js';

/** Framing tokens allowed per message (role, separators; chat templates of local servers add more than OpenAI's 3). */
const PER_MESSAGE = 8;
/** Framing for the request as a whole (the reply primer, a template's preamble). */
const PER_REQUEST = 16;
/** A non-text part (an image, audio): no byte count bounds its tokens; high-detail images stay under this. */
const PER_MEDIA_PART = 10_000;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * An upper bound on a request's prompt tokens. Byte-level BPE tokenizers (OpenAI's o200k and cl100k,
 * Llama 3, Qwen, Mistral's Tekken) never make more tokens than UTF-8 bytes, so bytes bound the text;
 * framing and media parts get the fixed allowances above. It over-reserves prompts (4 bytes a token
 * is typical), which is cheap next to max_tokens × the output price, and never under-reserves.
 */
export function promptTokenBound(messages: readonly ChatMessage[]): number {
  let total = PER_REQUEST;
  for (const m of messages) {
    total += PER_MESSAGE + utf8(m.role);
    if (typeof m.name === 'string') total += utf8(m.name);
    const content = m.content;
    if (typeof content === 'string') total += utf8(content);
    else if (Array.isArray(content)) {
      for (const part of content as unknown[]) {
        const p = part as { type?: unknown; text?: unknown } | null;
        if (p && p.type === 'text' && typeof p.text === 'string') total += utf8(p.text);
        else total += PER_MEDIA_PART;
      }
    } else if (content !== null && content !== undefined) total += utf8(JSON.stringify(content));
    // Tool calls and other fields sent with the message count as their JSON.
    for (const [k, v] of Object.entries(m)) {
      if (k !== 'role' && k !== 'content' && k !== 'name' && v !== undefined) total += utf8(JSON.stringify(v));
    }
  }
  return total;
}

/** What a request sends that the provider bills as prompt. */
export interface PromptParts {
  messages: readonly ChatMessage[];
  /** A JSON schema (structured outputs) is prompt the provider bills. */
  response_format?: unknown;
  /** Function definitions are too. */
  tools?: unknown;
}

/**
 * The parts of a live request billed as prompt, wherever it carries them: a structured run's
 * `response_format`, else the row's or `--param`'s own, and their `tools` (a JSONL row's fields and
 * `--param` travel in `extraBody`). `--max-cost`'s worst case and `--tpm`'s estimate both count these.
 */
export function promptParts(request: {
  messages: readonly ChatMessage[];
  response_format?: unknown;
  extraBody?: Readonly<Record<string, unknown>>;
}): PromptParts {
  const extra = request.extraBody;
  return { messages: request.messages, response_format: request.response_format ?? extra?.['response_format'], tools: extra?.['tools'] };
}

/**
 * The same bound for a whole request: the messages, plus a structured run's `response_format` (its
 * JSON schema is prompt the provider bills) and any tool definitions, counted by their JSON bytes.
 */
export function requestTokenBound(request: PromptParts): number {
  let total = promptTokenBound(request.messages);
  for (const extra of [request.response_format, request.tools]) if (extra !== undefined && extra !== null) total += utf8(JSON.stringify(extra));
  return total;
}

/**
 * The text of a Predicted Outputs `prediction` (`{type: 'content', content}`, a string or text
 * parts); another part counts as its JSON. Empty when there is none.
 */
export function predictedText(prediction: unknown): string {
  const content = (prediction as { content?: unknown } | null | undefined)?.content;
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return JSON.stringify(content);
  return content
    .map((part: unknown) => {
      const p = part as { type?: unknown; text?: unknown } | null;
      return p && p.type === 'text' && typeof p.text === 'string' ? p.text : JSON.stringify(part);
    })
    .join('');
}

/**
 * An upper bound on the answer tokens a request's prediction adds. OpenAI bills the predicted tokens
 * an answer does not use (`rejected_prediction_tokens`) as completion tokens, at the output price,
 * beyond the answer's own: up to the whole prediction when none is used. Bounded by its UTF-8 bytes,
 * as prompts are.
 */
export function predictionTokenBound(prediction: unknown): number {
  return utf8(predictedText(prediction));
}
