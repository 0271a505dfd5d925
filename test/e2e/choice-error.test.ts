/**
 * An error inside the choice (OpenRouter's `choices[0].error`, finish_reason "error": the provider
 * behind it failed mid-answer) fails the attempt, which is retried, on both transports, streamed or
 * not: it was an `ok` row with a cut or empty answer, which `--resume` never asks again. Its `code`
 * is an HTTP status and is typed as one: it was kept as a bare code, so a 429 was no rate limit, a
 * 400 was asked again and a 402 never stopped the run.
 * Spawns the BUILT CLI: `npm run build` first.
 */
import { describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/run-cli.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';

const { dir, fresh } = useServers('llm-batch-choice-error-');

const CHOICE_ERROR = 'the server ended the answer with an error (finish_reason "error"): Upstream provider returned error: overloaded';
const TRANSPORTS: [string, string[]][] = [
  ['lean streamed', []],
  ['lean not streamed', ['--no-stream']],
  ['-v (SDK) streamed', ['-v']],
  ['-v (SDK) not streamed', ['-v', '--no-stream']],
];

describe.concurrent('finish_reason "error" with an error in the choice', () => {
  it.each(TRANSPORTS)('%s: a failed http row after its retries, exit 1; answered when a retry succeeds', async (tag, extra) => {
    const { server, run } = await fresh({ fault: ({ prompt, attempt }) => (prompt.startsWith('always') || attempt === 1 ? 'choiceerror' : undefined) });
    const file = writePrompts(dir, `${tag.replace(/\W+/g, '')}.txt`, ['always fails', 'fails once']);
    const r = await run([file, '--retries', '1', '--no-cache', ...extra]);
    expect(r.code, r.stderr).toBe(1);
    const rows = rowsOf(r);
    expect(rows.find((row) => row.prompt === 'always fails')).toMatchObject({
      response: null,
      error: { type: 'http', status: 502, message: CHOICE_ERROR },
      attempts: 2,
    });
    expect(rows.find((row) => row.prompt === 'always fails')!.error).not.toHaveProperty('code');
    expect(rows.find((row) => row.prompt === 'fails once')).toMatchObject({ error: null, response: 'ECHO fails once', finish_reason: 'stop', attempts: 2 });
    expect(server.countFor('always fails')).toBe(2);
  });

  it.each(TRANSPORTS)('%s: its code typed as that HTTP status: 429 a retried rate limit, 400 not retried, 402 stops the run', async (tag, extra) => {
    const flags = ['--retries', '1', '--no-cache', '-c', '1', ...extra];
    const name = tag.replace(/\W+/g, '');
    const limited = await fresh({ choiceErrorCode: 429, fault: () => 'choiceerror' });
    const r429 = await limited.run([writePrompts(dir, `${name}-429.txt`, ['limited']), ...flags]);
    expect(r429.code, r429.stderr).toBe(1);
    expect(rowsOf(r429)[0]).toMatchObject({ error: { type: 'rate_limit', status: 429, message: CHOICE_ERROR }, attempts: 2 });
    expect(r429.stderr).toMatch(/2 × 429/);

    const refused = await fresh({ choiceErrorCode: '400', fault: () => 'choiceerror' });
    const r400 = await refused.run([writePrompts(dir, `${name}-400.txt`, ['refused']), ...flags]);
    expect(r400.code, r400.stderr).toBe(1);
    expect(rowsOf(r400)[0]).toMatchObject({ error: { type: 'http', status: 400, message: CHOICE_ERROR }, attempts: 1 });
    expect(refused.server.requests).toHaveLength(1);

    const broke = await fresh({ choiceErrorCode: 402, fault: ({ prompt }) => (prompt === 'first' ? 'choiceerror' : undefined) });
    const r402 = await broke.run([writePrompts(dir, `${name}-402.txt`, ['first', 'second']), ...flags]);
    expect(r402.code, r402.stderr).toBe(3);
    expect(r402.stderr).toContain('HTTP 402 (in the choice): Upstream provider returned error: overloaded');
    expect(broke.server.countFor('second')).toBe(0);
  });
});
