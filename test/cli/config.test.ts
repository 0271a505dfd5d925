import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, requireKey, resolveCliConfig, type Environment } from '../../src/cli/config.js';
import type { RawFlags } from '../../src/cli/program.js';
import { type RunError, UsageError } from '../../src/errors.js';
import { useTmpDir } from '../helpers/result-rows.js';

/** The flags commander hands over when the user gives none. */
function flags(extra: Partial<RawFlags> = {}): RawFlags {
  return { concurrency: 8, timeout: 600, idleTimeout: 90, retries: 3, stream: true, order: 'completion', ...extra };
}

function env(extra: Partial<Environment> = {}, vars: NodeJS.ProcessEnv = { OPENAI_API_KEY: 'sk-test-000000000' }): Environment {
  return { env: vars, stdinIsTTY: false, stdoutIsTTY: false, ...extra };
}

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as RunError).exitCode).toBe(2);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('resolveCliConfig: input', () => {
  it('a file argument is a file input with the format from its extension', () => {
    const c = resolveCliConfig('prompts.csv', flags(), env(), ['prompts.csv']);
    expect(c.input).toEqual({ kind: 'file', path: 'prompts.csv' });
    expect(c.inputFormat).toBe('csv');
  });

  it.each([
    ['a.txt', 'txt'],
    ['a.text', 'txt'],
    ['a.jsonl', 'jsonl'],
    ['a.ndjson', 'jsonl'],
    ['a.JSONL', 'jsonl'],
    ['a.csv', 'csv'],
    ['a.CSV', 'csv'],
    ['a.json', 'json'],
    ['questions', 'auto'],
    ['/dev/fd/63', 'auto'],
  ])('%s → %s', (file, format) => {
    expect(resolveCliConfig(file, flags(), env(), []).inputFormat).toBe(format);
  });

  it('reads a .tsv input as CSV separated by tabs, unless --csv-delimiter says otherwise', () => {
    expect(resolveCliConfig('q.tsv', flags(), env(), [])).toMatchObject({ inputFormat: 'csv', csvDelimiter: '\t' });
    expect(resolveCliConfig('q.tsv', flags({ csvDelimiter: ';' }), env(), [])).toMatchObject({ inputFormat: 'csv', csvDelimiter: ';' });
    expect(resolveCliConfig('q.csv', flags({ csvDelimiter: 'tab' }), env(), [])).toMatchObject({ inputFormat: 'csv', csvDelimiter: '\t' });
    expect(resolveCliConfig('q.csv', flags({ csvDelimiter: ',' }), env(), []).csvDelimiter).toBeUndefined();
    expect(resolveCliConfig('q.tsv', flags({ inputFormat: 'txt' }), env(), []).csvDelimiter).toBeUndefined();
  });

  it.each(['notes.md', 'sheet.xlsx', 'data.parquet'])('refuses the unknown input extension of %s, naming --input-format', (file) => {
    expect(() => resolveCliConfig(file, flags(), env(), [])).toThrow(/cannot tell the format of .*--input-format txt\|jsonl\|csv\|json/);
    expect(resolveCliConfig(file, flags({ inputFormat: 'txt' }), env(), []).inputFormat).toBe('txt');
  });

  it.each(['out.json', 'out.tsv', 'out.results'])('refuses -o %s instead of quietly writing JSONL; -f overrides', (file) => {
    expect(() => resolveCliConfig('p.txt', flags({ output: file }), env(), [])).toThrow(/writes \.jsonl, \.csv or \.txt/);
    expect(resolveCliConfig('p.txt', flags({ output: file, format: 'jsonl' }), env(), []).output).toEqual({ kind: 'file', path: file, format: 'jsonl' });
  });

  it('--input-format overrides the extension', () => {
    expect(resolveCliConfig('data.txt', flags({ inputFormat: 'jsonl' }), env(), []).inputFormat).toBe('jsonl');
  });

  it('no argument with piped stdin reads stdin, format auto', () => {
    const c = resolveCliConfig(undefined, flags(), env({ stdinIsTTY: false }), []);
    expect(c.input).toEqual({ kind: 'stdin' });
    expect(c.inputFormat).toBe('auto');
  });

  it('"-" reads stdin even from a terminal', () => {
    expect(resolveCliConfig('-', flags(), env({ stdinIsTTY: true }), []).input).toEqual({ kind: 'stdin' });
  });

  it('--input-format applies to stdin too', () => {
    expect(resolveCliConfig('-', flags({ inputFormat: 'csv' }), env(), []).inputFormat).toBe('csv');
  });

  it('no argument and a terminal on stdin is a usage error pointing to --help', () => {
    const e = usageError(() => resolveCliConfig(undefined, flags(), env({ stdinIsTTY: true }), []));
    expect(e.message).toMatch(/no input/);
    expect(e.message).toMatch(/--help/);
  });
});

describe('resolveCliConfig: output', () => {
  it('stdout is a terminal and no -o → terminal (answers for people)', () => {
    expect(resolveCliConfig('p.txt', flags(), env({ stdoutIsTTY: true }), []).output).toEqual({ kind: 'terminal' });
  });

  it('stdout piped and no -o → JSONL on stdout', () => {
    expect(resolveCliConfig('p.txt', flags(), env({ stdoutIsTTY: false }), []).output).toEqual({ kind: 'stdout', format: 'jsonl' });
  });

  it('-f on a terminal writes that format to stdout (the user asked for it)', () => {
    expect(resolveCliConfig('p.txt', flags({ format: 'csv' }), env({ stdoutIsTTY: true }), []).output).toEqual({ kind: 'stdout', format: 'csv' });
  });

  it('-o - means stdout, even on a terminal', () => {
    expect(resolveCliConfig('p.txt', flags({ output: '-' }), env({ stdoutIsTTY: true }), []).output).toEqual({ kind: 'stdout', format: 'jsonl' });
    expect(resolveCliConfig('p.txt', flags({ output: '-', format: 'text' }), env(), []).output).toEqual({ kind: 'stdout', format: 'text' });
  });

  it.each([
    ['out.jsonl', 'jsonl'],
    ['out.ndjson', 'jsonl'],
    ['out.csv', 'csv'],
    ['OUT.CSV', 'csv'],
    ['out.txt', 'text'],
    ['out', 'jsonl'],
    ['/dev/null', 'jsonl'],
  ])('-o %s → a %s file', (file, format) => {
    expect(resolveCliConfig('p.txt', flags({ output: file }), env({ stdoutIsTTY: true }), []).output).toEqual({ kind: 'file', path: file, format });
  });

  it('-f overrides the output extension', () => {
    expect(resolveCliConfig('p.txt', flags({ output: 'out.txt', format: 'jsonl' }), env(), []).output).toEqual({
      kind: 'file',
      path: 'out.txt',
      format: 'jsonl',
    });
  });

  it.each([
    ['prompts.jsonl', 'prompts.jsonl'],
    ['prompts.jsonl', './prompts.jsonl'],
    ['data/prompts.csv', 'data/../data/prompts.csv'],
    ['prompts.jsonl', path.resolve('prompts.jsonl')],
  ])('refuses to write the output over the input (%s vs %s)', (input, output) => {
    const e = usageError(() => resolveCliConfig(input, flags({ output }), env(), []));
    expect(e.message).toMatch(/is the input file/);
  });

  it('another path next to the input is fine', () => {
    expect(resolveCliConfig('prompts.jsonl', flags({ output: 'prompts.out.jsonl' }), env(), []).output.kind).toBe('file');
  });
});

describe('resolveCliConfig: resume and friends', () => {
  it('--retry-failed without --resume is refused', () => {
    expect(usageError(() => resolveCliConfig('p.txt', flags({ output: 'o.jsonl', retryFailed: true }), env(), [])).message).toMatch(
      /--retry-failed goes with --resume/,
    );
  });

  it('-q with -v is refused: one of them was not what was meant', () => {
    expect(usageError(() => resolveCliConfig('p.txt', flags({ output: 'o.jsonl', quiet: true, verbose: true }), env(), [])).message).toBe(
      '-q (--quiet) and -v (--verbose) contradict each other: pick one (--trace FILE keeps the requests apart from a quiet run)',
    );
  });

  it('--force-resume without --resume is refused', () => {
    expect(usageError(() => resolveCliConfig('p.txt', flags({ output: 'o.jsonl', forceResume: true }), env(), [])).message).toMatch(
      /--force-resume goes with --resume/,
    );
  });

  it('--resume with --overwrite is refused', () => {
    expect(usageError(() => resolveCliConfig('p.txt', flags({ output: 'o.jsonl', resume: true, overwrite: true }), env(), [])).message).toMatch(/contradict/);
  });

  it.each([
    ['no -o, piped stdout', flags({ resume: true }), false],
    ['no -o, terminal', flags({ resume: true }), true],
    ['-o -', flags({ resume: true, output: '-' }), false],
  ])('--resume without an output file is refused (%s)', (_name, f, tty) => {
    expect(usageError(() => resolveCliConfig('p.txt', f, env({ stdoutIsTTY: tty }), [])).message).toMatch(/--resume needs an output file: add -o/);
  });

  it('--resume into a text output is refused', () => {
    expect(usageError(() => resolveCliConfig('p.txt', flags({ resume: true, output: 'answers.txt' }), env(), [])).message).toMatch(/not text/);
  });

  it('--resume with -o results.jsonl and --retry-failed is accepted', () => {
    const c = resolveCliConfig('p.txt', flags({ resume: true, retryFailed: true, output: 'results.jsonl' }), env(), []);
    expect(c).toMatchObject({ resume: true, retryFailed: true, forceResume: false, output: { kind: 'file', format: 'jsonl' } });
  });

  it('--compact needs a results file as input', () => {
    expect(usageError(() => resolveCliConfig('prompts.txt', flags({ compact: true, output: 'c.jsonl' }), env(), [])).message).toMatch(
      /--compact reads a results file/,
    );
    expect(resolveCliConfig('results.jsonl', flags({ compact: true, output: 'c.jsonl' }), env(), []).compact).toBe(true);
  });
});

describe('resolveCliConfig: a resumed or compacted file is read in the format it holds', () => {
  const tmp = useTmpDir();
  const JSONL = '{"id":"1","line":1,"prompt":"a","response":"b","error":null}\n';
  const CSV = 'id,line,prompt,response\n1,1,a,b\n';
  const file = (name: string, content: string, recorded?: string) => {
    const out = path.join(tmp(), name);
    fs.writeFileSync(out, content);
    if (recorded) fs.writeFileSync(`${out}.meta.json`, JSON.stringify({ outputFormat: recorded }));
    return out;
  };

  it.each([
    ['-o r.csv -f jsonl, resumed without -f', 'r.csv', JSONL, 'jsonl'],
    ['-o x.jsonl -f csv, resumed without -f', 'x.jsonl', CSV, 'csv'],
    ['-o r.json -f jsonl, resumed without -f (the name alone is refused)', 'r.json', JSONL, 'jsonl'],
  ])('%s', (_name, name, content, format) => {
    expect(resolveCliConfig('p.txt', flags({ resume: true, output: file(name, content) }), env(), []).output).toMatchObject({ format });
  });

  it('a -f that names another format than the file holds is refused, saying what works', () => {
    const out = file('r.csv', JSONL);
    expect(usageError(() => resolveCliConfig('p.txt', flags({ resume: true, output: out, format: 'csv' }), env(), [])).message).toBe(
      `--resume -f csv: ${out} holds JSONL rows, and a resume continues a file in its own format; drop -f csv (or pass -f jsonl)`,
    );
    expect(resolveCliConfig('p.txt', flags({ resume: true, output: out, format: 'jsonl' }), env(), []).output).toMatchObject({ format: 'jsonl' });
  });

  it('--resume into a text output says what works: --overwrite for one that exists, a .jsonl or .csv output', () => {
    const started = file('out.txt', '[1-abc] hello\n\n');
    // Written with -f text: the metadata says so, though the name says JSONL.
    const named = file('out.jsonl', '{"a":1}\n\n', 'text');
    for (const out of [started, named]) {
      expect(usageError(() => resolveCliConfig('p.txt', flags({ resume: true, output: out }), env(), [])).message).toBe(
        `--resume needs a .jsonl or .csv output, not text (${out}): a text output keeps no rows to read back. Run with -o FILE.jsonl or FILE.csv (which --resume can continue), or with --overwrite in place of --resume to start ${out} again`,
      );
    }
    expect(usageError(() => resolveCliConfig('p.txt', flags({ resume: true, output: 'new.txt' }), env(), [])).message).toMatch(/, or with no --resume$/);
  });

  it('--compact takes a results file by what it holds: JSONL named .json; a text output is refused as one', () => {
    expect(resolveCliConfig(file('r.json', JSONL), flags({ compact: true, output: 'c.jsonl' }), env(), []).compact).toBe(true);
    const text = file('out.txt', '[1-abc] hello\n\n', 'text');
    expect(usageError(() => resolveCliConfig(text, flags({ compact: true, output: 'c.jsonl' }), env(), [])).message).toBe(
      `--compact reads a results file (.jsonl or .csv), got ${text}: a text output cannot be read back`,
    );
  });
});

describe('resolveCliConfig: files only a run writes', () => {
  it.each([
    ['--dry-run', 'p.txt', { dryRun: true }],
    ['--compact', 'results.jsonl', { compact: true, output: 'c.jsonl' }],
  ] as const)('%s refuses --summary-json and --report (it writes neither: an earlier file would pass for its own)', (mode, input, extra) => {
    expect(usageError(() => resolveCliConfig(input, flags({ ...extra, summaryJson: 's.json' }), env(), [])).message).toBe(
      `--summary-json goes with a run, not ${mode}, which writes no summary`,
    );
    expect(usageError(() => resolveCliConfig(input, flags({ ...extra, report: 'r.html' }), env(), [])).message).toBe(
      `--report goes with a run, not ${mode} (for a results file: llm-batch report FILE)`,
    );
    expect(() => resolveCliConfig(input, flags(extra), env(), [])).not.toThrow();
  });
});

describe('resolveCliConfig: a base URL with credentials', () => {
  it.each([
    [{ baseUrl: 'http://bob:PWsecret99@127.0.0.1:8080/v1' }, {}, /^--base-url http:\/\/\*\*\*@127\.0\.0\.1:8080\/v1 has credentials in it/],
    [{}, { OPENAI_BASE_URL: 'https://:PWsecret99@api.example.com/v1' }, /^OPENAI_BASE_URL https:\/\/\*\*\*@api\.example\.com\/v1 has credentials/],
    [{ baseUrl: 'https://bob@api.example.com' }, {}, /^--base-url https:\/\/\*\*\*@api\.example\.com has credentials/],
  ])('is refused, the userinfo never shown (%j %j)', (flagValues, vars, message) => {
    const e = usageError(() => resolveCliConfig('p.txt', flags(flagValues), env({}, { OPENAI_API_KEY: 'sk-test-000000000', ...vars }), []));
    expect(e.message).toMatch(message);
    expect(e.message).not.toMatch(/PWsecret99|bob/);
  });

  it.each([
    [{ baseUrl: 'http://127.0.0.1:8080/v1#section' }, {}, '--base-url http://127.0.0.1:8080/v1#*** has a query string or fragment'],
    [{ baseUrl: 'http://127.0.0.1:8080/v1?k=SECRETq#section' }, {}, '--base-url http://127.0.0.1:8080/v1?*** has a query string or fragment'],
    [{ baseUrl: 'http://127.0.0.1:8080/v1#SECRETf?k=1' }, {}, '--base-url http://127.0.0.1:8080/v1#*** has a query string or fragment'],
    [{}, { OPENAI_BASE_URL: 'https://api.example.com/v1#section' }, 'OPENAI_BASE_URL https://api.example.com/v1#*** has a query string or fragment'],
  ])('a query or fragment is refused, shown as the one typed first, its text never (%j %j)', (flagValues, vars, message) => {
    const e = usageError(() => resolveCliConfig('p.txt', flags(flagValues), env({}, { OPENAI_API_KEY: 'sk-test-000000000', ...vars }), []));
    expect(e.message).toContain(message);
    expect(e.message).not.toMatch(/SECRET|section/);
  });

  it('OPENAI_BASE_URL that is no http(s) URL: its fragment shown as one, not as a query', () => {
    const e = usageError(() =>
      resolveCliConfig('p.txt', flags(), env({}, { OPENAI_API_KEY: 'sk-test-000000000', OPENAI_BASE_URL: 'localhost:8000/v1#SECRETf' }), []),
    );
    expect(e.message).toMatch(/^OPENAI_BASE_URL "localhost:8000\/v1#\*\*\*": expected/);
  });

  it.each([['mock'], ['localhost:8000/v1'], ['ftp://host/v1'], ['sk-test-000000000@host/v1']])(
    'OPENAI_BASE_URL %j, no http(s) URL, is a usage error naming it, the key never shown',
    (value) => {
      const e = usageError(() => resolveCliConfig('p.txt', flags(), env({}, { OPENAI_API_KEY: 'sk-test-000000000', OPENAI_BASE_URL: value }), []));
      expect(e.message).toMatch(/^OPENAI_BASE_URL ".*": expected an http:\/\/ or https:\/\/ URL/);
      expect(e.message).not.toContain('sk-test-000000000');
    },
  );

  it('OPENAI_BASE_URL: blank is unset; --base-url wins over it; --mock reads it not', () => {
    expect(resolveCliConfig('p.txt', flags(), env({}, { OPENAI_BASE_URL: ' ' }), []).provider).toEqual({
      kind: 'openai',
      baseURL: undefined,
      apiKey: undefined,
    });
    const bad = env({}, { OPENAI_BASE_URL: 'mock' });
    expect(resolveCliConfig('p.txt', flags({ baseUrl: 'http://flag/v1' }), bad, []).provider).toMatchObject({ baseURL: 'http://flag/v1' });
    expect(resolveCliConfig('p.txt', flags({ mock: true }), bad, []).provider).toEqual({ kind: 'mock' });
  });

  it('a base URL without them is kept as given', () => {
    const c = resolveCliConfig('p.txt', flags({ baseUrl: 'http://127.0.0.1:8080/v1' }), env(), []);
    expect(c.provider).toMatchObject({ kind: 'openai', baseURL: 'http://127.0.0.1:8080/v1' });
  });
});

describe('resolveCliConfig: values', () => {
  it('converts seconds to ms and keeps the defaults', () => {
    const c = resolveCliConfig('p.txt', flags(), env(), ['p.txt']);
    expect(c).toMatchObject({
      concurrency: 8,
      timeoutMs: 600_000,
      idleTimeoutMs: 90_000,
      retries: 3,
      stream: true,
      order: 'completion',
      resume: false,
      retryFailed: false,
      overwrite: false,
      compact: false,
      dryRun: false,
      quiet: false,
      progressEverySec: undefined,
      model: DEFAULT_MODEL,
      argv: ['p.txt'],
    });
  });

  it('--progress alone means every 10 s; a number is kept', () => {
    expect(resolveCliConfig('p.txt', flags({ progress: true }), env(), []).progressEverySec).toBe(10);
    expect(resolveCliConfig('p.txt', flags({ progress: 2.5 }), env(), []).progressEverySec).toBe(2.5);
  });

  it('model: flag, then LLM_BATCH_MODEL, then the default (mock-model under --mock)', () => {
    expect(resolveCliConfig('p.txt', flags({ model: ['m1'] }), env({}, { LLM_BATCH_MODEL: 'm2' }), []).model).toBe('m1');
    const several = resolveCliConfig('p.txt', flags({ model: ['m1', 'm2', 'm1'] }), env(), []);
    expect([several.model, several.models]).toEqual(['m1', ['m1', 'm2']]);
    expect(resolveCliConfig('p.txt', flags(), env({}, { LLM_BATCH_MODEL: ' m2 ' }), []).model).toBe('m2');
    expect(resolveCliConfig('p.txt', flags(), env({}, { LLM_BATCH_MODEL: '  ' }), []).model).toBe(DEFAULT_MODEL);
    expect(resolveCliConfig('p.txt', flags({ mock: true }), env({}, {}), []).model).toBe('mock-model');
  });

  it('LLM_BATCH_MODEL=A,B is two models, as -m A,B is; an empty name is a usage error naming it', () => {
    const several = resolveCliConfig('p.txt', flags(), env({}, { LLM_BATCH_MODEL: 'm1, m2,m1' }), []);
    expect([several.model, several.models]).toEqual(['m1', ['m1', 'm2']]);
    expect(() => resolveCliConfig('p.txt', flags(), env({}, { LLM_BATCH_MODEL: 'm1,,m2' }), [])).toThrow(/^LLM_BATCH_MODEL "m1,,m2": expected model names/);
  });

  it('provider: --base-url over OPENAI_BASE_URL; the key only from the environment, trimmed', () => {
    const c = resolveCliConfig('p.txt', flags({ baseUrl: 'http://flag/v1' }), env({}, { OPENAI_BASE_URL: 'http://env/v1', OPENAI_API_KEY: ' sk-x \n' }), []);
    expect(c.provider).toEqual({ kind: 'openai', baseURL: 'http://flag/v1', apiKey: 'sk-x' });
    const d = resolveCliConfig('p.txt', flags(), env({}, { OPENAI_BASE_URL: 'http://env/v1' }), []);
    expect(d.provider).toEqual({ kind: 'openai', baseURL: 'http://env/v1', apiKey: undefined });
  });

  it('--mock carries no key', () => {
    expect(resolveCliConfig('p.txt', flags({ mock: true }), env(), []).provider).toEqual({ kind: 'mock' });
  });
});

describe('requireKey', () => {
  it('no key and the default OpenAI URL → a usage error naming OPENAI_API_KEY and --mock', () => {
    const c = resolveCliConfig('p.txt', flags(), env({}, {}), []);
    const e = usageError(() => requireKey(c, {}));
    expect(e.message).toMatch(/OPENAI_API_KEY/);
    expect(e.message).toMatch(/--mock/);
  });

  it('a blank key counts as none', () => {
    const c = resolveCliConfig('p.txt', flags(), env({}, { OPENAI_API_KEY: '   ' }), []);
    expect(() => requireKey(c, {})).toThrow(/OPENAI_API_KEY/);
  });

  it('no key but a base URL (a local server) is fine', () => {
    expect(() => requireKey(resolveCliConfig('p.txt', flags({ baseUrl: 'http://localhost:11434/v1' }), env({}, {}), []), {})).not.toThrow();
    expect(() => requireKey(resolveCliConfig('p.txt', flags(), env({}, { OPENAI_BASE_URL: 'http://localhost:8000/v1' }), []), {})).not.toThrow();
  });

  it('--mock needs no key', () => {
    expect(() => requireKey(resolveCliConfig('p.txt', flags({ mock: true }), env({}, {}), []), {})).not.toThrow();
  });

  it('a key is enough', () => {
    expect(() => requireKey(resolveCliConfig('p.txt', flags(), env(), []), {})).not.toThrow();
  });

  it('the key never ends up in argv or anything printable from the config but the provider', () => {
    const key = 'sk-config-secret-123456';
    const c = resolveCliConfig('p.txt', flags(), env({}, { OPENAI_API_KEY: key }), ['p.txt']);
    const { provider, ...rest } = c;
    expect(JSON.stringify(rest)).not.toContain(key);
    expect(provider).toMatchObject({ apiKey: key });
  });
});

describe('resolveCliConfig: --schema-in-prompt', () => {
  it('goes with --json too (a server that refuses response_format), and then lets --param response_format through', () => {
    const json = resolveCliConfig(
      'p.txt',
      flags({ output: 'o.jsonl', json: true, schemaInPrompt: true, param: [['response_format', { type: 'text' }]] }),
      env(),
      [],
    );
    expect(json.structured).toEqual({ kind: 'json', inPrompt: true, retries: 2 });
    expect(resolveCliConfig('p.txt', flags({ output: 'o.jsonl', json: true }), env(), []).structured).toEqual({ kind: 'json', inPrompt: false, retries: 2 });
    expect(usageError(() => resolveCliConfig('p.txt', flags({ output: 'o.jsonl', schemaInPrompt: true }), env(), [])).message).toBe(
      '--schema-in-prompt goes with --json-schema or --json',
    );
  });
});

describe('resolveCliConfig: a flag that would send nothing on every request', () => {
  it.each([
    ['an empty --system', { system: '' }, /^--system is empty, so every request would send an empty system message \(an unset variable\?\)/],
    ['a blank --system', { system: ' \t\n' }, /^--system is blank, so every request would send an empty system message/],
    ['an empty --stop', { stop: ['###', ''] }, /^--stop is empty, so every request would send an empty stop sequence/],
    ['an empty --template', { template: '' }, /^--template has no \{\{field\}\} placeholder, so every row would send the same prompt/],
    ['an empty --reasoning-effort', { reasoningEffort: '' }, /^--reasoning-effort must be none, minimal, low, medium, high, xhigh or max, got ""$/],
  ] as Array<[string, Partial<RawFlags>, RegExp]>)('refuses %s as a usage error', (_label, extra, message) => {
    expect(usageError(() => resolveCliConfig('p.txt', flags(extra), env(), [])).message).toMatch(message);
  });

  it('takes a --system with text, and a stop sequence that is only a line break or a space', () => {
    const c = resolveCliConfig('p.txt', flags({ system: 'Be brief.', stop: ['\n', ' '] }), env(), []);
    expect(c.system).toBe('Be brief.');
    expect(c.data.params['stop']).toEqual(['\n', ' ']);
  });
});

describe('resolveCliConfig: the response cache', () => {
  const key = { OPENAI_API_KEY: 'sk-test-000000000' };
  const cacheOf = (extra: Partial<RawFlags>, vars: NodeJS.ProcessEnv) => resolveCliConfig('p.txt', flags(extra), env({}, { ...key, ...vars }), []).cache;

  it.each(['1', 'true', 'yes', ' 1 '])('LLM_BATCH_NO_CACHE=%j turns it off, also with LLM_BATCH_CACHE_DIR set', (value) => {
    expect(cacheOf({}, { LLM_BATCH_NO_CACHE: value })).toBeUndefined();
    expect(cacheOf({}, { LLM_BATCH_NO_CACHE: value, LLM_BATCH_CACHE_DIR: '/tmp/c' })).toBeUndefined();
  });

  it.each(['', '0', 'false', 'No'])('LLM_BATCH_NO_CACHE=%j leaves it on', (value) => {
    expect(cacheOf({}, { LLM_BATCH_NO_CACHE: value, LLM_BATCH_CACHE_DIR: '/tmp/c' })).toEqual({
      dir: '/tmp/c',
      explicit: true,
      chosenBy: 'LLM_BATCH_CACHE_DIR',
    });
  });

  it('a --cache-dir on the command line beats LLM_BATCH_NO_CACHE; --no-cache beats both', () => {
    expect(cacheOf({ cacheDir: '/tmp/d' }, { LLM_BATCH_NO_CACHE: '1' })).toEqual({ dir: '/tmp/d', explicit: true, chosenBy: '--cache-dir' });
    expect(cacheOf({ cacheDir: '/tmp/d', cache: false }, {})).toBeUndefined();
  });
});
