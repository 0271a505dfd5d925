/**
 * A server that silently ignores response_format (free-text answers) stops the run once the first
 * rows' answers are all plain text, as a 400 refusing it does: one line suggesting
 * --schema-in-prompt and the command that finishes the rest. Conservative: a run that mostly works
 * goes on. Spawns the BUILT CLI against the in-repo mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonl, runCli } from '../helpers/run-cli.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';
import type { ResultRow } from '../../src/types.js';

const { dir, fresh, writeFile } = useServers('llm-batch-ignored-format-');

const SCHEMA = JSON.stringify({
  type: 'object',
  properties: { label: { type: 'string' } },
  required: ['label'],
  additionalProperties: false,
});
const PROSE = 'Sure! The label for this one is clearly "a", because it reads well.';

describe.concurrent('a server that ignores response_format', () => {
  it('stops after the first 3 rows come back as plain text, with --schema-in-prompt and the command that finishes the rest', async () => {
    const { run, server } = await fresh();
    // Free text whenever response_format is sent; with --schema-in-prompt the mock's valid objects.
    server.options.schema = { answer: () => PROSE };
    const input = writeFile('in.txt', 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n');
    const out = path.join(dir, 'ignored.jsonl');
    // A file, not inline JSON: the printed command is run split at its spaces.
    const r = await run([input, '--json-schema', writeFile('schema.json', SCHEMA), '-c', '3', '-o', out]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(
      `llm-batch: the server ignored response_format: the first 3 rows were answered in plain text, not JSON (${JSON.stringify(`${PROSE.slice(0, 60)}…`)}); it may not support structured outputs for this model. With --schema-in-prompt the schema goes in a system message instead, and answers are still validated: the command below adds it. Stopped before sending more.`,
    );
    expect(lines.at(-1)).toMatch(/^llm-batch: to finish the rest, run: llm-batch .* --schema-in-prompt --resume$/);
    // Not 1 + 2 re-asks for each of the 10 rows: the requests in flight at the stop (at most 3 more) are cut short.
    expect(server.requests.length).toBeLessThanOrEqual(6);
    // Each paid answer is kept as an `aborted` row, which a resume asks again.
    const stopped = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    expect(stopped.length).toBeGreaterThanOrEqual(3);
    for (const row of stopped) expect([row.error?.type, row.response]).toEqual(['aborted', PROSE]);

    server.options.schema = {};
    const command = lines.at(-1)!.replace(/^llm-batch: to finish the rest, run: /, '');
    const rest = await runCli(command.split(' ').slice(1));
    expect(rest.code, rest.stderr).toBe(0);
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    expect(rows.filter((row) => row.error === null)).toHaveLength(10);
  });

  it('a run whose first row is answered in plain text but later rows validate goes on', async () => {
    const { run, server } = await fresh();
    server.options.schema = { answer: ({ prompt }) => (prompt === 'a' || prompt === 'b' ? PROSE : undefined) };
    const r = await run([writeFile('some.txt', 'a\nb\nc\nd\ne\n'), '--json-schema', SCHEMA, '-c', '1']);
    expect(r.code).toBe(1);
    const rows = rowsOf(r);
    expect(rows.map((row) => [row.prompt, row.error?.type ?? null])).toEqual([
      ['a', 'invalid_output'],
      ['b', 'invalid_output'],
      ['c', null],
      ['d', null],
      ['e', null],
    ]);
  });

  it('answers that are JSON, if not the schema’s, never stop the run: they are re-asked as before', async () => {
    const { run, server } = await fresh();
    server.options.schema = { fault: () => 'violate' };
    const r = await run([writeFile('json.txt', 'a\nb\nc\nd\n'), '--json-schema', SCHEMA, '-c', '4']);
    expect(r.code).toBe(1);
    expect(rowsOf(r).map((row) => row.error?.type)).toEqual(['invalid_output', 'invalid_output', 'invalid_output', 'invalid_output']);
    expect(server.requests).toHaveLength(12);
  });
});
