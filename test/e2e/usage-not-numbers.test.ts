/**
 * An OpenAI-compatible server whose `usage` counts are no numbers (`null`, `"many"`): the answer is
 * kept with its usage unknown, as for a server that sends none. Before, `null` went into the row as
 * it came, and the output could not be resumed ("usage.prompt_tokens must be a number"); `"many"`
 * made the run's spend NaN, which `--max-cost` never stopped. Through the BUILT CLI against a small
 * server of the test's own (the mock server's usage is always right).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { useReplyServer } from '../helpers/reply-server.js';

// The last user message names the usage to send: `null` or `many`.
const server = useReplyServer('llm-batch-usage-', (body, res) => {
  const prompt = String((JSON.parse(body) as { messages: Array<{ content: string }> }).messages.at(-1)!.content);
  const count = prompt.startsWith('many') ? '"many"' : 'null';
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(`data: {"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"an answer"},"finish_reason":"stop"}]}\n\n`);
  res.write(`data: {"id":"c","model":"m","choices":[],"usage":{"prompt_tokens":${count},"completion_tokens":${count},"total_tokens":${count}}}\n\n`);
  res.end('data: [DONE]\n\n');
});

const run = (args: readonly string[]) => runCli([...args, '--base-url', server.url, '--no-cache'], { cwd: server.dir });

describe('usage counts that are no numbers', () => {
  it.each([['out.jsonl'], ['out.csv']])('null: the row has no usage, and -o %s resumes', async (out) => {
    writePrompts(server.dir, 'null.txt', ['first', 'second']);
    const first = await run(['null.txt', '-o', out, '--limit', '1']);
    expect(first.code, first.stderr).toBe(0);
    const resumed = await run(['null.txt', '-o', out, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/1 ok, 0 failed, 1 already done/);
    const text = fs.readFileSync(path.join(server.dir, out), 'utf8');
    if (out.endsWith('.jsonl')) expect(parseJsonl(text).map((row) => row.usage)).toEqual([null, null]);
    else expect(text).not.toMatch(/,null(,|$)/m);
  });

  it('"many" under --max-cost: priced at its worst case, so the cap stops the run (exit 3), the summary shows no NaN', async () => {
    writePrompts(
      server.dir,
      'many.txt',
      Array.from({ length: 30 }, (_, i) => `many ${i}`),
    );
    server.requests = 0;
    const r = await run(['many.txt', '-o', 'many.jsonl', '--max-cost', '0.0001', '--max-tokens', '10', '-c', '1']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).not.toMatch(/NaN/);
    expect(server.requests).toBeLessThan(30);
  });
});
