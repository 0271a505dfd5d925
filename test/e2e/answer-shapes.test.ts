/**
 * OpenAI-compatible servers that send an answer's fields in other shapes than OpenAI: `content` as an
 * array of parts (`[{"type": "text", "text": "…"}]`) or a number, `model` and `finish_reason` as
 * numbers. The row holds text (the parts joined), so `--resume` reads it back; before, such a row
 * held the array (`--no-stream`) or `[object Object]` (streamed), and a resume refused the output
 * ("response" must be a string or null). Through the BUILT CLI against a small server of the test's
 * own (the mock server answers as OpenAI does).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { useReplyServer } from '../helpers/reply-server.js';

/** What the answer's content is, by the prompt. */
const CONTENT: Record<string, unknown> = {
  parts: [
    { type: 'text', text: 'Paris is ' },
    { type: 'text', text: 'the capital.' },
  ],
  number: 42,
};

const server = useReplyServer('llm-batch-answer-shapes-', (body, res) => {
  const request = JSON.parse(body) as { stream?: boolean; messages: Array<{ content: string }> };
  const content = CONTENT[request.messages.at(-1)!.content];
  if (request.stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = { id: 'c', model: 7, choices: [{ index: 0, delta: { content }, finish_reason: 1 }] };
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    res.end('data: [DONE]\n\n');
  } else {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'c', model: 7, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 1 }] }));
  }
});
beforeAll(() => {
  writePrompts(server.dir, 'in.txt', ['parts', 'number']);
});

const run = (args: readonly string[]) => runCli([...args, '--base-url', server.url, '--no-cache'], { cwd: server.dir });

describe('answer fields in other shapes', () => {
  it.each([['--stream'], ['--no-stream']])('%s: the parts joined as text, numbers as text, and the output resumes', async (mode) => {
    const out = `out${mode}.jsonl`;
    const first = await run(['in.txt', mode, '-o', out, '--limit', '1']);
    expect(first.code, first.stderr).toBe(0);
    const resumed = await run(['in.txt', mode, '-o', out, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const rows = parseJsonl(fs.readFileSync(path.join(server.dir, out), 'utf8'));
    expect(rows.map((row) => [row.prompt, row.response, row.finish_reason])).toEqual([
      ['parts', 'Paris is the capital.', '1'],
      ['number', '42', '1'],
    ]);
    expect(rows.every((row) => row.model === '7' || row.model === 'gpt-4o-mini')).toBe(true);
  });
});
