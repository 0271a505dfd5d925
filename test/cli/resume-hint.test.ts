import { describe, expect, it } from 'vitest';
import type { CliConfig } from '../../src/cli/config.js';
import { resumeHint } from '../../src/cli/resume-hint.js';

const config = (argv: string[], input: CliConfig['input'] = { kind: 'file', path: 'in.txt' }) =>
  ({ argv, input, output: { kind: 'file', path: 'out.jsonl', format: 'jsonl' } }) as unknown as CliConfig;

describe('resumeHint', () => {
  it('repeats the arguments with --resume, quoting what the shell would split', () => {
    expect(resumeHint(config(['in.txt', '-o', 'out.jsonl', '-t', "Say 'hi' to {{name}}"]))).toBe(
      `llm-batch in.txt -o out.jsonl -t 'Say '\\''hi'\\'' to {{name}}' --resume`,
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
      'llm-batch -o out.jsonl --resume  (with the same input on stdin)',
    );
  });
});
