/**
 * A prompt past the model's context, as Ollama refuses it through its OpenAI-compatible API: not
 * streamed, a 500 whose error has no code; streamed, an error event with no status. Both were asked
 * four times (a retryable 5xx, a retryable event) and again by every plain --resume, each attempt
 * making a local model read the whole prompt to refuse it again. Now the row's code says
 * `context_length_exceeded`, it is asked once, and --retry-failed is what sends it again.
 * Spawns the BUILT CLI: `npm run build` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonl, writePrompts } from '../helpers/run-cli.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';

const { dir, fresh } = useServers('llm-batch-context-overflow-');

describe.concurrent('a prompt longer than the model takes (Ollama)', () => {
  it.each([
    ['streamed', [], { message: 'error in stream: the input length exceeds the context length' }],
    ['not streamed', ['--no-stream'], { status: 500, message: 'HTTP 500: the input length exceeds the context length' }],
    ['streamed, through the SDK (-v)', ['-v'], { message: 'error in stream: the input length exceeds the context length' }],
  ] as const)('%s: one attempt, code context_length_exceeded; left by --resume, sent by --retry-failed', async (_, extra, said) => {
    const { server, run } = await fresh();
    const tag = extra.join('').replace(/\W+/g, '') || 'streamed';
    const long = `a long prompt ${tag} [[fault:ollamacontext*9]]`;
    const file = writePrompts(dir, `${tag}.txt`, [long, `a short one ${tag}`]);
    const out = path.join(dir, `${tag}.jsonl`);
    const r = await run([file, '-o', out, ...extra]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/1 ok, 1 failed \(http 1\)/);
    expect(server.countFor(long)).toBe(1);
    const failed = parseJsonl(fs.readFileSync(out, 'utf8')).find((row) => row.prompt === long)!;
    expect({ error: failed.error, attempts: failed.attempts }).toEqual({ error: { type: 'http', code: 'context_length_exceeded', ...said }, attempts: 1 });

    const quiet = (extra as readonly string[]).includes('-v') ? [] : ['-q'];
    const resumed = await run([file, '-o', out, '--resume', ...quiet, ...extra]);
    expect(resumed.code, resumed.stderr).toBe(1);
    expect(server.countFor(long)).toBe(1);
    const retried = await run([file, '-o', out, '--resume', '--retry-failed', ...quiet, ...extra]);
    expect(retried.code, retried.stderr).toBe(1);
    expect(server.countFor(long)).toBe(2);
  });

  it('a 500 or an error event in other words is still retried', async () => {
    const { server, run } = await fresh();
    const flaky = 'flaky [[fault:500*1]]';
    const overloaded = 'overloaded [[fault:errorstream*1]]';
    const file = writePrompts(dir, 'transient.txt', [flaky, overloaded]);
    const r = await run([file, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const rows = rowsOf(r).sort((a, b) => a.line - b.line);
    expect(rows.map((row) => [row.prompt, row.error, row.attempts])).toEqual([
      [flaky, null, 2],
      [overloaded, null, 2],
    ]);
    expect([server.countFor(flaky), server.countFor(overloaded)]).toEqual([2, 2]);
  });

  it.each([
    ['lean', []],
    ['SDK (-v)', ['-v']],
  ])('%s: OpenRouter\'s "Provider returned error" 400 says the provider\'s cause from metadata.raw', async (tag, extra) => {
    const { run } = await fresh();
    const file = writePrompts(dir, `upstream-${tag.replace(/\W+/g, '')}.txt`, ['too long [[fault:upstream400]]']);
    const r = await run([file, '--no-cache', ...extra]);
    expect(r.code, r.stderr).toBe(1);
    const said =
      "HTTP 400: Provider returned error (Mock): This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.";
    expect(rowsOf(r)[0]!.error).toEqual({ type: 'http', status: 400, code: 'context_length_exceeded', message: said });
  });

  it("OpenRouter's 429 carrying one provider's limit (Groq's 600 TPM, try again in 1m30s): retried as a plain 429, the run not paced to it nor stopped", async () => {
    const { run, server } = await fresh();
    const prompts = ['limited [[fault:upstream429*1]]', ...Array.from({ length: 9 }, (_, i) => `fine ${i}`)];
    const file = writePrompts(dir, 'upstream429.txt', prompts);
    const r = await run([file, '--no-cache', '-c', '4', '-q']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(rowsOf(r).map((row) => row.error)).toEqual(Array(10).fill(null));
    expect(server.countFor(prompts[0]!)).toBe(2);
  });
});
