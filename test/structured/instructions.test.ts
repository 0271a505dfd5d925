import { describe, expect, it } from 'vitest';
import {
  JSON_IN_PROMPT_INSTRUCTIONS,
  JSON_INSTRUCTIONS,
  asksJsonInPrompt,
  schemaFromInstructions,
  schemaInstructions,
  withInstructions,
} from '../../src/structured/instructions.js';

const user = { role: 'user', content: 'hello' };

describe('withInstructions', () => {
  it('a conversation without a system message gets ours as its first message', () => {
    expect(withInstructions([user], { instructions: 'S' })).toEqual([{ role: 'system', content: 'S' }, user]);
  });

  it("merges into the conversation's own system message, ours first and a blank line: never a second system message", () => {
    const messages = [{ role: 'system', content: 'ROWSYS' }, user];
    expect(withInstructions(messages, { instructions: 'S' })).toEqual([{ role: 'system', content: 'S\n\nROWSYS' }, user]);
    expect(messages[0]).toEqual({ role: 'system', content: 'ROWSYS' }); // the record's own messages are not edited
  });

  it('merges into a developer message, and into a system message of content parts as a first text part', () => {
    expect(withInstructions([{ role: 'developer', content: 'D', name: 'x' }, user], { instructions: 'S' })).toEqual([
      { role: 'developer', content: 'S\n\nD', name: 'x' },
      user,
    ]);
    const parts = [{ type: 'text', text: 'P' }];
    expect(withInstructions([{ role: 'system', content: parts }, user], { instructions: 'S' })).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'S' }, ...parts] },
      user,
    ]);
  });

  it("--json's hint merges the same way, and only when no message says JSON", () => {
    const messages = [{ role: 'system', content: 'Be brief.' }, user];
    expect(withInstructions(messages, { jsonHint: true })).toEqual([{ role: 'system', content: `${JSON_INSTRUCTIONS}\n\nBe brief.` }, user]);
    const saysJson = [{ role: 'system', content: 'Reply in JSON.' }, user];
    expect(withInstructions(saysJson, { jsonHint: true })).toBe(saysJson);
    expect(withInstructions(messages, undefined)).toBe(messages);
  });

  it('the mocks still find the schema and the JSON request in a merged message', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const sys = [{ role: 'system', content: 'ROWSYS ```json\n{"not":"it"}\n```' }, user];
    expect(schemaFromInstructions(withInstructions(sys, { instructions: schemaInstructions(schema) }))).toEqual(schema);
    expect(asksJsonInPrompt(withInstructions(sys, { instructions: JSON_IN_PROMPT_INSTRUCTIONS }))).toBe(true);
    expect(asksJsonInPrompt(sys)).toBe(false);
  });
});
