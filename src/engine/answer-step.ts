import type { CompletionResult } from '../provider/completion.js';
import type { ChatMessage, Usage } from '../types.js';
import { judgeAnswer } from '../structured/judge-answer.js';
import { reaskMessages } from '../structured/reask.js';
import { addUsage } from '../output/carried-usage.js';
import type { StructuredOutput } from '../structured/types.js';

/** One record's answers so far: how often it was re-asked, and the tokens all its answers cost. */
export interface AnswerTally {
  reasks: number;
  usage: Usage | null;
}

export const newTally = (): AnswerTally => ({ reasks: 0, usage: null });

/** What the engine does with an answer: keep it, give up on the record, or ask again. */
export type AnswerStep =
  | { next: 'accept'; output: unknown; usage: Usage | null }
  | { next: 'reject'; message: string; usage: Usage | null }
  | { next: 'reask'; messages: ChatMessage[]; problems: string[]; message: string; usage: Usage | null };

/**
 * Judges one answer of a record. A re-ask is one more attempt of the same record (the conversation
 * as sent, plus the invalid answer and the validator's words) until `retries` are used up; the
 * row's usage is the sum over all its answers, since every one was paid for.
 */
export function answerStep(structured: StructuredOutput, result: CompletionResult, sent: ChatMessage[], tally: AnswerTally): AnswerStep {
  tally.usage = addUsage(tally.usage, result.usage);
  const verdict = judgeAnswer(result.text, result.finishReason, structured.check, result.refusal);
  if (verdict.ok) return { next: 'accept', output: verdict.value, usage: tally.usage };
  if (verdict.final || tally.reasks >= structured.retries) {
    const n = tally.reasks;
    return { next: 'reject', message: n > 0 ? `${verdict.message} (after ${n} re-${n === 1 ? 'ask' : 'asks'})` : verdict.message, usage: tally.usage };
  }
  tally.reasks++;
  return {
    next: 'reask',
    messages: reaskMessages(sent, result.text, verdict.kind, verdict.problems),
    problems: verdict.problems,
    message: verdict.message,
    usage: tally.usage,
  };
}
