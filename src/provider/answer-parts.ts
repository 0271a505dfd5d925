import type { Logprobs, ToolCall } from '../types.js';

/** One piece of a tool call in a streamed delta (OpenAI's `delta.tool_calls[]`). */
export interface ToolCallDelta {
  index?: number;
  id?: string | null;
  type?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

/**
 * Folds streamed tool-call pieces into whole calls. A call's first piece (at its `index`) brings
 * `id`, `type` and the function's `name`; the pieces after it bring `arguments` in fragments,
 * which only make JSON once joined. Pieces of parallel calls may interleave: `index` says whose.
 * Some servers repeat `id` and `name` in every piece: those are set, never joined.
 */
export class ToolCallParts {
  private readonly calls: ToolCall[] = [];

  add(deltas: readonly ToolCallDelta[]): void {
    for (const delta of deltas) {
      // Servers that stream whole calls (no index) send one call per piece, in order.
      const at = typeof delta.index === 'number' ? delta.index : this.calls.length;
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
        if (fn.arguments) call.function.arguments += fn.arguments;
      }
    }
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
