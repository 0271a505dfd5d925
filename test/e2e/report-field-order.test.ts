/**
 * The report's structured fields in the schema's order, JSONL and CSV alike: a CSV's fields are read
 * back under their column names (`output_id` for a field `id`), which the order must use too. The
 * BUILT CLI with --mock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reportDataOf } from '../helpers/report-data.js';
import { runCli, tempDir, writePrompts } from '../helpers/run-cli.js';

const tmp = tempDir('llm-batch-report-field-order-');
afterAll(() => tmp.cleanup());

describe("the report's structured fields", () => {
  it.each(['jsonl', 'csv'])('follow the schema in a %s output, a field named as a result column included', async (format) => {
    const schema = path.join(tmp.dir, 'schema.json');
    const properties = { b_name: { type: 'string' }, id: { type: 'string' }, a_last: { type: 'string' } };
    fs.writeFileSync(schema, JSON.stringify({ type: 'object', properties, required: Object.keys(properties), additionalProperties: false }));
    const input = writePrompts(tmp.dir, 'p.txt', ['one', 'two']);
    const out = path.join(tmp.dir, `o.${format}`);
    const report = path.join(tmp.dir, `o-${format}.html`);
    const r = await runCli([input, '--mock', '--json-schema', schema, '-o', out, '--report', report, '-q']);
    expect(r.code, r.stderr).toBe(0);
    // Named as the CSV names its columns in both: the field `id` is `output_id`.
    expect(reportDataOf(report).outputFields.map((f: { name: string }) => f.name)).toEqual(['b_name', 'output_id', 'a_last']);
    const later = path.join(tmp.dir, `later-${format}.html`);
    expect((await runCli(['report', out, '-o', later, '-q'])).code).toBe(0);
    expect(reportDataOf(later).outputFields.map((f: { name: string }) => f.name)).toEqual(['b_name', 'output_id', 'a_last']);
  });
});
