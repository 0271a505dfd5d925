/**
 * A request that needs more tokens than a minute allows (--tpm, or the server's announced
 * x-ratelimit-limit-tokens) can never be sent within the cap: it becomes an `input` error row at
 * once, never sent, instead of holding itself and every prompt behind it for minutes (with --tpm 1
 * the wait was computed in hours). Spawns the BUILT CLI: `npm run build` first.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../helpers/mock-server.js';
import { parseJsonl, runCli, tempDir, writePrompts } from '../helpers/run-cli.js';
import type { ResultRow } from '../../src/types.js';

const tmp = tempDir('llm-batch-tpm-large-');
const servers: MockServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  tmp.cleanup();
});

const BIG = 'word '.repeat(3000).trim();

describe('a request larger than a minute of tokens', () => {
  it('is an input error row under --tpm, never sent, and the prompts behind it run', async () => {
    const server = await startMockServer();
    servers.push(server);
    const file = writePrompts(tmp.dir, 'tpm.txt', ['short one', BIG, 'short two']);
    const r = await runCli([file, '--base-url', server.url, '-q', '-c', '1', '--order', 'input', '--tpm', '600', '--max-tokens', '5', '--no-cache'], {
      timeoutMs: 30_000,
    });
    expect(r.code).toBe(1);
    const rows = parseJsonl<ResultRow>(r.stdout);
    expect(rows.map((row) => row.error?.type ?? 'ok')).toEqual(['ok', 'input', 'ok']);
    const tooLarge =
      /^\S*tpm\.txt:2: never sent: its prompt and max_tokens 5 need about \d+ tokens, more than --tpm 600 allows: raise --tpm or shorten the prompt$/m;
    expect(rows[1]!.error!.message).toMatch(tooLarge);
    // Nothing was sent: README's row table has attempts 0 and null times for it.
    expect(rows[1]).toMatchObject({ attempts: 0, started_at: null, finished_at: null });
    // The stderr line names the record too (it was the same line for every such prompt).
    expect(r.stderr.replace(/^llm-batch: /gm, '')).toMatch(tooLarge);
    expect(server.requests.map((q) => q.body.messages.at(-1).content)).toEqual(['short one', 'short two']);
  });

  it('does not count an image at its --max-cost worst case: vision rows under --tpm are sent', async () => {
    // gpt-4o-mini's worst case for one image is 48,169 tokens, more than --tpm 40000: charged that,
    // every image row was refused unsent (and, under a learnt limit, paced a few a minute).
    const server = await startMockServer();
    servers.push(server);
    const image = (i: number) => ({
      id: `img${i}`,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: `describe photo ${i}` },
            { type: 'image_url', image_url: { url: `https://example.com/p${i}.jpg` } },
          ],
        },
      ],
    });
    const file = writePrompts(
      tmp.dir,
      'images.jsonl',
      [image(1), image(2)].map((row) => JSON.stringify(row)),
    );
    const r = await runCli([file, '--base-url', server.url, '-q', '-m', 'gpt-4o-mini', '--tpm', '40000', '--max-tokens', '100', '--no-cache'], {
      timeoutMs: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(parseJsonl<ResultRow>(r.stdout).map((row) => row.error)).toEqual([null, null]);
    expect(server.requests).toHaveLength(2);
  });

  it('is an input error row once the server announced a smaller tokens-a-minute limit', async () => {
    // 100 tokens a second: the headers announce 6,000 a minute; the big prompt is ~3,000 words.
    const server = await startMockServer({ rateLimit: { tokens: 100, windowMs: 1000 } });
    servers.push(server);
    const file = writePrompts(tmp.dir, 'server.txt', ['short one', `${BIG} ${BIG} ${BIG}`, 'short two']);
    const r = await runCli([file, '--base-url', server.url, '-q', '-c', '1', '--order', 'input', '--max-tokens', '5', '--no-cache'], { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    const rows = parseJsonl<ResultRow>(r.stdout);
    expect(rows.map((row) => row.error?.type ?? 'ok')).toEqual(['ok', 'input', 'ok']);
    expect(rows[1]!.error!.message).toMatch(/more than the server's limit of 6000 tokens a minute allows/);
    expect(server.requests.filter((q) => q.status === 200).map((q) => q.body.messages.at(-1).content)).toEqual(['short one', 'short two']);
  });

  it('sent first, before any limit was known: its 429 is its row at once, and nobody waits its retry-after', async () => {
    // 5,000 tokens a minute: the mock refuses the big prompt with retry-after-ms of a whole minute.
    const server = await startMockServer({ rateLimit: { tokens: 5000, windowMs: 60_000 } });
    servers.push(server);
    const file = writePrompts(tmp.dir, 'first.txt', [`${BIG} ${BIG}`, 'short one', 'short two']);
    const r = await runCli([file, '--base-url', server.url, '-q', '-c', '1', '--order', 'input', '--max-tokens', '10', '--no-cache'], { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    const rows = parseJsonl<ResultRow>(r.stdout);
    expect(rows.map((row) => row.error?.type ?? 'ok')).toEqual(['input', 'ok', 'ok']);
    expect(rows[0]).toMatchObject({ attempts: 1 });
    expect(rows[0]!.error!.message).toMatch(/first\.txt:1: not sent again: .* more than the server's limit of 5000 tokens a minute/);
    const [refused, ...rest] = server.requests;
    expect(refused!.status).toBe(429);
    expect(rest.map((q) => q.status)).toEqual([200, 200]);
    // Sent as soon as the refusal came, not after its minute.
    expect(rest[0]!.t - refused!.t).toBeLessThan(10_000);
  });

  it('without x-ratelimit headers: the limit its 429 states makes it its row at once, and one as large is never sent', async () => {
    // A gateway that strips the headers: only OpenAI's body says "Request too large … (TPM): Limit
    // 5000, Requested …". Before, it was retried 4 times a minute apart and typed rate_limit, so
    // every --resume sent it again, and the limit paced nothing.
    const server = await startMockServer({ rateLimit: { tokens: 5000, windowMs: 60_000, headers: false } });
    servers.push(server);
    const file = writePrompts(tmp.dir, 'blind.txt', [`${BIG} ${BIG}`, 'short one', `${BIG} ${BIG} again`]);
    const r = await runCli([file, '--base-url', server.url, '-q', '-c', '1', '--order', 'input', '--max-tokens', '10', '--no-cache'], { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    const rows = parseJsonl<ResultRow>(r.stdout);
    expect(rows.map((row) => row.error?.type ?? 'ok')).toEqual(['input', 'ok', 'input']);
    expect(rows[0]).toMatchObject({ attempts: 1 });
    expect(rows[0]!.error!.message).toMatch(/blind\.txt:1: not sent again: .* more than the server's limit of 5000 tokens a minute allows/);
    // The stated limit is learnt, as an announced one is: the next prompt that large is not sent.
    expect(rows[2]).toMatchObject({ attempts: 0 });
    expect(rows[2]!.error!.message).toMatch(/blind\.txt:3: never sent: .* more than the server's limit of 5000 tokens a minute allows/);
    expect(server.requests.map((q) => q.status)).toEqual([429, 200]);
  });
});
