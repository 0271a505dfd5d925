/**
 * A reasoning model's thinking, sent beside the answer: `reasoning_content` (DeepSeek, vLLM's
 * reasoning parsers) or `reasoning` (OpenRouter, Ollama). A review found it dropped on every path:
 * a row whose model put its whole answer in its reasoning was a success with `response: ""` and
 * nothing else. It is now the row's `reasoning` (JSONL; CSV keeps its columns), streamed or not, from
 * the cache as it was bought, and without the key. Spawns the BUILT CLI: `npm run build` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRET_KEY, parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { useReplyServer } from '../helpers/reply-server.js';

/** The thinking holds the key once, as an echo server's might: it must not reach a row. */
const THOUGHT = (prompt: string) => `First, ${prompt} means thinking; the key ${SECRET_KEY} is not mine.`;

const server = useReplyServer('llm-batch-reasoning-', (body, res) => {
  const request = JSON.parse(body);
  const prompt: string = request.messages.at(-1).content;
  const field = prompt.includes('openrouter') ? 'reasoning' : 'reasoning_content';
  const usage = { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 };
  if (!request.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        model: 'r1',
        choices: [{ message: { role: 'assistant', content: `ok ${prompt}`, [field]: THOUGHT(prompt) }, finish_reason: 'stop' }],
        usage,
      }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const event = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ model: 'r1', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const thought = THOUGHT(prompt);
  res.write(event({ role: 'assistant', [field]: thought.slice(0, 20) }));
  res.write(event({ [field]: thought.slice(20) }));
  res.write(event({ content: `ok ${prompt}` }));
  res.write(event({}, 'stop'));
  res.end(`data: ${JSON.stringify({ model: 'r1', choices: [], usage })}\n\ndata: [DONE]\n\n`);
});

describe('a reasoning model’s thinking', () => {
  it.each([[[]], [['--no-stream']]])('is the row’s reasoning %j, from the cache too, without the key; CSV keeps its columns and says so', async (extra) => {
    const tag = extra.length ? 'whole' : 'streamed';
    const input = writePrompts(server.dir, `${tag}.txt`, [`deepseek ${tag}`, `openrouter ${tag}`]);
    const cacheDir = path.join(server.dir, `cache-${tag}`);
    const args = [input, '--base-url', server.url, '--cache-dir', cacheDir, '-c', '1', ...extra];
    const first = await runCli([...args, '-o', path.join(server.dir, `${tag}.jsonl`)]);
    expect(first.code, first.stderr).toBe(0);
    const again = await runCli([...args, '-o', path.join(server.dir, `${tag}-again.jsonl`)]);
    expect(again.code, again.stderr).toBe(0);
    for (const [file, cached] of [
      [`${tag}.jsonl`, undefined],
      [`${tag}-again.jsonl`, true],
    ] as const) {
      const text = fs.readFileSync(path.join(server.dir, file), 'utf8');
      expect(text).not.toContain(SECRET_KEY);
      const rows = parseJsonl<{ prompt: string; response: string; reasoning?: string; cached?: boolean }>(text);
      expect(rows.map((r) => [r.response, r.reasoning, r.cached])).toEqual(
        [`deepseek ${tag}`, `openrouter ${tag}`].map((p) => [`ok ${p}`, THOUGHT(p).replace(SECRET_KEY, '[redacted]'), cached]),
      );
    }
    const csv = await runCli([...args, '-o', path.join(server.dir, `${tag}.csv`)]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(fs.readFileSync(path.join(server.dir, `${tag}.csv`), 'utf8').split('\n')[0]).not.toContain('reasoning');
    // Left out, but not without a word: one line at the end, before the summary.
    expect(csv.stderr).toContain(
      "llm-batch: 2 answers came with the model's reasoning, which a CSV has no column for: write JSONL (-o out.jsonl) to keep it\nllm-batch: 2 ok",
    );
  });
});
