import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliConfig } from '../../src/cli/config.js';
import { setUpStructured } from '../../src/cli/structured-output.js';
import { prepareStructured } from '../../src/cli/structured-setup.js';
import { UsageError } from '../../src/errors.js';
import { memoryIo } from '../helpers/memory-io.js';
import { tempDir } from '../helpers/run-cli.js';

const { dir, cleanup } = tempDir('llm-batch-setup-');
afterAll(cleanup);
const spec = (source: string, inPrompt = false) => ({ kind: 'schema' as const, source, inPrompt, retries: 2 });
const SCHEMA = { type: 'object', properties: { a: { type: 'string' }, id: { type: 'integer' } }, required: ['a', 'id'], additionalProperties: false };

describe('prepareStructured', () => {
  it('a file (with a BOM): strict response_format named after the file, columns, no note when already strict', () => {
    const file = path.join(dir, 'my schema.v2.json');
    fs.writeFileSync(file, `\uFEFF${JSON.stringify(SCHEMA)}`);
    const s = prepareStructured(spec(file));
    expect(s.structured.responseFormat).toEqual({ type: 'json_schema', json_schema: { name: 'my_schema_v2', schema: SCHEMA, strict: true } });
    expect(s.structured.instructions).toBeUndefined();
    expect(s.csvColumns.map((c) => c.column)).toEqual(['a', 'output_id']);
    expect(s.note).toBeUndefined();
    expect(s.structured.check('{"a":"x","id":1}')).toEqual({ ok: true, value: { a: 'x', id: 1 } });
  });

  it('inline JSON; the note is one line', () => {
    const s = prepareStructured(spec(' {"type":"object","properties":{"x":{"type":"number"}}}'));
    expect(s.note).toBe(
      '--json-schema made strict for structured outputs: optional /properties/x made required and nullable (null in a row where the answer has none); additionalProperties: false added at /',
    );
    expect((s.structured.responseFormat as any).json_schema.name).toBe('output');
    expect(s.structured.check('{"x":null}').ok).toBe(true);
  });

  it('--schema-in-prompt: no strict rules, the schema as written in a system message and in the check', () => {
    const loose = { type: 'object', properties: { s: { type: 'string', minLength: 3 } } };
    expect(() => prepareStructured(spec(JSON.stringify(loose)))).toThrow(/minLength/);
    const s = prepareStructured(spec(JSON.stringify(loose), true));
    expect(s.structured.responseFormat).toBeUndefined();
    expect(s.structured.instructions).toContain(JSON.stringify(loose));
    expect(s.structured.check('{"s":"ab"}')).toMatchObject({ ok: false, problems: ['/s: must NOT have fewer than 3 characters'] });
    expect(s.structured.check('{}').ok).toBe(true);
  });

  it('--json: json_object, the JSON hint, one output column', () => {
    const s = prepareStructured({ kind: 'json', inPrompt: false, retries: 1 });
    expect(s.structured).toMatchObject({ responseFormat: { type: 'json_object' }, jsonHint: true, retries: 1 });
    expect(s.csvColumns).toEqual([{ property: '', column: 'output', whole: true }]);
    // JSON mode answers objects: any other JSON value is invalid, to be re-asked.
    for (const text of ['[1]', 'null', '42', '"str"']) expect(s.structured.check(text)).toEqual({ ok: false, kind: 'object', problems: ['/: must be object'] });
    expect(s.structured.check('```json\n{"a":1}\n```')).toEqual({ ok: true, value: { a: 1 } });
  });

  it('--json --schema-in-prompt: no response_format, JSON asked for in a system message, still checked as an object; the same fingerprint', () => {
    const s = prepareStructured({ kind: 'json', inPrompt: true, retries: 2 });
    expect(s.structured.responseFormat).toBeUndefined();
    expect(s.structured.jsonHint).toBeFalsy();
    expect(s.structured.instructions).toMatch(/^Answer with a single valid JSON object\. Output only the JSON/);
    expect(s.structured.check('[1]')).toEqual({ ok: false, kind: 'object', problems: ['/: must be object'] });
    expect(s.structured.check('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    // A run stopped by a server refusing response_format resumes with the flag added.
    expect(s.fingerprint).toBe(prepareStructured({ kind: 'json', inPrompt: false, retries: 2 }).fingerprint);
    expect(s.csvColumns).toEqual([{ property: '', column: 'output', whole: true }]);
  });

  it('a file holding an array, and broken inline JSON, are usage errors', () => {
    const file = path.join(dir, 'array.json');
    fs.writeFileSync(file, '[1, 2]');
    expect(() => prepareStructured(spec(file))).toThrow(new UsageError(`--json-schema ${file}: a schema must be a JSON object`));
    expect(() => prepareStructured(spec('{"type": "object",}'))).toThrow(/^--json-schema \(inline\): not valid JSON at line 1 column 19/);
  });

  it('a number beyond a double (read as Infinity, sent as null) is a usage error naming its pointer', () => {
    const file = path.join(dir, 'huge.json');
    fs.writeFileSync(file, '{"type":"object","properties":{"a/b":{"type":"integer","minimum":1e400},"c":{"enum":[1,-1e999]}}}');
    for (const inPrompt of [false, true]) {
      expect(() => prepareStructured(spec(file, inPrompt))).toThrow(
        new UsageError(
          `--json-schema ${file}: /properties/a~1b/minimum: a number beyond what a double holds (it reads as Infinity, and would be sent as null); use a smaller one`,
        ),
      );
    }
    // Large but finite numbers are numbers.
    expect(() =>
      prepareStructured(spec('{"type":"object","properties":{"a":{"type":"number","maximum":1e308}},"required":["a"],"additionalProperties":false}')),
    ).not.toThrow();
  });

  it('what Ajv cannot compile names the file and the pointer, strict or --schema-in-prompt', () => {
    const ref = path.join(dir, 'r.json');
    fs.writeFileSync(ref, JSON.stringify({ type: 'object', properties: { a: { $ref: '#/$defs/Missing' } } }));
    for (const inPrompt of [false, true]) {
      expect(() => prepareStructured(spec(ref, inPrompt))).toThrow(new UsageError(`--json-schema ${ref}: /properties/a/$ref: can't resolve #/$defs/Missing`));
    }
    const format = '{"type":"object","properties":{"a":{"type":"string","format":"nosuch"}},"required":["a"],"additionalProperties":false}';
    expect(() => prepareStructured(spec(format, true))).toThrow(/^--json-schema \(inline\): \/properties\/a\/format: unknown format "nosuch" \(known: /);
  });
});

describe('setUpStructured', () => {
  it("shows the strictness note as every message is: a property name's escape sequence and bidi control as \uFFFD (EXC s22 F5)", async () => {
    const io = memoryIo();
    const schema = { type: 'object', properties: { '\u001b[31mRED\u202e': { type: 'string' }, ok: { type: 'string' } }, required: ['ok'] };
    await setUpStructured({ structured: spec(JSON.stringify(schema)), quiet: false } as CliConfig, io);
    expect(io.err()).toMatch(/^llm-batch: --json-schema made strict for structured outputs: optional \/properties\/\uFFFD\[31mRED\uFFFD made required/);
    expect(io.err()).not.toMatch(/[\u001b\u202e]/);
  });
});
