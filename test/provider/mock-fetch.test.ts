import { describe, expect, it } from 'vitest';
import { structuredReply } from '../../src/provider/mock-fetch.js';
import { JSON_IN_PROMPT_INSTRUCTIONS } from '../../src/structured/instructions.js';

describe('structuredReply (--mock)', () => {
  it('answers JSON mode asked for in a system message (--json --schema-in-prompt) as it answers json_object', () => {
    const user = { role: 'user', content: 'three colours' };
    const inPrompt = JSON.parse(structuredReply({ messages: [{ role: 'system', content: JSON_IN_PROMPT_INSTRUCTIONS }, user] }, 'three colours')!);
    expect(inPrompt).toEqual(JSON.parse(structuredReply({ response_format: { type: 'json_object' }, messages: [user] }, 'three colours')!));
    expect(inPrompt).toEqual({ answer: expect.stringContaining('three colours') });
    // A plain request, or the words elsewhere than a first system message, stays free text.
    expect(structuredReply({ messages: [user, { role: 'system', content: JSON_IN_PROMPT_INSTRUCTIONS }] }, 'three colours')).toBeUndefined();
  });
});
