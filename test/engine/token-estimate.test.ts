/**
 * The --tpm estimate of a request counts what the provider counts against its tokens a minute: the
 * messages, and the tool definitions and response_format schema sent with them (the very parts
 * --max-cost reserves for, `promptParts`).
 */
import { describe, expect, it } from 'vitest';
import type { Complete } from '../../src/provider/completion.js';
import { runBatch } from '../../src/engine/run-batch.js';
import type { ResultRow } from '../../src/types.js';
import { asyncFrom as from, promptRecord as rec } from '../helpers/collect.js';

/** About 8,000 tokens of definitions: more than --tpm 6000 allows in a minute, as the messages alone are not. */
const DESCRIPTION = 'word '.repeat(8000).trim();
const EXTRA = {
  tools: [{ type: 'function', function: { name: 'f', description: DESCRIPTION, parameters: { type: 'object', properties: {} } } }],
  response_format: { type: 'json_schema', json_schema: { name: 'x', description: DESCRIPTION, schema: { type: 'object' } } },
};

describe('the --tpm estimate of a request', () => {
  it.each([
    ["a row's own tools", { row: { tools: EXTRA.tools } }],
    ["a row's own response_format", { row: { response_format: EXTRA.response_format } }],
    ['--param tools', { run: { tools: EXTRA.tools } }],
  ] as const)('counts %s: a request they make larger than a minute of tokens is never sent', async (_, where) => {
    const sent: string[] = [];
    const complete: Complete = async (request) => {
      sent.push(String(request.messages[0]!.content));
      return { text: 'ok', finishReason: 'stop', usage: null, model: null, headers: null };
    };
    const run = 'run' in where ? where.run : undefined;
    const row = 'row' in where ? where.row : undefined;
    // With --param, every request carries the tools: each is too large.
    const records = [rec(0), rec(1, row ? { extraBody: row } : {}), rec(2)];
    const rows: ResultRow[] = [];
    const gen = runBatch(from(records), { complete, model: 'm', tpm: 6000, maxTokens: 5, concurrency: 1, order: 'input', random: () => 0, extraBody: run });
    for await (const r of gen) rows.push(r);
    // Named by file and line, as a bad input record is: the stderr line says which one.
    const tooLarge = /^prompts\.txt:2: never sent: its prompt and max_tokens 5 need about (\d+) tokens, more than --tpm 6000 allows/;
    expect(rows.map((r) => r.error?.type ?? 'ok')).toEqual(run ? ['input', 'input', 'input'] : ['ok', 'input', 'ok']);
    const estimate = Number(tooLarge.exec(rows[1]!.error!.message)?.[1]);
    expect(estimate).toBeGreaterThan(8000);
    expect(estimate).toBeLessThan(8100);
    expect(sent).toEqual(run ? [] : ['p0', 'p2']);
  });
});
