import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatMessage } from '../types.js';
import { isTextPart } from '../util/text-part.js';
import { countBySlices } from './token-slices.js';

/** Special-token text in a prompt is plain text to count, not a reason to throw. */
const PLAIN = { disallowedSpecial: new Set<string>() };
const countSlice = (slice: string): number => countTokens(slice, PLAIN);

/** In bounded slices: BPE on one long unbroken run is quadratic (token-slices.ts). */
const tokensOfText = (text: string): number => countBySlices(text, countSlice);

/**
 * Text prompt tokens as OpenAI counts chat input (o200k encoding, 3 tokens of framing per message
 * plus 3 for the reply). Of a message made of parts only the text parts count here: an image is billed
 * by its size, not by its URL's text (a data URL's base64 would count tens of thousands): its
 * usage corrects the charge, and budget/worst-case.ts `mediaTokens` bounds it for --max-cost. Loaded only when a token budget is in force: the encoder
 * tables are large.
 */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let total = 3;
  for (const m of messages) {
    total += 3;
    if (typeof m.content === 'string') total += tokensOfText(m.content);
    else if (Array.isArray(m.content)) for (const part of m.content as unknown[]) total += isTextPart(part) ? tokensOfText(part.text) : 0;
    else total += tokensOfText(JSON.stringify(m.content ?? ''));
  }
  return total;
}

/** Tokens of a text as it is (no message framing): a Predicted Outputs prediction. */
export function estimateTextTokens(text: string): number {
  return text === '' ? 0 : tokensOfText(text);
}

/** Distinct schemas and tool lists remembered by their JSON: most requests share theirs. */
const REMEMBERED = 64;

/**
 * Estimates a whole request's prompt tokens (budget/worst-case.ts `promptParts` says what counts): its messages, and its
 * `response_format` and `tools`, each counted as a system message of its JSON. Each is encoded once:
 * the same object (a schema or `--param tools=…` every request carries) is known by identity,
 * equal JSON (rows' own copies) by its text. Images are not counted here (see estimatePromptTokens):
 * the answer's usage says what they cost.
 */
export function requestTokenEstimator(): (request: { messages: readonly ChatMessage[]; response_format?: unknown; tools?: unknown }) => number {
  const byObject = new WeakMap<object, number>();
  const byJson = new Map<string, number>();
  const tokensOf = (value: unknown): number => {
    if (value === undefined || value === null) return 0;
    const object = typeof value === 'object' ? value : undefined;
    const known = object && byObject.get(object);
    if (known !== undefined) return known;
    const json = JSON.stringify(value);
    let tokens = byJson.get(json);
    if (tokens === undefined) {
      tokens = estimatePromptTokens([{ role: 'system', content: json }]);
      if (byJson.size < REMEMBERED) byJson.set(json, tokens);
    }
    if (object) byObject.set(object, tokens);
    return tokens;
  };
  return (request) => estimatePromptTokens(request.messages) + tokensOf(request.response_format) + tokensOf(request.tools);
}
