import { describe, expect, it } from 'vitest';
import { ExitCode, InputError, OutputAbandonedError, OutputClosedError, OutputWriteError, RunError, UsageError } from '../src/errors.js';
import { BadResultLineError } from '../src/output/index.js';

describe('run-level errors', () => {
  // `name` is what String(err), util.inspect and a library user's logs show; `code` and `exitCode`
  // are what scripts and summaries key on, and stay as they were.
  it.each([
    ['UsageError', new UsageError('--max-cost: bad'), 'usage', ExitCode.usage],
    ['InputError', new InputError('cannot read in.txt'), 'input', ExitCode.usage],
    ['OutputWriteError', new OutputWriteError('Cannot write output: ENOSPC'), 'output', ExitCode.usage],
    ['OutputClosedError', new OutputClosedError(), 'output', ExitCode.outputClosed],
    ['OutputAbandonedError', new OutputAbandonedError(), 'output', ExitCode.interrupted],
    ['BadResultLineError', new BadResultLineError('out.jsonl', 3, 'invalid JSON'), 'resume', ExitCode.usage],
    ['RunError', new RunError('quota exhausted', 'quota'), 'quota', ExitCode.stoppedEarly],
    ['RunError', new RunError('unreachable', 'unreachable'), 'unreachable', ExitCode.unreachable],
  ] as const)('%s: so named, code %s stays, exit %d', (name, err: RunError, code, exitCode) => {
    expect(err).toBeInstanceOf(RunError);
    expect(err.name).toBe(name);
    expect(String(err)).toBe(`${name}: ${err.message}`);
    expect(err.code).toBe(code);
    expect(err.exitCode).toBe(exitCode);
  });
});
