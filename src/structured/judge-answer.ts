import type { AnswerCheck, InvalidKind } from './check-types.js';
import { cutOffAt } from '../finish-reason.js';

interface Failure {
  ok: false;
  /** One line per violation, for the re-ask and the error row. */
  problems: string[];
  /** What the error row says if this is the last attempt. */
  message: string;
}

export type Verdict =
  | { ok: true; value: unknown }
  /** Not worth asking again: the answer was refused, cut off, or filtered. */
  | (Failure & { final: true })
  /** Worth asking again; `kind` picks the re-ask's words (see reask.ts). */
  | (Failure & { final: false; kind: InvalidKind });

/**
 * Judges one answer. A truncated answer (finish_reason `length`, Mistral's `model_length`) is said
 * as such and not re-asked: the same limit would cut the next one too. Its message says whether the
 * JSON was left incomplete or parsed and still failed (then raising --max-tokens is not the whole answer).
 */
export function judgeAnswer(text: string, finishReason: string | null, check: AnswerCheck, refusal?: string): Verdict {
  // A refusal is the model's decision, not a slip a re-ask would fix.
  if (refusal) return { ok: false, problems: [`refused: ${refusal}`], final: true, message: `the model refused to answer: ${refusal}` };
  const result = check(text);
  if (result.ok) return result;
  const { problems } = result;
  const limit = cutOffAt(finishReason);
  if (limit) {
    const cut = `answer cut off at ${limit} (finish_reason: ${finishReason})`;
    // A context filled up is not lifted by --max-tokens.
    const advice = finishReason === 'length' ? 'raise --max-tokens' : 'shorten the prompt';
    const message =
      result.kind === 'json'
        ? `${cut} before its JSON was complete; ${advice} (${problems.join('; ')})`
        : `${cut}; its JSON is complete but ${COMPLETE_BUT[result.kind]}: ${problems.join('; ')}`;
    return { ok: false, problems, final: true, message };
  }
  if (finishReason === 'content_filter') {
    return { ok: false, problems, final: true, message: `answer stopped by the content filter (finish_reason: content_filter): ${problems.join('; ')}` };
  }
  return { ok: false, problems, final: false, kind: result.kind, message: `${WHAT[result.kind]}: ${problems.join('; ')}` };
}

/** An invalid answer's error message begins so. */
const WHAT: Record<InvalidKind, string> = {
  json: 'answer is not valid JSON',
  deep: 'answer nests too deeply',
  object: 'answer is not a JSON object',
  schema: 'answer does not match the schema',
};

/** A cut-off answer whose JSON is whole: "its JSON is complete but …". */
const COMPLETE_BUT: Record<Exclude<InvalidKind, 'json'>, string> = {
  deep: 'nests too deeply',
  object: 'not a JSON object',
  schema: 'does not match the schema',
};
