import { describe, expect, it } from 'vitest';
import { chatTarget } from '../../src/provider/chat-target.js';
import type { AgentPool } from '../../src/provider/agent-pool.js';
import { UsageError } from '../../src/errors.js';

const pool = {} as AgentPool;
const BASE = 'http://llm.test/v1';

describe('chatTarget', () => {
  it('carries the key, organization and project as headers', () => {
    const target = chatTarget(BASE, 'sk-abc', pool, { organization: ' org-1 ', project: 'proj_\u00e9' });
    expect(target.url.href).toBe('http://llm.test/v1/chat/completions');
    expect(target.headers).toMatchObject({ authorization: 'Bearer sk-abc', 'openai-organization': 'org-1', 'openai-project': 'proj_\u00e9' });
  });

  it.each([
    ['the API key', 'sk-\u201cSECRET\u201d', {}, /^the API key has .*: U\+201C at position 4 of 11 \(the value is not shown\)$/],
    ['the API key', 'SECRET\r', {}, /^the API key has .*: U\+000D at position 7 of 7 /],
    [
      'the organization',
      'sk-abc',
      { organization: '\u2018SECRET\u2019' },
      /^the organization has a character that cannot be sent in an HTTP header: U\+2018 at position 1 of 8 /,
    ],
    ['the project', 'sk-abc', { project: 'SEC\u0000RET' }, /^the project has .*: U\+0000 at position 4 of 7 /],
    ['the project', 'sk-abc', { project: '\ud83d\ude00SECRET' }, /^the project has .*: U\+1F600 at position 1 of 7 /],
  ])('refuses %s a header cannot carry, naming it and never its value', (_, key, env, message) => {
    let thrown: unknown;
    try {
      chatTarget(BASE, key, pool, env);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toMatch(/SECRET/);
  });

  it('leaves blank IDs unset and an absent key as before', () => {
    const target = chatTarget(BASE, undefined, pool, { organization: '  ', project: '' });
    expect(target.headers['openai-organization']).toBeUndefined();
    expect(target.headers['openai-project']).toBeUndefined();
    expect(target.headers.authorization).toBe('Bearer no-key');
  });
});
