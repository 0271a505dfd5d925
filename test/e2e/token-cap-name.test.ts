/**
 * A server that refuses `max_tokens` as OpenAI's reasoning models do (reached through a regional
 * endpoint, a gateway or an Azure custom domain, which get `max_tokens` by their host name): the
 * refused request goes again at once with `max_completion_tokens`, and every later one with it.
 * Spawns the BUILT CLI: `npm run build` first.
 */
import { describe, expect, it } from 'vitest';
import { runCli, writePrompts } from '../helpers/run-cli.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';
import { startProxyServer } from '../helpers/proxy-server.js';

const { dir, fresh } = useServers('llm-batch-token-cap-');

describe.concurrent('a server that refuses max_tokens', () => {
  it.each([
    ['lean', ['--max-tokens', '50']],
    ['-v (SDK)', ['--max-tokens', '50', '-v']],
    ['--max-cost, which sets max_tokens itself', ['--max-cost', '5', '--price', '1/1']],
    ['not streamed', ['--max-tokens', '50', '--no-stream']],
  ])('%s: every row answered, one refusal, the cap sent as max_completion_tokens from then on', async (tag, flags) => {
    const { server, run } = await fresh({ latencyMs: 5, refuseMaxTokens: true });
    const prompts = ['a', 'b', 'c', 'd'];
    const file = writePrompts(dir, `cap-${tag.replace(/\W+/g, '')}.txt`, prompts);
    const r = await run([file, '-m', 'gpt-5-mini', '-c', '1', '--retries', '0', '--no-cache', ...flags]);
    expect(r.code, r.stderr).toBe(0);
    expect(rowsOf(r).map((row) => [row.error, row.attempts])).toEqual(prompts.map(() => [null, 1]));
    const refused = server.requests.filter((q) => q.status === 400);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.body).toHaveProperty('max_tokens');
    const answered = server.requests.filter((q) => q.status === 200);
    expect(answered).toHaveLength(4);
    for (const q of answered) {
      expect(q.body).not.toHaveProperty('max_tokens');
      expect(q.body.max_completion_tokens).toBe(flags.includes('--max-cost') ? 4096 : 50);
    }
  });

  it('a row that names max_completion_tokens itself is sent so once refused', async () => {
    const { server, run } = await fresh({ latencyMs: 5, refuseMaxTokens: true });
    const file = writePrompts(dir, 'own-cap.jsonl', ['{"prompt":"hi","max_completion_tokens":300}']);
    const r = await run([file, '--no-cache']);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.map((q) => [q.status, q.body.max_tokens, q.body.max_completion_tokens])).toEqual([
      [400, 300, undefined],
      [200, undefined, 300],
    ]);
  });

  it('a server that refuses stream_options too: both fall back, one after the other', async () => {
    const { server, run } = await fresh({ latencyMs: 5, refuseMaxTokens: true, refuseStreamOptions: 'mistral' });
    const file = writePrompts(dir, 'both.txt', ['a', 'b', 'c']);
    const r = await run([file, '--max-tokens', '20', '-c', '1', '--retries', '0', '--no-cache']);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.map((q) => [q.status, 'max_tokens' in q.body, 'stream_options' in q.body])).toEqual([
      [400, true, true],
      [422, false, true],
      [200, false, false],
      [200, false, false],
      [200, false, false],
    ]);
  });
});

describe.concurrent('an Azure resource named by its host', () => {
  // The host cannot be resolved here: HTTP_PROXY takes the requests to the mock, host name and all.
  it.each(['res.openai.azure.com', 'res.cognitiveservices.azure.com', 'res.services.ai.azure.com'])(
    '%s: the cap goes as max_completion_tokens from the first request, none refused',
    async (host) => {
      const { server } = await fresh({ latencyMs: 5, refuseMaxTokens: true });
      const proxy = await startProxyServer({ routeTo: new URL(server.url).origin });
      try {
        const file = writePrompts(dir, `${host}.txt`, ['a', 'b']);
        const args = [file, '-m', 'gpt-5-mini', '--max-tokens', '50', '--no-cache', '--base-url', `http://${host}/v1`];
        const r = await runCli(args, { env: { HTTP_PROXY: proxy.url } });
        expect(r.code, r.stderr).toBe(0);
        expect(proxy.log.map((entry) => entry.target)).toEqual([`http://${host}/v1/chat/completions`, `http://${host}/v1/chat/completions`]);
        expect(server.requests.map((q) => [q.status, q.body.max_tokens, q.body.max_completion_tokens])).toEqual([
          [200, undefined, 50],
          [200, undefined, 50],
        ]);
      } finally {
        await proxy.close();
      }
    },
  );
});
