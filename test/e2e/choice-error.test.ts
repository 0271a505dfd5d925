/**
 * An error inside the choice (OpenRouter's `choices[0].error`, finish_reason "error": the provider
 * behind it failed mid-answer) fails the attempt, which is retried, on both transports, streamed or
 * not: it was an `ok` row with a cut or empty answer, which `--resume` never asks again.
 * Spawns the BUILT CLI: `npm run build` first.
 */
import { describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/run-cli.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';

const { dir, fresh } = useServers('llm-batch-choice-error-');

describe.concurrent('finish_reason "error" with an error in the choice', () => {
  it.each([
    ['lean streamed', []],
    ['lean not streamed', ['--no-stream']],
    ['-v (SDK) streamed', ['-v']],
    ['-v (SDK) not streamed', ['-v', '--no-stream']],
  ])('%s: a failed http row after its retries, exit 1; answered when a retry succeeds', async (tag, extra) => {
    const { server, run } = await fresh({ fault: ({ prompt, attempt }) => (prompt.startsWith('always') || attempt === 1 ? 'choiceerror' : undefined) });
    const file = writePrompts(dir, `${tag.replace(/\W+/g, '')}.txt`, ['always fails', 'fails once']);
    const r = await run([file, '--retries', '1', '--no-cache', ...extra]);
    expect(r.code, r.stderr).toBe(1);
    const rows = rowsOf(r);
    expect(rows.find((row) => row.prompt === 'always fails')).toMatchObject({
      response: null,
      error: {
        type: 'http',
        code: '502',
        message: 'the server ended the answer with an error (finish_reason "error"): Upstream provider returned error: overloaded',
      },
      attempts: 2,
    });
    expect(rows.find((row) => row.prompt === 'fails once')).toMatchObject({ error: null, response: 'ECHO fails once', finish_reason: 'stop', attempts: 2 });
    expect(server.countFor('always fails')).toBe(2);
  });
});
