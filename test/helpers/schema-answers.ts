/**
 * The mock server's answers to structured requests: an object valid against the request's schema
 * (response_format json_schema, or a schema given in a system message as --schema-in-prompt does),
 * `{"answer": …}` for JSON mode (or --json --schema-in-prompt's system message), and on demand the failures real models produce.
 *
 * Switches, per prompt (`[[schema:KIND]]` or `[[schema:KIND*N]]`: the first N answers of that
 * conversation, counted by the assistant turns a re-ask carries) or for every request via options:
 * - `invalid-json`: text that does not parse;
 * - `violate`: JSON that breaks the schema (a wrong type and an unexpected property);
 * - `truncate`: half an answer with finish_reason `length`;
 * - `overflow`: half an answer with Mistral's finish_reason `model_length` (its context filled).
 * `rejectResponseFormat` answers any request carrying response_format with OpenAI's 400.
 */
import { asksJsonInPrompt, schemaFromInstructions } from '../../src/structured/instructions.js';
import { sampleValue } from '../../src/structured/sample-answer.js';
import type { JsonSchema } from '../../src/structured/strictify.js';

export type SchemaFault = 'invalid-json' | 'violate' | 'truncate' | 'overflow';

export interface SchemaAnswerOptions {
  /**
   * 400 for every request that carries response_format, naming it as OpenAI does for older models;
   * a string is the error's message instead (OpenAI's "Invalid schema for response_format …").
   */
  rejectResponseFormat?: boolean | string;
  /** A fault for this answer; `reask` is 0 for the first request of a record, 1 for its first re-ask… */
  fault?: (req: { prompt: string; reask: number }) => SchemaFault | undefined;
  /** This text as the answer, verbatim, when it returns one: a JSON value that is not an object, a long integer… */
  answer?: (req: { prompt: string; reask: number }) => string | undefined;
}

export interface SchemaAnswer {
  content: string;
  finishReason: 'stop' | 'length' | 'model_length';
}

interface Message {
  role?: unknown;
  content?: unknown;
}

const DIRECTIVE = /\[\[schema:(invalid-json|violate|truncate|overflow)(?:\*(\d+))?\]\]/;

export const RESPONSE_FORMAT_REJECTION = "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.";

/** The 400 body for a request the mock refuses for its response_format, or undefined. */
export function rejectResponseFormat(body: any, options: SchemaAnswerOptions | undefined): string | undefined {
  if (!options?.rejectResponseFormat || body?.response_format === undefined) return undefined;
  const message = typeof options.rejectResponseFormat === 'string' ? options.rejectResponseFormat : RESPONSE_FORMAT_REJECTION;
  return JSON.stringify({ error: { message, type: 'invalid_request_error', param: 'response_format', code: null } });
}

/** The answer to a structured request, or undefined for a plain one (the mock's usual reply then). */
export function schemaAnswer(body: any, options: SchemaAnswerOptions | undefined): SchemaAnswer | undefined {
  const messages: Message[] = Array.isArray(body?.messages) ? body.messages : [];
  const format = body?.response_format;
  const schema: JsonSchema | undefined = format?.type === 'json_schema' ? format.json_schema?.schema : schemaFromInstructions(messages);
  if (!schema && format?.type !== 'json_object' && !asksJsonInPrompt(messages)) return undefined;

  // The record's own prompt is the first user turn; a re-ask appends an assistant turn and ours.
  const first = messages.find((m) => m.role === 'user');
  const prompt = typeof first?.content === 'string' ? first.content : '';
  const reask = messages.filter((m) => m.role === 'assistant').length;
  const scripted = options?.answer?.({ prompt, reask });
  if (scripted !== undefined) return { content: scripted, finishReason: 'stop' };
  const text = prompt.replace(/\[\[[^\]]*\]\]/g, '').trim();
  const value = schema ? sampleValue(schema, prompt, () => text) : { answer: text };
  const valid = JSON.stringify(value);

  const m = DIRECTIVE.exec(prompt);
  const fault = m && reask < (m[2] === undefined ? 1 : Number(m[2])) ? (m[1] as SchemaFault) : options?.fault?.({ prompt, reask });
  switch (fault) {
    case 'invalid-json':
      return { content: `Sure! Here is the JSON: ${valid.slice(0, -1)}`, finishReason: 'stop' };
    case 'violate':
      return { content: JSON.stringify(violate(value, schema)), finishReason: 'stop' };
    case 'truncate':
    case 'overflow':
      return { content: valid.slice(0, Math.max(1, valid.length >> 1)), finishReason: fault === 'truncate' ? 'length' : 'model_length' };
    default:
      return { content: valid, finishReason: 'stop' };
  }
}

/** The valid object with its first property's type changed and one property too many. */
function violate(value: unknown, schema: JsonSchema | undefined): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 12345;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const firstKey = Object.keys((schema?.properties as object | undefined) ?? out)[0];
  if (firstKey !== undefined) out[firstKey] = typeof out[firstKey] === 'number' ? 'not a number' : 12345;
  out.unexpected_field = true;
  return out;
}
