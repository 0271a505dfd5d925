/**
 * Review s9 F15: a given id equal to another row's line-based id no longer gives two rows one id
 * (a compaction, or a resume that compacts, then dropped one answer). The second of the two, in
 * either order, is an `input` error row under an id of its own. The built CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { parseJsonl } from '../helpers/run-cli.js';
import type { ResultRow } from '../../src/types.js';

const { dir, fresh, writeFile } = useServers('llm-batch-id-clash-');

describe('given ids against line-based ids (F15)', () => {
  it('the write-up repro: the row that gives an earlier row line-based id is an input error; --compact keeps both rows', async () => {
    const { run, server } = await fresh();
    const first = await run([writeFile('one.jsonl', '{"prompt":"x"}\n'), '--no-cache', '-q']);
    const generated = rowsOf(first)[0]!.id;
    expect(generated).toMatch(/^1-[0-9a-f]{8}$/);

    const input = writeFile('col.jsonl', `{"prompt":"x"}\n{"id":"${generated}","prompt":"y"}\n`);
    const out = path.join(dir, 'col.out.jsonl');
    server.reset();
    const r = await run([input, '--no-cache', '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`col.jsonl:2: duplicate id "${generated}" (line 1's line-based id)`);
    expect(server.requests.map((q) => q.prompt)).toEqual(['x']);
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((row) => row.id)).size).toBe(2);
    const answered = rows.find((row) => row.id === generated)!;
    expect(answered).toMatchObject({ prompt: 'x', response: 'ECHO x', error: null });
    expect(rows.find((row) => row.id !== generated)).toMatchObject({ line: 2, prompt: 'y', error: { type: 'input' } });

    const compacted = path.join(dir, 'c.jsonl');
    const c = await runInWorker(['--compact', out, '-o', compacted, '--base-url', server.url]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/compacted 2 rows \(0 superseded/);
    const kept = parseJsonl<ResultRow>(fs.readFileSync(compacted, 'utf8'));
    expect(kept.map((row) => row.id).sort()).toEqual(rows.map((row) => row.id).sort());
    expect(kept.find((row) => row.id === generated)!.response).toBe('ECHO x');

    // A resume finds both rows by their ids: nothing to send, the answer to "x" is still there.
    server.reset();
    const resumed = await run([input, '--no-cache', '-o', out, '--resume']);
    expect(resumed.code).toBe(1);
    expect(server.requests).toHaveLength(0);
  });

  it('the other order: an id-less row whose line-based id an earlier row gave is the input error', async () => {
    const { run, server } = await fresh();
    // The line-based id line 2 gets, found by running it alone at line 2.
    const probe = await run([writeFile('probe.jsonl', '{"id":"p","prompt":"probe"}\n{"prompt":"x"}\n'), '--no-cache', '-q']);
    const lineTwo = rowsOf(probe).find((row) => row.prompt === 'x')!.id;
    const input = writeFile('rev.jsonl', `{"id":"${lineTwo}","prompt":"y"}\n{"prompt":"x"}\n`);
    server.reset();
    const r = await run([input, '--no-cache', '-q']);
    expect(r.code).toBe(1);
    const rows = rowsOf(r);
    expect(new Set(rows.map((row) => row.id)).size).toBe(2);
    expect(rows.find((row) => row.id === lineTwo)).toMatchObject({ line: 1, response: 'ECHO y' });
    expect(rows.find((row) => row.line === 2)).toMatchObject({ error: { type: 'input', message: expect.stringMatching(/is the id given on line 1/) } });
    expect(server.requests.map((q) => q.prompt)).toEqual(['y']);
  });
});
