import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliConfig } from '../../src/cli/config.js';
import type { CliReporter } from '../../src/cli/create-reporter.js';
import { finishRun, type WriteRunReport } from '../../src/cli/outcome.js';
import type { RunBudget } from '../../src/budget/run-budget.js';
import type { BatchOutcome } from '../../src/engine/run-batch.js';
import { createStats } from '../../src/engine/stats.js';
import { tempDir } from '../helpers/run-cli.js';

const { dir, cleanup } = tempDir('llm-batch-finish-run-');
afterAll(cleanup);

let n = 0;
function config(): CliConfig {
  return {
    argv: ['-o', 'out.jsonl', '--summary-json', 's.json'],
    input: { kind: 'stdin' },
    output: { kind: 'file', path: path.join(dir, 'out.jsonl'), format: 'jsonl' },
    provider: { kind: 'openai', baseURL: undefined, apiKey: 'sk-test-000000000' },
    model: 'gpt-4o-mini',
    summaryJson: path.join(dir, `${++n}-s.json`),
    structured: undefined,
    batchApi: undefined,
    shard: undefined,
    quiet: false,
  } as unknown as CliConfig;
}

function reporter(said: string[]): CliReporter {
  return {
    error: (line: string) => said.push(line),
    info: () => {},
    event: () => {},
    row: () => {},
    finish: () => {},
    close: () => {},
    stopping: () => {},
    answerWriter: undefined,
    total: undefined,
  };
}

/** Ends a run as the CLI does and reads back its --summary-json, with what stderr heard. */
async function end(
  outcome: BatchOutcome,
  answered: number,
  report?: (summaryFile: string) => WriteRunReport,
  more: { output?: CliConfig['output']; budget?: RunBudget } = {},
) {
  const c = config();
  if (more.output) c.output = more.output;
  const stats = createStats();
  stats.ok = answered;
  const said: string[] = [];
  const code = await finishRun(
    c,
    { outcome, notFound: 0, oldFileKept: false, ...(more.budget && { budget: more.budget }) },
    stats,
    reporter(said),
    (t) => t,
    new AbortController().signal,
    report?.(c.summaryJson!),
  );
  return { code, said, summary: JSON.parse(fs.readFileSync(c.summaryJson!, 'utf8')) };
}

describe('finishRun: --summary-json says how the run ended', () => {
  it('a run that went to the end: exitCode 0, error null', async () => {
    const { code, summary } = await end({}, 2);
    expect(code).toBe(0);
    expect(summary).toMatchObject({ stopped: null, exitCode: 0, error: null, resumeHint: null });
  });

  it('no prompts at all (exit 5) does not read as a good run: exitCode 5 and the line that said so', async () => {
    const { code, said, summary } = await end({}, 0);
    expect(code).toBe(5);
    expect(said).toEqual([expect.stringMatching(/^no prompts on stdin/)]);
    expect(summary).toMatchObject({ ok: 0, exitCode: 5, error: said[0] });
  });

  it.each([
    ['auth', 'HTTP 401: Incorrect API key provided', 2, /^the server rejected the API key/],
    ['quota', 'HTTP 429: You exceeded your current quota', 3, /^quota exhausted/],
  ] as const)('a live %s stop: exitCode, error the stop line on stderr, the resume command', async (stopped, message, exitCode, line) => {
    const { code, said, summary } = await end({ stopped, message }, 1);
    expect(code).toBe(exitCode);
    expect(said[0]).toMatch(line);
    expect(summary).toMatchObject({ stopped, exitCode, error: said[0], resumeHint: expect.stringMatching(/ --resume {2}# with the same input on stdin$/) });
  });

  it('interrupted: exit 130, said by `stopped` (no line)', async () => {
    const { code, summary } = await end({ stopped: 'interrupted' }, 1);
    expect(code).toBe(130);
    expect(summary).toMatchObject({ stopped: 'interrupted', exitCode: 130, error: null });
  });

  it('a --report that cannot be written turns exit 0 into 2: the summary, written before it, is written again saying 2 and why', async () => {
    const message = 'cannot write --report r.html: ENOSPC: no space left on device';
    // Before the report (which may take a while): a second Ctrl-C must not leave an earlier run's summary.
    let before: unknown;
    const { code, said, summary } = await end({}, 2, (file) => async () => {
      before = JSON.parse(fs.readFileSync(file, 'utf8'));
      return { ok: false, message };
    });
    expect(before).toMatchObject({ exitCode: 0, error: null });
    expect(code).toBe(2);
    expect(said).toEqual([message]);
    expect(summary).toMatchObject({ stopped: null, exitCode: 2, error: message });
  });
});

describe('finishRun: a spend that passed --max-cost', () => {
  /** $0.0150 spent of a $0.0100 cap, one answer billed beyond its worst case. */
  const passed = {
    capUsd: 0.01,
    spentUsd: () => 0.015,
    overrun: () => ({ answers: 1, usd: 0.0075 }),
    passed: () => true,
  } as unknown as RunBudget;

  it('into a file --resume continues: every row kept, the new cap to put in the command below', async () => {
    const { code, said, summary } = await end({ stopped: 'budget' }, 1, undefined, { budget: passed });
    expect(code).toBe(3);
    expect(said[0]).toMatch(/^budget passed: .*; every answered row is kept; .* in place of NEW_USD in the command below$/);
    expect(summary.resumeHint).toMatch(/ --resume --max-cost NEW_USD/);
  });

  it('into stdout: where the rows went and what a rerun costs, no command to point to', async () => {
    const { said, summary } = await end({ stopped: 'budget' }, 1, undefined, { budget: passed, output: { kind: 'stdout', format: 'jsonl' } });
    expect(said[0]).toMatch(
      /^budget passed: .*\(requests in flight finished\); every answered row went to stdout, which no --resume can continue: a rerun with a new --max-cost sends every prompt again; with -o FILE\.jsonl a stop can be resumed$/,
    );
    expect(said.join('\n')).not.toMatch(/command below|NEW_USD/);
    expect(summary.resumeHint).toBeNull();
  });
});
