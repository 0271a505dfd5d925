/**
 * An answer nested thousands of levels deep (a prompt injection in the data can ask for one) is an
 * `invalid_output` row, re-asked like any invalid answer, and never stored in the response cache:
 * it overflowed the stack of a later walk, crashed the run with rows in flight lost, and, cached,
 * crashed every resume. Spawns the BUILT CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { parseJsonl } from '../helpers/run-cli.js';
import type { ResultRow } from '../../src/types.js';

const { dir, fresh, writeFile } = useServers('llm-batch-deep-answer-');

/** `{"a": [[[…]]]}`, `levels` arrays deep. */
const deepArrays = (levels: number) => `{"a":${'['.repeat(levels)}${']'.repeat(levels)}}`;
/** A tree answer of a recursive schema, `nodes` deep (two levels a node: the object and its list). */
const deepTree = (nodes: number) => `${'{"children":['.repeat(nodes)}${']}'.repeat(nodes)}`;

const TREE = JSON.stringify({
  type: 'object',
  $defs: {
    node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/node' } } }, required: ['children'], additionalProperties: false },
  },
  properties: { children: { type: 'array', items: { $ref: '#/$defs/node' } } },
  required: ['children'],
  additionalProperties: false,
});

describe.concurrent('an answer nested too deep', () => {
  it.each([
    ['--json', ['--json'], deepArrays(5000)],
    ['a recursive --json-schema', ['--json-schema', TREE], deepTree(2500)],
  ])('%s: an invalid_output row, re-asked, not cached; the other rows whole', async (_, flags, deep) => {
    const { run, server } = await fresh({ schema: { answer: ({ prompt }) => (prompt === 'deep' ? deep : prompt === 'ok' ? '{"children":[]}' : undefined) } });
    const input = writeFile(`in-${flags[0]}.txt`, 'ok\ndeep\nok again\n');
    const out = path.join(dir, `out-${flags[0]}.jsonl`);
    const cacheDir = path.join(dir, `cache-${flags[0]}`);
    const args = [input, ...flags, '--schema-retries', '1', '-c', '1', '-o', out, '--cache-dir', cacheDir];
    const r = await run(args);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/internal error|RangeError|\n\s+at /);
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    expect(rows.map((row) => row.prompt).sort()).toEqual(['deep', 'ok', 'ok again']);
    const failed = rows.find((row) => row.prompt === 'deep')!;
    expect(failed.error).toMatchObject({
      type: 'invalid_output',
      message: 'answer nests too deeply: arrays and objects nested over 500 levels deep (after 1 re-ask)',
    });
    expect(failed.attempts).toBe(2);
    expect(rows.filter((row) => row.error === null)).toHaveLength(2);

    // Nothing of it cached: the retry asks again rather than crashing on a stored answer.
    const asked = server.requests.length;
    const again = await run([...args, '--resume', '--retry-failed']);
    expect(again.code, again.stderr).toBe(1);
    expect(again.stderr).not.toMatch(/internal error|RangeError/);
    expect(server.requests.length - asked).toBe(2);
  });
});
