/**
 * Rows and flags that would send nothing worth an answer, or be misreported: a CSV row cut short, an
 * empty --system, a conversation with nothing in it. The built CLI against the mock server.
 */
import { describe, expect, it } from 'vitest';
import { rowsOf, stderrLines, useServers } from '../helpers/mock-server-hooks.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const { fresh, writeFile } = useServers('llm-batch-input-row-shapes-');

describe('a CSV row with fewer cells than the header', () => {
  it('says so, as a row with more cells does', async () => {
    const { run, server } = await fresh();
    const input = writeFile('rag.csv', 'id,prompt\n1,a,extra\n2\n3,fine\n');
    const r = await run([input, '--order', 'input', '-q']);
    expect(r.code).toBe(1);
    expect(stderrLines(r).filter((l) => l.includes('rag.csv:'))).toEqual([
      expect.stringMatching(/rag\.csv:2: row has 3 cells but the header has 2 columns \(quote cells that contain commas\)$/),
      expect.stringMatching(
        /rag\.csv:3: row has 1 cell but the header has 2 columns \(quote a cell that holds a line break, and double the quotes inside it\)$/,
      ),
    ]);
    expect(server.requests.map((q) => q.prompt)).toEqual(['fine']);
  });

  it('cut by a line break in a quoted cell: the error row names the short line under a line-based id, not its stray text', async () => {
    const { run } = await fresh();
    const input = writeFile('qq2.csv', 'id,prompt\n1,"say "hi" to\nme"\n2,b\n');
    const r = await run([input, '--order', 'input', '-q']);
    expect(r.code).toBe(1);
    const failed = rowsOf(r).filter((row) => row.error !== null);
    expect(failed.map((row) => [row.id, row.error?.type, row.error?.message])).toEqual([
      [expect.stringMatching(/^3-[0-9a-f]{8}$/), 'input', expect.stringMatching(/qq2\.csv:3: row has 1 cell but the header has 2 columns/)],
    ]);
  });
});

describe('an empty or blank --system (an unset variable in cron)', () => {
  it.each([[['-s', '']], [['--system', '   ']], [['--stop', '']]])('%j is refused, exit 2, nothing sent', async (flags) => {
    const { server } = await fresh();
    const input = writeFile('a.txt', 'hello\n');
    const r = await runInWorker([input, ...flags, '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^llm-batch: --(system|stop) is (empty|blank), so every request would send an empty/)]);
    expect(server.requests).toHaveLength(0);
  });

  it('an empty --template is refused the same way', async () => {
    const { run, server } = await fresh();
    const r = await run([writeFile('t.txt', 'hello\n'), '-t', '']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--template has no \{\{field\}\} placeholder/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('a messages row with nothing in it', () => {
  it('is an "input" error row naming file and line, as an empty prompt is; nothing is sent for it', async () => {
    const { run, server } = await fresh();
    const input = writeFile(
      'em.jsonl',
      '{"id":"3","messages":[{"role":"user","content":""}]}\n{"id":"6","prompt":""}\n{"id":"7","messages":[{"role":"user","content":"hi"}]}\n',
    );
    const r = await run([input, '--order', 'input', '-q']);
    expect(r.code).toBe(1);
    expect(rowsOf(r).map((row) => [row.id, row.error?.type ?? null, row.error?.message ?? null])).toEqual([
      ['3', 'input', expect.stringMatching(/em\.jsonl:1: every message in "messages" is empty$/)],
      ['6', 'input', expect.stringMatching(/em\.jsonl:2: empty "prompt"$/)],
      ['7', null, null],
    ]);
    expect(server.requests.map((q) => q.prompt)).toEqual(['hi']);
  });
});
