/**
 * A structured (--json-schema / --json) or --keep-fields run written as JSONL, then turned into CSV
 * by `--compact … -o x.csv` or `merge … -o x.csv`, gets the columns, in the order and with the
 * cells, that the same run writing CSV directly has: the schema's field order is stored in the
 * run's metadata; older files without it get the columns from their rows. Merging outputs whose
 * columns differ gives their union. The built CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { runCli } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const { dir, fresh, writeFile } = useServers('llm-batch-csv-conversion-');

const headerOf = (file: string) => (parse(fs.readFileSync(file), { to_line: 1 }) as string[][])[0]!;
/** The records by id, without the cells that differ between two runs of the same prompts. */
const cellsOf = (file: string): Record<string, Record<string, string>> => {
  const records = parse(fs.readFileSync(file), { columns: true }) as Array<Record<string, string>>;
  return Object.fromEntries(
    records.map(({ latency_ms: _l, started_at: _s, finished_at: _f, ...rest }) => [rest['id'], rest]).sort(([a], [b]) => String(a).localeCompare(String(b))),
  );
};

// Properties out of alphabetical order, one named like a result column (its column is output_prompt).
const SCHEMA = JSON.stringify({
  type: 'object',
  properties: { zeta: { type: 'string' }, alpha: { type: 'number' }, prompt: { type: 'string' } },
  required: ['zeta', 'alpha', 'prompt'],
  additionalProperties: false,
});
const INPUT = 'id,title,tag,body\n1,Paris,a,x\n2,Rome,b,y\n3,Oslo,c,z\n4,Lima,d,w\n';
const RUN = ['--prompt-field', 'title', '--json-schema', SCHEMA, '--keep-fields', 'tag,title', '-q'];

describe('JSONL results converted to CSV have the direct CSV run’s columns', () => {
  it('--compact x.jsonl -o x.csv and merge of shards -o x.csv: same header, same cells as -o x.csv', async () => {
    const { run, server } = await fresh();
    const input = writeFile('cities.csv', INPUT);
    const direct = path.join(dir, 'direct.csv');
    expect((await run([input, ...RUN, '-o', direct])).code).toBe(0);
    const header = headerOf(direct);
    expect(header.slice(0, 5)).toEqual(['id', 'zeta', 'alpha', 'output_prompt', 'line']);
    expect(header.slice(-2)).toEqual(['tag', 'title']);

    const jsonl = path.join(dir, 'run.jsonl');
    expect((await run([input, ...RUN, '-o', jsonl])).code).toBe(0);
    const compacted = path.join(dir, 'compacted.csv');
    const c = await runInWorker(['--compact', jsonl, '-o', compacted, '--base-url', server.url]);
    expect(c.code, c.stderr).toBe(0);
    expect(headerOf(compacted)).toEqual(header);
    expect(cellsOf(compacted)).toEqual(cellsOf(direct));

    const shards = [1, 2].map((i) => path.join(dir, `shard${i}.jsonl`));
    for (const [i, shard] of shards.entries()) expect((await run([input, ...RUN, '--shard', `${i + 1}/2`, '-o', shard])).code).toBe(0);
    const merged = path.join(dir, 'merged.csv');
    const m = await runInWorker(['merge', ...shards, '-o', merged]);
    expect(m.code, m.stderr).toBe(0);
    expect(headerOf(merged)).toEqual(header);
    expect(cellsOf(merged)).toEqual(cellsOf(direct));
  });

  it('tool_calls and logprobs columns: asked for by --param, or by the input rows of answers that have them', async () => {
    // A server each: the mock numbers its tool call ids per server.
    const [first, second] = [await fresh(), await fresh()];
    const tool = { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { prompt: { type: 'string' } } } } };
    const input = writeFile(
      'parts.jsonl',
      [
        { id: 'a', prompt: 'time in Rome?', tools: [tool], tag: 'x' },
        { id: 'b', prompt: 'plain', tag: 'y' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const args = [input, '--param', 'logprobs=true', '--keep-fields', 'tag', '-q'];
    const direct = path.join(dir, 'parts-direct.csv');
    expect((await first.run([...args, '-o', direct])).code).toBe(0);
    expect(headerOf(direct).slice(-3)).toEqual(['tool_calls', 'logprobs', 'tag']);
    const jsonl = path.join(dir, 'parts.jsonl.out.jsonl');
    expect((await second.run([...args, '-o', jsonl])).code).toBe(0);
    const compacted = path.join(dir, 'parts-compacted.csv');
    expect((await runCli(['--compact', jsonl, '-o', compacted])).code).toBe(0);
    expect(headerOf(compacted)).toEqual(headerOf(direct));
    expect(cellsOf(compacted)).toEqual(cellsOf(direct));
  });

  it('--json: the one `output` column; to stdout as well', async () => {
    const { run, server } = await fresh();
    const input = writeFile('json.csv', INPUT);
    const direct = path.join(dir, 'json-direct.csv');
    expect((await run([input, '--prompt-field', 'title', '--json', '-q', '-o', direct])).code).toBe(0);
    const jsonl = path.join(dir, 'json.jsonl');
    expect((await run([input, '--prompt-field', 'title', '--json', '-q', '-o', jsonl])).code).toBe(0);
    const c = await runInWorker(['--compact', jsonl, '--format', 'csv', '--base-url', server.url]);
    expect(c.code, c.stderr).toBe(0);
    const out = writeFile('json-stdout.csv', c.stdout);
    expect(headerOf(out)).toEqual(headerOf(direct));
    expect(headerOf(out)[1]).toBe('output');
    expect(cellsOf(out)).toEqual(cellsOf(direct));
  });

  it('an older JSONL output (no stored columns, or no metadata at all): the columns come from its rows', async () => {
    const { run, server } = await fresh();
    const input = writeFile('old.csv', INPUT);
    const jsonl = path.join(dir, 'old.jsonl');
    expect((await run([input, ...RUN, '-o', jsonl])).code).toBe(0);
    const meta = JSON.parse(fs.readFileSync(`${jsonl}.meta.json`, 'utf8'));
    expect(meta.outputColumns).toBeDefined();
    delete meta.outputColumns;
    fs.writeFileSync(`${jsonl}.meta.json`, JSON.stringify(meta));
    // Still the same run for a resume: the stored columns are not part of its identity.
    const resumed = await run([input, ...RUN, '-o', jsonl, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    fs.writeFileSync(`${jsonl}.meta.json`, JSON.stringify(meta));
    const fromMeta = path.join(dir, 'old-meta.csv');
    expect((await runInWorker(['--compact', jsonl, '-o', fromMeta, '--base-url', server.url])).code).toBe(0);
    fs.rmSync(`${jsonl}.meta.json`);
    const fromRows = path.join(dir, 'old-rows.csv');
    expect((await runInWorker(['--compact', jsonl, '-o', fromRows, '--base-url', server.url])).code).toBe(0);
    for (const file of [fromMeta, fromRows]) {
      const header = headerOf(file);
      // The answers' keys in the order the rows hold them (the mock answers in schema order).
      expect(header.slice(0, 5)).toEqual(['id', 'zeta', 'alpha', 'output_prompt', 'line']);
      expect(header.slice(-2)).toEqual(['tag', 'title']);
      expect(Object.values(cellsOf(file)).every((rec) => rec['zeta'] !== '' && rec['tag'] !== '')).toBe(true);
    }
  });

  it('merge --force of outputs with other kept fields and schemas: the union of their columns, no cell dropped', async () => {
    const { run } = await fresh();
    const input = writeFile('mixed.csv', INPUT);
    const a = path.join(dir, 'mixed-a.jsonl');
    const b = path.join(dir, 'mixed-b.csv');
    expect((await run([input, ...RUN, '--shard', '1/2', '-o', a])).code).toBe(0);
    const other = JSON.stringify({ type: 'object', properties: { beta: { type: 'string' } }, required: ['beta'], additionalProperties: false });
    const r = await run([input, '--prompt-field', 'title', '--json-schema', other, '--keep-fields', 'body', '--shard', '2/2', '-q', '-o', b]);
    expect(r.code, r.stderr).toBe(0);
    const merged = path.join(dir, 'mixed.csv.out.csv');
    const refused = await runInWorker(['merge', a, b, '-o', merged]);
    expect(refused.code).toBe(2);
    expect(fs.existsSync(merged)).toBe(false);
    const m = await runInWorker(['merge', a, b, '-o', merged, '--force']);
    expect(m.code, m.stderr).toBe(0);
    const header = headerOf(merged);
    expect(header.slice(0, 6)).toEqual(['id', 'zeta', 'alpha', 'output_prompt', 'beta', 'line']);
    expect(header.slice(-3)).toEqual(['tag', 'title', 'body']);
    const records = Object.values(cellsOf(merged));
    expect(records).toHaveLength(4);
    for (const rec of records) {
      const fromA = rec['tag'] !== '';
      expect(rec['zeta'] !== '', rec['id']).toBe(fromA);
      expect(rec['beta'] !== '', rec['id']).toBe(!fromA);
      expect(rec['body'] !== '', rec['id']).toBe(!fromA);
    }
  });
});

describe('a reasoning model’s thinking converted to CSV', () => {
  /** JSONL rows as a live run writes them: two answers with `reasoning`, one without, and a superseded one. */
  const row = (id: string, reasoning?: string) =>
    JSON.stringify({
      id,
      line: Number(id),
      prompt: `p${id}`,
      response: `ok ${id}`,
      error: null,
      attempts: 1,
      latency_ms: 5,
      model: 'r1',
      finish_reason: 'stop',
      usage: { prompt_tokens: 5, completion_tokens: 9 },
      ...(reasoning ? { reasoning } : {}),
    });
  const LEFT_OUT = "llm-batch: 2 answers came with the model's reasoning, which a CSV has no column for: write JSONL (-o out.jsonl) to keep it\n";

  it('--compact and merge into CSV leave it out and say so once at their end (not with -q); into JSONL they keep it, unsaid', async () => {
    const jsonl = writeFile('thought.jsonl', [row('1', 'first try'), row('1', 'thinking 1'), row('2', 'thinking 2'), row('3')].join('\n') + '\n');
    const compacted = path.join(dir, 'thought-compacted.csv');
    const c = await runInWorker(['--compact', jsonl, '-o', compacted]);
    expect(c.code, c.stderr).toBe(0);
    expect(headerOf(compacted)).not.toContain('reasoning');
    // The rows written: the superseded row's thinking is not among them.
    expect(c.stderr).toContain(`${LEFT_OUT}llm-batch: compacted 3 rows (1 superseded row dropped)\n`);
    const merged = path.join(dir, 'thought-merged.csv');
    const m = await runInWorker(['merge', jsonl, '-o', merged]);
    expect(m.code, m.stderr).toBe(0);
    expect(headerOf(merged)).not.toContain('reasoning');
    expect(m.stderr).toContain(`${LEFT_OUT}llm-batch: merged 3 rows from 1 file into ${merged}`);

    // -q silences it, as every notice; JSONL holds it, so there is nothing to say.
    const quiet = [
      await runInWorker(['--compact', jsonl, '-o', compacted, '--overwrite', '-q']),
      await runInWorker(['merge', jsonl, '-o', merged, '--overwrite', '-q']),
    ];
    const kept = path.join(dir, 'thought-kept.jsonl');
    const toJsonl = [await runInWorker(['--compact', jsonl, '-o', kept]), await runInWorker(['merge', jsonl, '-o', kept, '--overwrite'])];
    for (const r of [...quiet, ...toJsonl]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('reasoning');
    }
    expect(fs.readFileSync(kept, 'utf8')).toContain('"reasoning":"thinking 2"');
  });
});
