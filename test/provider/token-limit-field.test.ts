import { describe, expect, it } from 'vitest';
import { AttemptError } from '../../src/provider/completion.js';
import { otherLimitField } from '../../src/provider/sdk-complete.js';

const refusal = (status: number, message: string) => new AttemptError('http', `HTTP ${status}: ${message}`, { status });

describe('otherLimitField: the cap named the other way after a refusal of the name sent', () => {
  it("OpenAI's reasoning models refuse max_tokens", () => {
    const said = "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.";
    expect(otherLimitField(refusal(400, said), 'max_tokens')).toBe('max_completion_tokens');
  });

  it('an older server refuses max_completion_tokens (Azure, FastAPI, pydantic wordings)', () => {
    for (const said of [
      'Unrecognized request argument supplied: max_completion_tokens',
      'max_completion_tokens: Extra inputs are not permitted',
      'unknown field `max_completion_tokens`',
    ]) {
      expect(otherLimitField(refusal(400, said), 'max_completion_tokens'), said).toBe('max_tokens');
      expect(otherLimitField(refusal(422, said), 'max_completion_tokens'), said).toBe('max_tokens');
    }
  });

  it('not for another error, another status, or the name that was not sent', () => {
    expect(otherLimitField(refusal(400, 'max_tokens is too large: 999999. This model supports at most 16384 completion tokens'), 'max_tokens')).toBeUndefined();
    // vLLM's context-length refusal names both fields: sent again under the other name, it was refused the same.
    const vllm =
      "'max_tokens' or 'max_completion_tokens' is too large: 4096. This model's maximum context length is 2048 tokens and your request has 5 input tokens (4096 > 2048 - 5).";
    expect(otherLimitField(refusal(400, vllm), 'max_tokens')).toBeUndefined();
    expect(otherLimitField(refusal(500, "Use 'max_completion_tokens' instead of 'max_tokens'"), 'max_tokens')).toBeUndefined();
    expect(otherLimitField(refusal(400, 'Unrecognized request argument supplied: max_completion_tokens'), 'max_tokens')).toBeUndefined();
    expect(otherLimitField(new AttemptError('connection', 'connection failed (ECONNRESET)'), 'max_tokens')).toBeUndefined();
  });
});
