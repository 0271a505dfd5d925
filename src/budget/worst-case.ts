import type { ChatMessage } from '../types.js';
import { isTextPart } from '../util/text-part.js';
import { imageTokenBound, isImagePart } from './image-tokens.js';

/** Framing tokens allowed per message (role, separators; chat templates of local servers add more than OpenAI's 3). */
const PER_MESSAGE = 8;
/** Framing for the request as a whole (the reply primer, a template's preamble). */
const PER_REQUEST = 16;
/**
 * The allowance reserved for a non-text part nothing bounds (an image for a model with no known vision
 * rule, audio, a file): a guess, which the budget says it is (`MediaTally`). Images of OpenAI's vision
 * models get their real worst case instead (image-tokens.ts).
 */
export const UNBOUNDED_MEDIA_PART = 10_000;

/** The non-text parts a prompt bound met: those bounded for their model, and those nothing bounds. */
export interface MediaTally {
  /** Parts counted at their model's worst case (images of OpenAI's vision models). */
  bounded: number;
  /** Parts nothing bounds, counted at the allowance the caller gives (UNBOUNDED_MEDIA_PART for the budget). */
  unbounded: number;
  /** The first unbounded part's kind, to name it: `image_url`, `input_audio`, `file`. */
  kind?: string;
}

export const mediaTally = (): MediaTally => ({ bounded: 0, unbounded: 0 });

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * An upper bound on a request's prompt tokens. Byte-level BPE tokenizers (OpenAI's o200k and cl100k,
 * Llama 3, Qwen, Mistral's Tekken) never make more tokens than UTF-8 bytes, so bytes bound the text;
 * framing gets the fixed allowances above, an image part the most its `model` bills for one
 * (image-tokens.ts), and a part nothing bounds UNBOUNDED_MEDIA_PART, counted in `tally`. It
 * over-reserves prompts (4 bytes a token is typical), which is cheap next to max_tokens × the output
 * price, and never under-reserves what it can bound.
 */
export function promptTokenBound(messages: readonly ChatMessage[], model?: string, tally?: MediaTally): number {
  let total = PER_REQUEST;
  for (const m of messages) {
    total += PER_MESSAGE + utf8(m.role);
    if (typeof m.name === 'string') total += utf8(m.name);
    const content = m.content;
    if (typeof content === 'string') total += utf8(content);
    else if (Array.isArray(content)) {
      for (const part of content as unknown[]) total += isTextPart(part) ? utf8(part.text) : mediaTokenBound(part, model, tally);
    } else if (content !== null && content !== undefined) total += utf8(JSON.stringify(content));
    // Tool calls and other fields sent with the message count as their JSON.
    for (const [k, v] of Object.entries(m)) {
      if (k !== 'role' && k !== 'content' && k !== 'name' && v !== undefined) total += utf8(JSON.stringify(v));
    }
  }
  return total;
}

/**
 * A non-text part's tokens at most: an image's for the model when its rule is known, else
 * `unbounded` (the allowance reserved, or 0 for an estimate that leaves it out), tallied.
 */
export function mediaTokenBound(part: unknown, model: string | undefined, tally?: MediaTally, unbounded = UNBOUNDED_MEDIA_PART): number {
  const bound = isImagePart(part) ? imageTokenBound(model, part) : undefined;
  if (bound !== undefined) {
    if (tally) tally.bounded++;
    return bound;
  }
  if (tally) {
    tally.unbounded++;
    const type = (part as { type?: unknown } | null)?.type;
    tally.kind ??= typeof type === 'string' ? type : 'non-text';
  }
  return unbounded;
}

/** mediaTokenBound summed over the non-text parts of the messages' contents (text parts are someone else's count). */
export function mediaTokens(messages: readonly ChatMessage[], model: string | undefined, tally?: MediaTally, unbounded = UNBOUNDED_MEDIA_PART): number {
  let total = 0;
  for (const m of messages) {
    if (!Array.isArray(m.content)) continue;
    for (const part of m.content as unknown[]) if (!isTextPart(part)) total += mediaTokenBound(part, model, tally, unbounded);
  }
  return total;
}

/** What a request sends that the provider bills as prompt. */
export interface PromptParts {
  /** The model asked: what an image part may cost depends on it. */
  model?: string;
  messages: readonly ChatMessage[];
  /** A JSON schema (structured outputs) is prompt the provider bills. */
  response_format?: unknown;
  /** Function definitions are too: `tools`, and the `functions` they replaced (still sent, still billed). */
  tools?: unknown;
  functions?: unknown;
}

/**
 * The parts of a live request billed as prompt, wherever it carries them: a structured run's
 * `response_format`, else the row's or `--param`'s own, and their `tools` (a JSONL row's fields and
 * `--param` travel in `extraBody`). `--max-cost`'s worst case and `--tpm`'s estimate both count these.
 */
export function promptParts(request: {
  model?: string;
  messages: readonly ChatMessage[];
  response_format?: unknown;
  extraBody?: Readonly<Record<string, unknown>>;
}): PromptParts {
  const extra = request.extraBody;
  return {
    ...(request.model !== undefined ? { model: request.model } : {}),
    messages: request.messages,
    response_format: request.response_format ?? extra?.['response_format'],
    tools: extra?.['tools'],
    functions: extra?.['functions'],
  };
}

/**
 * The same bound for a whole request: the messages (images at their model's worst case), plus a structured run's `response_format` (its
 * JSON schema is prompt the provider bills) and any tool definitions, counted by their JSON bytes.
 */
export function requestTokenBound(request: PromptParts, tally?: MediaTally): number {
  let total = promptTokenBound(request.messages, request.model, tally);
  for (const extra of [request.response_format, request.tools, request.functions])
    if (extra !== undefined && extra !== null) total += utf8(JSON.stringify(extra));
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
