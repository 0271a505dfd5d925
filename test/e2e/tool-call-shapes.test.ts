/**
 * Review s9 F14: tool calls from OpenAI-compatible servers that do not quite follow OpenAI's shape —
 * `function.arguments` sent as a JSON object, streamed pieces without `index` — reach the row as
 * the calls the model made: `arguments` the JSON text, one call per call. Streamed and whole, over
 * the lean path, the SDK's (--trace) and the Batch API. The built CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';
import { parseJsonl } from '../helpers/run-cli.js';
import type { ResultRow } from '../../src/types.js';

const { dir, fresh, writeFile } = useServers('llm-batch-tool-shapes-');

const tool = (name: string) => ({ type: 'function', function: { name, parameters: { type: 'object', properties: { prompt: { type: 'string' } } } } });
let inputs = 0;
const toolInput = () =>
  writeFile(
    `tools-${++inputs}.jsonl`,
    `${[
      { id: 't1', prompt: 'weather in Paris?', tools: [tool('get_weather'), tool('get_time')] },
      { id: 't2', prompt: 'time in Rome?', tools: [tool('get_time')] },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n')}\n`,
  );

/** The mock's calls for `prompt`: one per tool, `{"prompt": …}` as the arguments' JSON text. */
function expectCalls(row: ResultRow | undefined, names: string[], prompt: string): void {
  expect(row, prompt).toBeDefined();
  expect(row!.error).toBeNull();
  expect(row!.finish_reason).toBe('tool_calls');
  expect(row!.tool_calls).toEqual(
    names.map((name) => ({ id: expect.stringMatching(/^call_mock_\d+_\d$/), type: 'function', function: { name, arguments: JSON.stringify({ prompt }) } })),
  );
}

function expectBoth(rows: ResultRow[]): void {
  const byId = new Map(rows.map((r) => [r.id, r]));
  expectCalls(byId.get('t1'), ['get_weather', 'get_time'], 'weather in Paris?');
  expectCalls(byId.get('t2'), ['get_time'], 'time in Rome?');
}

const trace = () => path.join(dir, `trace-${++inputs}.log`);

describe('tool calls from non-standard servers (F14)', () => {
  it.each([
    ['object-arguments', 'streamed', []],
    ['object-arguments', 'whole', ['--no-stream']],
    ['object-arguments', 'streamed through the SDK (--trace)', ['--trace']],
    ['object-arguments', 'whole through the SDK (--trace)', ['--no-stream', '--trace']],
    ['no-index', 'streamed', []],
    ['no-index', 'streamed through the SDK (--trace)', ['--trace']],
  ] as const)('%s, %s: each call whole, arguments as JSON text', async (shape, _how, extra) => {
    const { run } = await fresh({ toolCallShape: shape });
    const args = extra.flatMap((a) => (a === '--trace' ? [a, trace()] : [a]));
    const r = await run([toolInput(), '--no-cache', '-q', ...args]);
    expect(r.code, r.stderr).toBe(0);
    expectBoth(rowsOf(r));
  });

  it('object-arguments through --batch-api: the collected rows carry the calls as JSON text', async () => {
    const { run } = await fresh({ toolCallShape: 'object-arguments', batches: { stepMs: 30 } });
    const out = path.join(dir, 'batch-out.jsonl');
    const r = await run([toolInput(), '--no-cache', '-q', '-m', 'gpt-4o-mini', '--batch-api', '--poll', '0.05', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    expect(rows.every((row) => row.batch_id !== undefined)).toBe(true);
    expectBoth(rows);
  });
});
