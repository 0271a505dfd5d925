/**
 * `--system` with `{{field}}` placeholders: filled from each row as `--template` is (CSV columns,
 * JSONL keys), never sent literally. Spawns the BUILT CLI: `npm run build` first.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rowsOf, stderrLines, useServers } from '../helpers/mock-server-hooks.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const { fresh, writeFile } = useServers('llm-batch-system-fields-');

describe.concurrent('--system with {{field}}', () => {
  it("fills each CSV row's system message from its columns", async () => {
    const { run, server } = await fresh();
    const input = writeFile('s.csv', 'id,title,body\n1,Hello,World\n2,Cats,Purr\n');
    const r = await run([input, '-t', '{{body}}', '-s', 'You are an expert on {{ title }}.']);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.map((q) => q.body.messages).sort((a, b) => a[1].content.localeCompare(b[1].content))).toEqual([
      [
        { role: 'system', content: 'You are an expert on Cats.' },
        { role: 'user', content: 'Purr' },
      ],
      [
        { role: 'system', content: 'You are an expert on Hello.' },
        { role: 'user', content: 'World' },
      ],
    ]);
  });

  it('a CSV header without a column --system uses is refused before anything is sent, as for --template', async () => {
    const { server } = await fresh();
    const input = writeFile('nocol.csv', 'id,prompt\n1,Hello\n');
    const r = await runInWorker([input, '-s', 'You are an expert on {{topic}}.', '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--system uses {{topic}} but the CSV header has no such column (found: "id", "prompt")');
    expect(server.requests).toHaveLength(0);
  });

  it('a CSV column --system fills in is data, never sent as a request parameter', async () => {
    const { run, server } = await fresh();
    const input = writeFile('temp.csv', 'prompt,temperature\nhow warm?,hot\n');
    const r = await run([input, '-s', 'The weather is {{temperature}}.']);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests[0]!.body.temperature).toBeUndefined();
    expect(server.requests[0]!.body.messages[0]).toEqual({ role: 'system', content: 'The weather is hot.' });
  });

  it('a JSONL field --system fills in is data, never sent as a request parameter, as a CSV column is', async () => {
    const { run, server } = await fresh();
    const input = writeFile('temp.jsonl', '{"prompt":"What to wear?","temperature":1.9,"model":"Model T"}\n');
    const r = await run([input, '-s', 'It is {{temperature}} degrees; you sell the {{model}}.']);
    expect(r.code, r.stderr).toBe(0);
    const body = server.requests[0]!.body;
    expect(body.temperature).toBeUndefined();
    expect(body.model).not.toBe('Model T');
    expect(body.messages[0]).toEqual({ role: 'system', content: 'It is 1.9 degrees; you sell the Model T.' });
  });

  it('a JSONL field --system uses that no row has is refused before anything is sent, as for --template', async () => {
    const { server } = await fresh();
    const input = writeFile('typo.jsonl', '{"prompt":"a","topic":"x"}\n{"prompt":"b","topic":"y"}\n');
    const out = `${input}.out.jsonl`;
    const r = await runInWorker([input, '-s', 'Expert on {{topc}}', '--base-url', server.url, '-o', out]);
    expect(stderrLines(r)).toEqual([`llm-batch: ${input}:1: --system uses {{topc}} but none of the 2 rows has such a field (fields: "prompt", "topic")`]);
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(0);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a JSONL row missing the field, or with it null, is an input error row; the others are sent', async () => {
    const { run, server } = await fresh();
    const input = writeFile(
      's.jsonl',
      [
        { id: 'a', prompt: 'p1', topic: 'cats' },
        { id: 'b', prompt: 'p2', topic: null },
        { id: 'c', prompt: 'p3' },
        {
          id: 'd',
          messages: [
            { role: 'system', content: 'own' },
            { role: 'user', content: 'p4' },
          ],
        },
      ]
        .map((row) => JSON.stringify(row))
        .join('\n'),
    );
    const r = await run([input, '-s', 'Topic: {{topic}}']);
    expect(r.code).toBe(1);
    const rows = new Map(rowsOf(r).map((row) => [row.id, row]));
    expect(rows.get('a')?.error).toBeNull();
    expect(rows.get('b')?.error).toEqual({ type: 'input', message: `${input}:2: --system field "topic" is null` });
    expect(rows.get('c')?.error).toEqual({ type: 'input', message: `${input}:3: --system field "topic" is missing` });
    // A row with its own system message does not get --system: nothing of it to fill.
    expect(rows.get('d')?.error).toBeNull();
    expect(server.requests.map((q) => q.body.messages[0]).sort((x, y) => x.content.localeCompare(y.content))).toEqual([
      { role: 'system', content: 'own' },
      { role: 'system', content: 'Topic: cats' },
    ]);
  });

  it('on text input (a line has no fields) is refused before anything is sent, exit 2', async () => {
    const { run, server } = await fresh();
    const r = await run([writeFile('s.txt', 'hello\n'), '-s', 'expert on {{title}}']);
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([
      'llm-batch: --system uses {{title}}, but text input has no fields to fill it: use CSV or JSONL input, or a --system without {{…}}',
    ]);
    expect(server.requests).toHaveLength(0);
  });

  it('a "{{" that opens no placeholder is refused as in --template, exit 2', async () => {
    const { server } = await fresh();
    const r = await runInWorker([writeFile('b.csv', 'title\nx\n'), '-t', '{{title}}', '-s', 'expert on {{title}', '--base-url', server.url]);
    expect(r.code).toBe(2);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/^llm-batch: --system has a "\{\{" at column 11 that opens no \{\{field\}\} placeholder/)]);
    expect(server.requests).toHaveLength(0);
  });
});
