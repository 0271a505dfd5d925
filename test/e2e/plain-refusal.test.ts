/**
 * A refusal (OpenAI's `refusal` field, content empty) outside --json-schema/--json, as a
 * `response_format` passed with --param gets it: a failed row keeping the refusal's text, exit 1,
 * live (streamed or not) and through the Batch API, as a structured run's refusal is. Spawns the
 * BUILT CLI against the mock behind a proxy that turns answers to prompts saying REFUSE into refusals.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { startRewritingProxy, type RewritingProxy } from '../helpers/rewriting-proxy.js';
import { parseJsonl, runCli } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-plain-refusal-');
let proxy: RewritingProxy;
beforeAll(async () => {
  proxy = await startRewritingProxy(ctx.server.url, (body, _path, request) => {
    // A live answer to a refused prompt: its content (whole, or each streamed delta) becomes `refusal`.
    if (request.includes('REFUSE')) return body.replaceAll('"content":', '"refusal":');
    // A batch output file: the line of the refused prompt (id B).
    if (!body.includes('"custom_id"')) return body;
    return body
      .split('\n')
      .map((line) => (line.includes('"custom_id":"B"') ? line.replaceAll('"content":', '"refusal":') : line))
      .join('\n');
  });
});
afterAll(() => proxy.close());

type Row = { id: string; line: number; response: string | null; error: { type: string; message: string } | null; usage: unknown };

describe('a refusal without --json-schema', () => {
  it.each([
    ['live, streamed', []],
    ['live, --no-stream', ['--no-stream']],
    ['--batch-api', ['--batch-api', '--poll', '0.05']],
  ])('%s: is a failed row that keeps the refusal, exit 1', async (_how, extra) => {
    ctx.server.options.batches = { stepMs: 30 };
    const input = path.join(ctx.dir, 'rf.csv');
    fs.writeFileSync(input, 'id,text\nA,fine\nB,please REFUSE this\n');
    const out = path.join(ctx.dir, 'rf.jsonl');
    const summary = path.join(ctx.dir, 's.json');
    const r = await runCli([
      input,
      '--template',
      '{{text}}',
      '--base-url',
      proxy.url,
      '-o',
      out,
      '--no-cache',
      '--param',
      'response_format={"type":"json_object"}',
      '--summary-json',
      summary,
      ...extra,
    ]);
    expect(r.code, r.stderr).toBe(1);
    const rows = new Map(parseJsonl<Row>(fs.readFileSync(out, 'utf8')).map((row) => [row.id, row]));
    expect(rows.get('A')!.error).toBeNull();
    const b = rows.get('B')!;
    expect(b.error).toMatchObject({ type: 'invalid_output', message: expect.stringMatching(/^the model refused to answer: .+/) });
    expect(b.response).not.toBe('');
    expect(b.error!.message).toBe(`the model refused to answer: ${b.response}`);
    // Paid for: its usage stays in the row.
    expect(b.usage).not.toBeNull();
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ ok: 1, failed: 1, failedByType: { invalid_output: 1 } });
  });

  it('is not stored in the response cache: the next run asks again', async () => {
    const input = path.join(ctx.dir, 'rf.csv');
    fs.writeFileSync(input, 'id,text\nB,please REFUSE this\n');
    const args = [input, '--template', '{{text}}', '--base-url', proxy.url, '--cache-dir', path.join(ctx.dir, 'cache'), '-o'];
    expect((await runCli([...args, path.join(ctx.dir, 'a.jsonl')])).code).toBe(1);
    const again = await runCli([...args, path.join(ctx.dir, 'b.jsonl')]);
    expect(again.code, again.stderr).toBe(1);
    expect(ctx.server.requests).toHaveLength(2);
  });
});
