import type { Logprobs, ResultRow, ToolCall } from '../types.js';
import type { CompletionResult } from './completion.js';

/** One piece of a tool call in a streamed delta (OpenAI's `delta.tool_calls[]`). */
export interface ToolCallDelta {
  index?: number;
  id?: string | null;
  type?: string | null;
  /** JSON text (in fragments when streamed); some OpenAI-compatible servers send the parsed object. */
  function?: { name?: string | null; arguments?: unknown } | null;
}

/**
 * Folds streamed tool-call pieces into whole calls. A call's first piece (at its `index`) brings
 * `id`, `type` and the function's `name`; the pieces after it bring `arguments` in fragments,
 * which only make JSON once joined. Pieces of parallel calls may interleave: `index` says whose.
 * Some servers repeat `id` and `name` in every piece: those are set, never joined.
 *
 * Servers that leave `index` out are read by what a piece brings: an `id` other than the previous
 * call's, or a `name` when the previous call has one already, starts a call (such servers often
 * send each call whole, in one piece); a bare fragment continues the previous call.
 */
export class ToolCallParts {
  private readonly calls: ToolCall[] = [];
  /** Where the last piece went: an index-less fragment belongs there. */
  private last: number | undefined;

  add(deltas: readonly ToolCallDelta[]): void {
    for (const delta of deltas) {
      const at = this.placeOf(delta);
      this.last = at;
      let call = this.calls[at];
      if (!call) {
        call = { id: '', type: 'function', function: { name: '', arguments: '' } };
        this.calls[at] = call;
      }
      if (delta.id) call.id = delta.id;
      if (delta.type) call.type = delta.type;
      const fn = delta.function;
      if (fn) {
        if (fn.name) call.function.name = fn.name;
        const args = fn.arguments;
        if (typeof args === 'string') call.function.arguments += args;
        // A parsed object (or any other JSON value) is a whole value: the row keeps JSON text.
        else if (args !== undefined && args !== null) call.function.arguments = JSON.stringify(args);
      }
    }
  }

  private placeOf(delta: ToolCallDelta): number {
    if (typeof delta.index === 'number') return delta.index;
    const previous = this.last === undefined ? undefined : this.calls[this.last];
    if (previous === undefined) return this.calls.length;
    if (delta.id) return delta.id === previous.id ? this.last! : this.calls.length;
    if (delta.function?.name) return previous.function.name === '' ? this.last! : this.calls.length;
    return this.last!;
  }

  /** The calls in index order; undefined when none came (a gap in the indexes is dropped). */
  result(): ToolCall[] | undefined {
    const calls = this.calls.filter((call) => call !== undefined);
    return calls.length > 0 ? calls : undefined;
  }
}

/**
 * Joins the `logprobs` of a stream's chunks: each chunk carries the entries of its own tokens in
 * `content` (and `refusal`), so the answer's are the chunks' arrays end to end. Other keys keep
 * their last non-null value.
 */
export class LogprobParts {
  private joined: Logprobs | undefined;

  add(logprobs: object): void {
    const joined = (this.joined ??= {});
    for (const key of Object.keys(logprobs)) {
      const value = (logprobs as Logprobs)[key];
      const had = joined[key];
      if (Array.isArray(value)) joined[key] = Array.isArray(had) ? had.concat(value) : value.slice();
      else if (value !== null && value !== undefined) joined[key] = value;
      else if (!(key in joined)) joined[key] = null;
    }
  }

  result(): Logprobs | undefined {
    return this.joined;
  }
}

/** A whole answer's tool calls as the row keeps them: the message's array, or none when empty. */
export function wholeToolCalls(calls: unknown): ToolCall[] | undefined {
  if (!Array.isArray(calls) || calls.length === 0) return undefined;
  const parts = new ToolCallParts();
  // Read through the same fold, so a whole answer's calls have the row's shape whatever extras the server adds.
  parts.add(calls.map((call: ToolCallDelta, index) => ({ ...call, index })));
  return parts.result();
}

/** A whole answer's logprobs: an object, or none (null, absent). */
export function wholeLogprobs(logprobs: unknown): Logprobs | undefined {
  return typeof logprobs === 'object' && logprobs !== null && !Array.isArray(logprobs) ? (logprobs as Logprobs) : undefined;
}

/** Tool calls, logprobs and reasoning, on the rows of the answers that have them only: a live answer's, a cached one's, a Batch API line's. */
export function withAnswerParts(row: ResultRow, answer: Pick<CompletionResult, 'toolCalls' | 'logprobs' | 'reasoning'>): ResultRow {
  if (answer.toolCalls) row.tool_calls = answer.toolCalls;
  if (answer.logprobs) row.logprobs = answer.logprobs;
  if (answer.reasoning) row.reasoning = answer.reasoning;
  return row;
}
