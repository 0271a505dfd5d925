/**
 * The flags in seconds that reach a timer (--progress, --poll, --timeout, --idle-timeout, cancel's
 * --poll). Past 2^31 - 1 ms Node fires a timer after 1 ms instead: `--progress 3000000` wrote a
 * progress line every millisecond (thousands of lines in seconds), `--batch-api --poll 3000000`
 * asked the Batch API for a status every millisecond; `--progress 0.001` did the same by design.
 * Through the BUILT CLI: such values are a usage error naming the flag and the range, before any
 * output file is made.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { useServer } from '../helpers/mock-server-hooks.js';

const ctx = useServer('llm-batch-timer-seconds-', { latencyMs: 5 });

const FLAGS = [
  ['--progress', [], '0.5'],
  ['--poll', ['--batch-api'], '0.05'],
  ['--timeout', [], '0.05'],
  ['--idle-timeout', [], '0.05'],
] as const;
const TOO_LONG = ['3000000', '86400.5', '99999999999999999999'];
const TOO_SHORT = { '--progress': ['0.001', '0.4'], '--poll': ['0.001', '0.04'], '--timeout': ['0.001'], '--idle-timeout': ['0.001'] };

describe('a seconds flag a timer cannot hold, or too small to be of use', () => {
  it.each(FLAGS.flatMap(([flag, extra, min]) => [...TOO_LONG, ...TOO_SHORT[flag]].map((value) => [flag, value, extra, min] as const)))(
    '%s %s: exit 2 naming the flag and its range; no output file',
    async (flag, value, extra, min) => {
      const input = writePrompts(ctx.dir, 'two.txt', ['one', 'two']);
      const out = path.join(ctx.dir, `refused-${flag.slice(2)}-${value}.jsonl`);
      const r = await runInWorker([input, '--base-url', ctx.server.url, '--no-cache', ...extra, flag, value, '-o', out]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(
          `^llm-batch: option '${flag} [^']*' argument '${value}' is invalid\\. Expected a number of seconds from ${min} to 86400 \\(a day\\)[^\\n]* \\(run llm-batch --help for usage\\)\\n$`,
        ),
      );
      expect(fs.existsSync(out)).toBe(false);
      expect(ctx.server.requests).toHaveLength(0);
    },
  );

  it.each(['3000000', '0.001'])('cancel --poll %s: exit 2 naming the flag and its range', async (value) => {
    const r = await runCli(['cancel', path.join(ctx.dir, 'none.jsonl'), '--base-url', ctx.server.url, '--poll', value]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^llm-batch: option '--poll <seconds>' argument '[\d.]+' is invalid\. Expected a number of seconds from 0\.05 to 86400 \(a day\)/);
  });

  it('the bounds themselves are taken: --progress 86400 prints no progress line in a short run, and no timer warning', async () => {
    const input = writePrompts(ctx.dir, 'bounds.txt', ['one', 'two']);
    const out = path.join(ctx.dir, 'bounds.jsonl');
    const r = await runCli([
      input,
      '--base-url',
      ctx.server.url,
      '--no-cache',
      '--progress',
      '86400',
      '--timeout',
      '86400',
      '--idle-timeout',
      '86400',
      '-o',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^llm-batch: 2 ok, 0 failed · /)]);
  });
});
