import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliConfig } from '../../src/cli/config.js';
import { resumeHint } from '../../src/cli/resume-hint.js';

const KEY = 'sk-proj-THE-KEY-9f2c41';
const config = (argv: string[], input: CliConfig['input'] = { kind: 'file', path: 'in.txt' }) =>
  ({
    argv,
    input,
    output: { kind: 'file', path: 'out.jsonl', format: 'jsonl' },
    provider: { kind: 'openai', baseURL: undefined, apiKey: KEY },
  }) as unknown as CliConfig;

describe('resumeHint', () => {
  it('repeats the arguments with --resume, quoting what the shell would split', () => {
    expect(resumeHint(config(['in.txt', '-o', 'out.jsonl', '-t', "Say 'hi' to {{name}}"]))).toBe(
      `llm-batch in.txt -o out.jsonl -t 'Say '\\''hi'\\'' to {{name}}' --resume`,
    );
  });

  it("a file name with an escape sequence or a bidi control: escaped in $'…', so the terminal shows it and a paste gives it back", () => {
    expect(resumeHint(config(['in\u001b]0;owned\u0007 1.txt', '-o', 'out\u202etxt.jsonl']))).toBe(
      "llm-batch $'in\\x1b]0;owned\\x07 1.txt' -o $'out\\xe2\\x80\\xaetxt.jsonl' --resume",
    );
  });

  it('an input after `--` (a file named -x.txt): the options it adds go before the `--`', () => {
    expect(resumeHint(config(['-o', 'out.jsonl', '--overwrite', '--', '-x.txt']))).toBe('llm-batch -o out.jsonl --resume -- -x.txt');
    expect(resumeHint(config(['-o', 'out.jsonl', '--max-cost', '5', '--', '-x.txt']), false, { newMaxCost: true })).toBe(
      'llm-batch -o out.jsonl --resume --max-cost NEW_USD -- -x.txt',
    );
  });

  it('adds the flag the rest needs (--schema-in-prompt after a refused response_format) before --resume and any `--`, once', () => {
    const add = { addFlag: '--schema-in-prompt' };
    expect(resumeHint(config(['in.txt', '-o', 'out.jsonl', '--json']), false, add)).toBe('llm-batch in.txt -o out.jsonl --json --schema-in-prompt --resume');
    expect(resumeHint(config(['-o', 'out.jsonl', '--json', '--', '-x.txt']), false, add)).toBe(
      'llm-batch -o out.jsonl --json --schema-in-prompt --resume -- -x.txt',
    );
    // An --overwrite run that kept the old file: the same command with the flag, still no --resume.
    expect(resumeHint(config(['in.txt', '-o', 'out.jsonl', '--overwrite', '--schema-in-prompt']), true, add)).toBe(
      'llm-batch in.txt -o out.jsonl --overwrite --schema-in-prompt',
    );
  });

  it('drops --overwrite, which --resume refuses: the printed command must run as printed', () => {
    expect(resumeHint(config(['in.txt', '-o', 'out.jsonl', '--overwrite']))).toBe('llm-batch in.txt -o out.jsonl --resume');
  });

  it('after an --overwrite run that kept the old file (stopped before its first row): the same command again', () => {
    expect(resumeHint(config(['in.txt', '-o', 'out.jsonl', '--overwrite']), true)).toBe('llm-batch in.txt -o out.jsonl --overwrite');
  });

  it('does not add a second --resume, and says when the input came on stdin', () => {
    expect(resumeHint(config(['-o', 'out.jsonl', '--resume'], { kind: 'stdin' } as CliConfig['input']))).toBe(
      'llm-batch -o out.jsonl --resume  # with the same input on stdin',
    );
  });

  it('with its note, still runs as it is in a POSIX shell (`eval "$(jq -r .resumeHint s.json)" < in.txt`): the note is a comment', () => {
    const hint = resumeHint(config(['-o', 'out file.jsonl', '-t', "it's {{x}}"], { kind: 'stdin' } as CliConfig['input']))!;
    // `llm-batch` as a script that prints its arguments one a line.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-hint-'));
    fs.writeFileSync(path.join(bin, 'llm-batch'), '#!/bin/sh\nprintf \'%s\\n\' "$@"\n', { mode: 0o755 });
    const ran = spawnSync('sh', ['-c', hint], { encoding: 'utf8', env: { PATH: `${bin}:${process.env.PATH}` } });
    fs.rmSync(bin, { recursive: true, force: true });
    expect(ran.stderr).toBe('');
    expect(ran.stdout).toBe("-o\nout file.jsonl\n-t\nit's {{x}}\n--resume\n");
  });

  it("an input on a descriptor (`<(cmd)`'s /dev/fd/63) names it and asks for the same input again; stdin by a path is stdin", () => {
    const file = (path: string) => ({ kind: 'file', path }) as CliConfig['input'];
    for (const path of ['/dev/fd/63', '/proc/self/fd/11', '/proc/4242/fd/3']) {
      expect(resumeHint(config([path, '-o', 'out.jsonl'], file(path)))).toBe(
        `llm-batch ${path} -o out.jsonl --resume  # with the same input as on ${path} now: the same <(…) again`,
      );
    }
    for (const path of ['/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']) {
      expect(resumeHint(config([path, '-o', 'out.jsonl'], file(path)))).toBe(`llm-batch ${path} -o out.jsonl --resume  # with the same input on stdin`);
    }
    // A file whose name only looks like one is a file.
    expect(resumeHint(config(['./dev/fd/63', '-o', 'out.jsonl'], file('./dev/fd/63')))).toBe('llm-batch ./dev/fd/63 -o out.jsonl --resume');
  });

  it('after a budget stop: the cap that stopped the run gives way to a placeholder that cannot run unedited', () => {
    for (const cap of [['--max-cost', '5'], ['--max-cost=5']]) {
      expect(resumeHint(config(['in.txt', '-o', 'out.jsonl', ...cap, '-c', '4']), false, { newMaxCost: true })).toBe(
        'llm-batch in.txt -o out.jsonl -c 4 --resume --max-cost NEW_USD',
      );
    }
    expect(resumeHint(config(['-o', 'out.jsonl', '--max-cost', '1'], { kind: 'stdin' } as CliConfig['input']), false, { newMaxCost: true })).toBe(
      'llm-batch -o out.jsonl --resume --max-cost NEW_USD  # with the same input on stdin',
    );
  });

  it('shows a key in a path segment of --base-url as [redacted], and the key wherever it was typed; other sk- words stay', () => {
    expect(resumeHint(config(['sk-learn/in.txt', '-o', 'out.jsonl', '--base-url', `https://gw.example/${KEY}/v1`, '-t', `{{x}} ${KEY}`]))).toBe(
      `llm-batch sk-learn/in.txt -o out.jsonl --base-url 'https://gw.example/[redacted]/v1' -t '{{x}} [redacted]' --resume`,
    );
    expect(resumeHint(config(['in.txt', '--base-url=https://gw.example/sk-other-token-123/v1']))).toBe(
      `llm-batch in.txt '--base-url=https://gw.example/[redacted]/v1' --resume`,
    );
  });

  it("a placeholder key (ollama) is scrubbed as a word of its own, not inside a model's name", () => {
    const local = (argv: string[]) => ({ ...config(argv), provider: { kind: 'openai', baseURL: undefined, apiKey: 'ollama' } }) as CliConfig;
    expect(resumeHint(local(['in.txt', '-o', 'out.jsonl', '-m', 'ollama-llama3', '-t', '{{x}} ollama']))).toBe(
      "llm-batch in.txt -o out.jsonl -m ollama-llama3 -t '{{x}} [redacted]' --resume",
    );
  });

  it('gives no command for a stream output (-o /dev/null, /dev/stdout), which --resume refuses, as for -o -', () => {
    for (const path of ['/dev/null', '/dev/stdout', '/proc/self/fd/1']) {
      const streamed = { ...config(['in.txt', '-o', path]), output: { kind: 'file', path, format: 'jsonl' } } as CliConfig;
      expect(resumeHint(streamed)).toBeNull();
    }
  });
});
