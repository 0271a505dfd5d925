/**
 * Errors inside a stream as servers other than OpenAI write them. llama.cpp's `error: {…}` line (a
 * field SSE does not know) was dropped: the row said the stream ended early (`connection`, retried,
 * and asked again by every resume) for a prompt too long for the context. TGI's string `error` was
 * shown as its JSON, quotes and all; vLLM's `code: 500` was left off the row. Each is now an `http`
 * row in the server's words, its code as the status (a 4xx not retried), on both transports, and
 * an attempt cut off (maybe billed for what it generated), not a refused request.
 * Spawns the BUILT CLI: `npm run build` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/run-cli.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';

const { dir, fresh } = useServers('llm-batch-stream-errors-');
const TRANSPORTS: string[][][] = [[[]], [['-v']]];

describe.concurrent('errors inside a stream, in other servers’ words', () => {
  it.each(TRANSPORTS)('llama.cpp’s `error:` line %j: not retried, and left by a plain --resume', async (extra) => {
    const { server, run } = await fresh();
    const tag = `llama${extra.join('')}`.replace(/\W+/g, '');
    const long = `long prompt ${tag} [[fault:errorfield*9]]`;
    const file = writePrompts(dir, `${tag}.txt`, [long, `short one ${tag}`]);
    const out = path.join(dir, `${tag}.jsonl`);
    const r = await run([file, '-o', out, ...extra]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/1 ok, 1 failed \(http 1\)/);
    expect(server.countFor(long)).toBe(1);
    // A prompt too long for the context stays too long: --retry-failed's to send again, not every resume's.
    const resumed = await run([file, '-o', out, '--resume', '-q']);
    expect(resumed.code, resumed.stderr).toBe(1);
    expect(server.countFor(long)).toBe(1);
  });

  it.each(TRANSPORTS)('llama.cpp’s, TGI’s and vLLM’s stream errors %j: the server’s words and code in the row', async (extra) => {
    const { run } = await fresh();
    const file = writePrompts(dir, `dialects${extra.join('')}.txt`.replace(/[^\w.]+/g, ''), [
      'llama [[fault:errorfield*9]]',
      'tgi [[fault:texterror*9]]',
      'vllm [[fault:errorevent*9]]',
    ]);
    const r = await run([file, '--retries', '1', ...extra]);
    expect(r.code, r.stderr).toBe(1);
    const rows = rowsOf(r);
    const failure = (prefix: string) => {
      const row = rows.find((row) => row.prompt.startsWith(prefix))!;
      return { ...row.error, attempts: row.attempts };
    };
    // One comparison: a failure shows every dialect that is wrong, not only the first.
    expect({ llama: failure('llama'), tgi: failure('tgi'), vllm: failure('vllm') }).toEqual({
      // Its words name the failure as OpenAI's own code does (a110c1f).
      llama: {
        type: 'http',
        status: 400,
        code: 'context_length_exceeded',
        message: 'error in stream: the request exceeds the available context size, try increasing it',
        attempts: 1,
      },
      tgi: { type: 'http', message: 'error in stream: Request failed during generation: Server error: CUDA out of memory.', attempts: 2 },
      vllm: { type: 'http', status: 500, message: 'error in stream: CUDA error: an illegal memory access was encountered', attempts: 2 },
    });
    // Each broke off a stream that had begun: maybe billed, never priced (as a reset stream), its
    // status the event's, not a refused request's.
    expect(r.stderr).toMatch(/\b5 attempts cut off\b/);
  });

  it.each([[[]], [['--no-stream']]])(
    'OpenRouter’s error in a 200 %j: typed by its code (a 429 a rate limit, not the endpoint’s fault); its 402 stops',
    async (extra) => {
      const { server, run } = await fresh();
      const where = extra.length === 0 ? 'stream' : 'body';
      const tag = `router${where}`;
      const limited = ['a', 'b', 'c', 'd'].map((p) => `${p} ${tag} [[fault:routererror*9]]`);
      const file = writePrompts(dir, `${tag}.txt`, [...limited, `fine ${tag}`]);
      // Before, three such bodies in a row stopped the run (exit 4) saying to check --base-url.
      const r = await run([file, '--retries', '0', '-c', '1', ...extra]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).not.toMatch(/--base-url/);
      const rows = rowsOf(r);
      expect(rows.map((row) => row.error ?? null)).toEqual([
        ...limited.map(() => ({ type: 'rate_limit', status: 429, message: `error in ${where}: Rate limit exceeded: upstream` })),
        null,
      ]);
      expect(server.countFor(`fine ${tag}`)).toBe(1);
      // Under --max-cost: a whole body that is an error generated nothing (charged 0); an event after
      // the stream began may have (cut off, its worst case charged).
      const summary = path.join(dir, `${tag}-budget.json`);
      const capped = await run([file, '--retries', '0', '-c', '1', '-m', 'gpt-4o-mini', '--max-cost', '1', '--summary-json', summary, ...extra]);
      expect(capped.code, capped.stderr).toBe(1);
      const s = JSON.parse(fs.readFileSync(summary, 'utf8'));
      expect(s.attemptsCutOff).toBe(where === 'body' ? 0 : 4);
      // The one answer's few tokens, not four worst cases of 4,096 answer tokens (~$0.0025 each).
      if (where === 'body') expect(s.budget.spentUsd).toBeLessThan(0.0001);

      const broke = writePrompts(dir, `${tag}-402.txt`, [`x ${tag} [[fault:router402*9]]`, `y ${tag}`]);
      const stopped = await run([broke, '-c', '1', ...extra]);
      expect(stopped.code, stopped.stderr).toBe(3);
      expect(stopped.stderr).toContain(`HTTP 402 (in the ${where}): Insufficient credits`);
      expect(server.countFor(`y ${tag}`)).toBe(0);
    },
  );

  it.each([[[]], [['--no-stream']], [['-v']]])('answers a gateway compressed unasked %j: gzip read; zstd stops as an unusable endpoint', async (extra) => {
    const { server, run } = await fresh();
    const tag = `coded${extra.join('')}`.replace(/\W+/g, '');
    const zipped = writePrompts(dir, `${tag}.txt`, [`one ${tag} [[fault:gzip*9]]`, `two ${tag} [[fault:gzip*9]]`]);
    const r = await run([zipped, '-f', 'jsonl', ...extra]);
    expect(r.code, r.stderr).toBe(0);
    expect(rowsOf(r).map((row) => [row.response, row.error ?? null])).toEqual([
      [`ECHO one ${tag} [[fault:gzip*9]]`, null],
      [`ECHO two ${tag} [[fault:gzip*9]]`, null],
    ]);
    const unread = writePrompts(
      dir,
      `${tag}-zstd.txt`,
      ['a', 'b', 'c', 'd', 'e'].map((p) => `${p} ${tag} [[fault:zstd*9]]`),
    );
    const stopped = await run([unread, '-f', 'jsonl', '-c', '1', ...extra]);
    expect(stopped.code, stopped.stderr).toBe(4);
    expect(stopped.stderr).toContain('sends its answers compressed in a way llm-batch cannot read');
    expect(stopped.stderr).toContain('content-encoding "zstd"');
    expect(server.requests.filter((q) => q.prompt.includes(`${tag} [[fault:zstd`))).toHaveLength(3);
  });
});
