/**
 * Input shapes that went wrong (session 23, input findings 3, 5 and 9): a value nested thousands
 * deep crashed the run after its row was paid for; a JSON array on stdin went out line by line;
 * JSON Lines named `.json` got a bare parse error. The built CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rowsOf, stderrLines, useServers } from '../helpers/mock-server-hooks.js';

const { dir, fresh, writeFile } = useServers('llm-batch-nested-');

/** `{"k":{"k":…1…}}`, `depth` objects deep: JSON.parse takes it, a recursive walk does not. */
const deepObject = (depth: number) => `${'{"k":'.repeat(depth)}1${'}'.repeat(depth)}`;
const deepArray = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

describe('a value nested too deep is an input error row, checked before anything is sent', () => {
  const lines = ['{"prompt":"a","x":1}', '{"prompt":"b","x":2}', `{"prompt":"c","x":${deepObject(6000)}}`, '{"prompt":"d","x":4}'];

  it('--keep-fields all: row 3 is an input error naming file, line and field; the others run; --resume sends nothing again', async () => {
    const { run, server } = await fresh();
    const input = writeFile('deepmid.jsonl', `${lines.join('\n')}\n`);
    const out = path.join(dir, 'deepmid.out.jsonl');
    const summary = path.join(dir, 'deepmid.sum.json');
    const r = await run([input, '-t', '{{prompt}}', '--keep-fields', 'all', '-o', out, '-c', '1', '--summary-json', summary]);
    // Was: exit 1 with "internal error: RangeError: Maximum call stack size exceeded", row c paid and lost.
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/internal error|RangeError/);
    expect(stderrLines(r)).toContainEqual(expect.stringMatching(/deepmid\.jsonl:3: "x" is nested too deep \(over 500 levels\)$/));
    expect(server.requests.map((q) => q.prompt).sort()).toEqual(['a', 'b', 'd']);
    const rows = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(4);
    expect(rows.find((row) => row.line === 3)?.error).toEqual({ type: 'input', message: `${input}:3: "x" is nested too deep (over 500 levels)` });
    expect(fs.existsSync(summary)).toBe(true);
    server.reset();
    const again = await run([input, '-t', '{{prompt}}', '--keep-fields', 'all', '-o', out, '--resume']);
    expect(again.stderr).not.toMatch(/internal error/);
    expect(server.requests).toHaveLength(0);
  });

  it('a template inserting the deep field, and a deep array: error rows, no crash', async () => {
    const { run, server } = await fresh();
    const input = writeFile('deeptpl.jsonl', `${lines.join('\n')}\n{"prompt":"e","x":${deepArray(200_000)}}\n`);
    const r = await run([input, '-t', '{{prompt}} {{x}}', '-q']);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/internal error|RangeError/);
    expect(stderrLines(r).filter((l) => l.includes('nested too deep'))).toEqual([
      expect.stringMatching(/deeptpl\.jsonl:3: "x" is nested too deep/),
      expect.stringMatching(/deeptpl\.jsonl:5: "x" is nested too deep/),
    ]);
    expect(server.requests.map((q) => q.prompt).sort()).toEqual(['a 1', 'b 2', 'd 4']);
  });

  it('a .json array with a deep element: that element is an error row, the rest run', async () => {
    const { run, server } = await fresh();
    const input = writeFile('deep.json', `[{"prompt":"a","x":${deepArray(8000)}},"b",${deepArray(8000)}]`);
    const r = await run([input, '-q']);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/internal error|RangeError/);
    expect(stderrLines(r).filter((l) => l.includes('nested too deep'))).toEqual([
      expect.stringMatching(/deep\.json:1: element 1: "x" is nested too deep/),
      expect.stringMatching(/deep\.json:1: element 3: nested too deep/),
    ]);
    expect(server.requests.map((q) => q.prompt)).toEqual(['b']);
    expect(rowsOf(r).map((row) => row.error?.type ?? 'ok')).toEqual(expect.arrayContaining(['input', 'input', 'ok']));
  });

  it('a Batch API line whose body holds it: an input error naming body.field, never sent (was a connection error retried)', async () => {
    const { run, server } = await fresh();
    const body = `{"model":"m","messages":[{"role":"user","content":"a"}],"metadata":${deepObject(6000)}}`;
    const batch = `{"custom_id":"r1","method":"POST","url":"/v1/chat/completions","body":${body}}`;
    const input = writeFile(
      'deepb.jsonl',
      `${batch}\n{"custom_id":"r2","method":"POST","url":"/v1/chat/completions","body":{"messages":[{"role":"user","content":"b"}]}}\n`,
    );
    const r = await run([input, '-q']);
    expect(r.code).toBe(1);
    const rows = rowsOf(r);
    expect(rows.find((row) => row.line === 1)?.error).toEqual({ type: 'input', message: `${input}:1: "body.metadata" is nested too deep (over 500 levels)` });
    expect(server.requests.map((q) => q.prompt)).toEqual(['b']);
  });
});

describe('a JSON array on stdin or in a file without an extension is read as a .json array (was sent line by line)', () => {
  it.each([
    ['pretty, as jq prints it', '[\n  {"prompt": "a"},\n  {"prompt": "b"}\n]\n'],
    ['on one line, as jq -c prints it', '[{"prompt":"a"},"b"]\n'],
    ['one element a line', '[{"prompt":"a"},\n{"prompt":"b"}]\n'],
  ])('%s, on stdin', async (_label, text) => {
    const { run, server } = await fresh();
    const r = await run(['-q'], { stdin: text });
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt).sort()).toEqual(['a', 'b']);
  });

  it('in a file without an extension', async () => {
    const { run, server } = await fresh();
    const input = writeFile('array-no-extension', JSON.stringify([{ prompt: 'a' }, 'b'], null, 2));
    const r = await run([input, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt).sort()).toEqual(['a', 'b']);
  });

  it('text that only starts with a bracket is still text', async () => {
    const { run, server } = await fresh();
    const r = await run(['-q'], { stdin: '[INST] one\n[1] two\n[[link]] three\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.map((q) => q.prompt).sort()).toEqual(['[1] two', '[INST] one', '[[link]] three']);
  });
});

describe('JSON Lines named .json', () => {
  it('gets the hint to name it .jsonl, with the place, exit 2, nothing sent', async () => {
    const { run, server } = await fresh();
    const input = writeFile('jl.json', '{"prompt":"a"}\n{"prompt":"b"}\n');
    const r = await run([input]);
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([
      expect.stringMatching(/jl\.json:2: not valid JSON at column 1 \(.*\); this looks like JSON Lines: name it \.jsonl or pass --input-format jsonl$/),
    ]);
    expect(server.requests).toHaveLength(0);
  });
});
