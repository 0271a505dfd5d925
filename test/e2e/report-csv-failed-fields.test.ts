/**
 * A CSV's failed rows in the report's "Structured output": their field cells are empty because
 * there was no answer, as their JSONL rows say with `output: null`. The report of the CSV counts
 * the same fields and values as the report of the JSONL, not an "(empty)" value per failed row
 * (nor, for `--json`, a field `output` that no answer has).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { runCli } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { reportDataOf } from '../helpers/report-data.js';

const { dir, fresh, writeFile } = useServers('llm-batch-report-csv-failed-');

const SCHEMA = JSON.stringify({
  type: 'object',
  properties: { label: { type: 'string' }, score: { type: 'integer' } },
  required: ['label', 'score'],
  additionalProperties: false,
});

describe('a report of a structured CSV with failed rows', () => {
  it.each([
    ['--json-schema', ['--json-schema', SCHEMA]],
    ['--json', ['--json']],
  ])('%s: the same fields and values as the JSONL, failed rows in none', async (name, flags) => {
    const { run } = await fresh({ latencyMs: 0 });
    const input = writeFile(`${name}.txt`, 'one\ntwo\nthree [[fault:500*9]]\nfour [[fault:400*9]]\n');
    const reportOf = async (ext: string) => {
      const out = path.join(dir, `${name}.${ext}`);
      const r = await run([input, ...flags, '--retries', '0', '-o', out, '-q']);
      expect(r.code, r.stderr).toBe(1);
      const html = path.join(dir, `${name}.${ext}.html`);
      // One report (--json's of the JSONL) runs as a child process; the others in the worker.
      const rep = await (ext === 'csv' || name === '--json-schema' ? runInWorker : runCli)(['report', out, '-o', html, '-q']);
      expect(rep.code, rep.stderr).toBe(0);
      return reportDataOf(html);
    };
    const csv = await reportOf('csv');
    const jsonl = await reportOf('jsonl');
    expect(csv.figures.failed).toBe(2);
    expect(csv.outputFields.map((f: { name: string }) => f.name)).toEqual(jsonl.outputFields.map((f: { name: string }) => f.name));
    for (const field of csv.outputFields) expect(field.top.map(([value]: [string]) => value)).not.toContain('');
    expect(csv.outputFields.map((f: { top: unknown }) => f.top)).toEqual(jsonl.outputFields.map((f: { top: unknown }) => f.top));
  });
});
