/**
 * What --max-cost says and does at its edges, from the built CLI against the mock server: a Batch API
 * line naming a model with no price (an `input` row, as live, not a stall at any cap), amounts too
 * small for `<$0.0001` to be advice, and a cap below one request's worst case (the default answer
 * limit named).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, runShell, writePrompts, type CliResult } from '../helpers/run-cli.js';
import { runPty } from '../helpers/run-pty.js';

const ctx = useServerAndCaseDir('llm-batch-budget-advice-');
const rowsOf = (file: string) => parseJsonl<{ id: string; line: number; error: { type: string; message: string } | null }>(fs.readFileSync(file, 'utf8'));

describe('--batch-api --max-cost and a line whose model has no price', () => {
  it('writes that line an input row naming the model, as live, and plans the rest', async () => {
    ctx.server.options.batches = { stepMs: 30 };
    const input = path.join(ctx.dir, 'own.jsonl');
    fs.writeFileSync(input, '{"prompt":"a"}\n{"prompt":"b","model":"weird-model"}\n{"prompt":"c"}\n');
    const out = path.join(ctx.dir, 'c6.jsonl');
    const r = await runCli([
      input,
      '--base-url',
      ctx.server.url,
      '-m',
      'gpt-4o-mini',
      '-o',
      out,
      '--no-cache',
      '--max-cost',
      '1',
      '--batch-api',
      '--poll',
      '0.05',
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/budget reached/);
    const rows = rowsOf(out).sort((a, b) => a.line - b.line);
    expect(rows.map((row) => [row.line, row.error?.type ?? 'ok'])).toEqual([
      [1, 'ok'],
      [2, 'input'],
      [3, 'ok'],
    ]);
    expect(rows[1]!.error!.message).toMatch(/own\.jsonl:2: no price known for model weird-model: --max-cost needs one \(--price IN\/OUT or --prices FILE\)/);
    // The live run of the same input says the same.
    const live = path.join(ctx.dir, 'live.jsonl');
    const l = await runCli([input, '--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '-o', live, '--no-cache', '--max-cost', '1']);
    expect(l.code, l.stderr).toBe(1);
    const liveRow = rowsOf(live).find((row) => row.line === 2)!;
    expect(liveRow.error!.message).toContain('no price known for model weird-model: --max-cost needs one');
  });
});

/** Four prompts under a cap that lets some through; `output` the -o arguments, or none. */
const capped = (output: string[], cache = false) => [
  writePrompts(ctx.dir, 'p.txt', ['prompt number 1', 'prompt number 2', 'prompt number 3', 'prompt number 4']),
  '--base-url',
  ctx.server.url,
  '-m',
  'gpt-4o-mini',
  ...output,
  ...(cache ? [] : ['--no-cache']),
  '--max-cost',
  '0.00002',
  '--max-tokens',
  '10',
  '-c',
  '1',
];
const stopLine = (stderr: string) => stderr.split('\n').find((l) => l.includes('budget reached'))!;
/** `capped` into a JSONL file: one run that two tests read (its amounts, its advice), started by whichever needs it first. */
let cappedJsonl: Promise<CliResult> | undefined;
const cappedJsonlRun = () => (cappedJsonl ??= runCli(capped(['-o', path.join(ctx.dir, 'kept.jsonl')])));

describe('budget messages', () => {
  it('say amounts under $0.0001 as they are, and a cap to raise to that is above the spend', async () => {
    const r = await cappedJsonlRun();
    expect(r.code, r.stderr).toBe(3);
    const line = stopLine(r.stderr);
    expect(line).toMatch(
      /budget reached: \$0\.0000\d+ of \$0\.000020 \(the next prompt did not fit: its worst case is \$0\.0000\d+ \(its prompt plus 10 answer tokens\)\)/,
    );
    expect(line).not.toContain('<$');
  });

  it('--batch-api: the cap to put in place of NEW_USD is a figure one can type', async () => {
    ctx.server.options.batches = { stepMs: 30 };
    const input = writePrompts(ctx.dir, 'p.txt', ['prompt number 1', 'prompt number 2', 'prompt number 3', 'prompt number 4']);
    const out = path.join(ctx.dir, 'c4.jsonl');
    const r = await runCli([
      input,
      '--base-url',
      ctx.server.url,
      '-m',
      'gpt-4o-mini',
      '-o',
      out,
      '--no-cache',
      '--max-cost',
      '0.000008',
      '--max-tokens',
      '10',
      '--batch-api',
      '--poll',
      '0.05',
    ]);
    expect(r.code, r.stderr).toBe(3);
    const line = stopLine(r.stderr);
    expect(line).toMatch(/of \$0\.0000080 /);
    expect(line).toMatch(/may cost up to \$0\.0+[1-9]\d? at the Batch price\).* put a cap above \$0\.0+[1-9]\d? in place of NEW_USD/);
    expect(line).not.toContain('<$');
  });

  it("a cap below one request's worst case names the default answer limit and what to change", async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one two three', 'four']);
    const out = path.join(ctx.dir, 'bc.jsonl');
    const r = await runCli([input, '--base-url', ctx.server.url, '-m', 'gpt-4o', '-o', out, '--no-cache', '--max-cost', '0.01']);
    expect(r.code, r.stderr).toBe(3);
    expect(ctx.server.requests).toHaveLength(0);
    // 4,096 answer tokens at gpt-4o's $10 per million: $0.041 and the prompt's share.
    expect(r.stderr).toMatch(
      /budget reached: \$0\.00 of \$0\.0100 \(the next prompt did not fit: its worst case is \$0\.041\d \(its prompt plus 4,096 answer tokens, the limit --max-cost sets when --max-tokens is not given\), more than the whole cap: give a lower --max-tokens or a cap above \$0\.041\d\)/,
    );
  });

  // The row's max_tokens wins over --max-tokens: advising the flag sent a --resume into the same stop.
  it("a row's own max_tokens above the cap is named, not --max-tokens, with the flag given or not", async () => {
    const input = path.join(ctx.dir, 'own-limit.jsonl');
    fs.writeFileSync(input, '{"prompt":"hi","max_tokens":100000}\n');
    for (const flags of [[], ['--max-tokens', '100']]) {
      const out = path.join(ctx.dir, `own-limit-${flags.length}.jsonl`);
      const r = await runCli([input, '--base-url', ctx.server.url, '-m', 'gpt-4o', '-o', out, '--no-cache', '--max-cost', '0.02', ...flags]);
      expect(r.code, r.stderr).toBe(3);
      // 100,000 answer tokens at gpt-4o's $10 per million: $1.00 and the prompt's share.
      expect(r.stderr, flags.join(' ')).toMatch(
        /its worst case is \$1\.0\d \(its prompt plus 100,000 answer tokens, the row's own max_tokens\), more than the whole cap: give a lower max_tokens in the row \(it wins over --max-tokens\) or a cap above \$1\.0\d\)/,
      );
    }
    expect(ctx.server.requests).toHaveLength(0);
  });

  it('--batch-api: a first line whose worst case is above the cap says what to change', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one two three']);
    const r = await runCli([
      input,
      '--base-url',
      ctx.server.url,
      '-m',
      'gpt-4o',
      '-o',
      path.join(ctx.dir, 'bb.jsonl'),
      '--no-cache',
      '--max-cost',
      '0.01',
      '--batch-api',
      '--poll',
      '0.05',
    ]);
    expect(r.code, r.stderr).toBe(3);
    expect(ctx.server.batchState.uploaded).toHaveLength(0);
    // No "0 requests in 0 batches; the rest of the input waits" ahead of the stop that says why.
    expect(r.stderr).not.toMatch(/0 requests|the rest of the input waits/);
    // 4,096 answer tokens at half of gpt-4o's $10 per million: $0.0205 and the prompt's share.
    expect(r.stderr).toMatch(
      /may cost up to \$0\.020\d at the Batch price \(its prompt plus its answer limit: 4,096 tokens under --max-cost unless --max-tokens or the row sets one\), more than the whole cap: give a lower --max-tokens or a cap above \$0\.020\d\)/,
    );
  });
});

/**
 * A budget stop pointed to "the command below" for the new cap, and said every answered row was
 * kept, also where no resume command follows: rows on stdout, a FIFO, a device, a text file, answers
 * on the terminal (where the next line said nothing was saved).
 */
describe('a budget stop into an output no --resume can continue', () => {
  it.each([
    ['stdout, a pipe', [], 'stdout'],
    ['-o -', ['-o', '-'], 'stdout'],
    ['-o /dev/null', ['-o', '/dev/null'], '/dev/null'],
  ])('%s: names where the rows went and what a rerun costs, and points to no command', async (_, output, where) => {
    const r = await runCli(capped(output));
    expect(r.code, r.stderr).toBe(3);
    // Some prompts were answered before the stop, and their rows are where the line says.
    if (where === 'stdout') expect(r.stdout).toMatch(/^\{"id":/);
    expect(stopLine(r.stderr)).toMatch(
      new RegExp(
        `\\); every answered row went to ${where}, which no --resume can continue: a rerun with a new --max-cost sends every prompt again; with -o FILE\\.jsonl a stop can be resumed$`,
      ),
    );
    expect(r.stderr).not.toMatch(/command below|NEW_USD|--resume --max-cost/);
  });

  it('a text file: the rows are in it; with the cache on, a rerun pays for none of them again', async () => {
    const out = path.join(ctx.dir, 'answers.txt');
    const r = await runCli([...capped(['-o', out], true), '--cache-dir', path.join(ctx.dir, 'cache')]);
    expect(r.code, r.stderr).toBe(3);
    expect(stopLine(r.stderr)).toMatch(
      /\); every answered row is in \S*answers\.txt, which no --resume can continue: a rerun with a new --max-cost starts again from the first prompt, the answered ones coming from the response cache at no cost$/,
    );
    expect(r.stderr).not.toMatch(/command below|NEW_USD/);
  });

  it('a FIFO: the rows went to its reader', async () => {
    const script = `mkfifo rows-fifo.jsonl; cat rows-fifo.jsonl > got.jsonl & $LLM ${capped(['-o', 'rows-fifo.jsonl'])
      .map((a) => `'${a}'`)
      .join(' ')}; code=$?; wait; exit $code`;
    const r = await runShell(script, ctx.dir);
    expect(r.code, r.stderr).toBe(3);
    expect(stopLine(r.stderr)).toMatch(
      /every answered row went to rows-fifo\.jsonl, which no --resume can continue: .*; with -o FILE\.jsonl a stop can be resumed$/,
    );
    expect(r.stderr).not.toMatch(/command below|NEW_USD/);
    expect(fs.readFileSync(path.join(ctx.dir, 'got.jsonl'), 'utf8')).toMatch(/^\{"id":/);
  });

  it('answers on the terminal: no claim that they were kept', async () => {
    const r = await runPty(capped([]), { cols: 400 });
    expect(r.code).toBe(3);
    const screen = r.screen.join('\n');
    expect(screen).toMatch(/\); no --resume can continue answers printed on the terminal: a rerun with a new --max-cost sends every prompt again/);
    expect(screen).toMatch(/no results were saved \(no -o\)/);
    expect(screen).not.toMatch(/every answered row is kept|command below|NEW_USD/);
  });

  it('a JSONL file still gets the command with NEW_USD to fill in', async () => {
    const r = await cappedJsonlRun();
    expect(r.code, r.stderr).toBe(3);
    expect(stopLine(r.stderr)).toMatch(/every answered row is kept; .* in place of NEW_USD in the command below$/);
    expect(r.stderr).toMatch(/--resume --max-cost NEW_USD/);
  });
});

/**
 * `--dry-run --max-cost` said nothing of the cap: a cap under every request's worst case (the run
 * sends nothing, exit 3) read as a run that would go. It now says what the cap lets through, and the
 * same command without --dry-run does what it says.
 */
describe('--dry-run --max-cost: what the cap lets through', () => {
  const dry = (input: string, cap: string) => runCli([input, '-m', 'gpt-4o', '--base-url', ctx.server.url, '--no-cache', '--max-cost', cap, '--dry-run']);

  it('a cap under every worst case: "no request fits", and the run then sends nothing (exit 3)', async () => {
    const input = writePrompts(ctx.dir, 'two.txt', ['a', 'b']);
    const r = await dry(input, '0.01');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /\nWarning: --max-cost \$0\.0100: no request fits under it: the run would send nothing and stop at once \(exit 3\)\. The largest \(gpt-4o\): its worst case is \$0\.04\d+ \(its prompt plus 4,096 answer tokens, the limit --max-cost sets when --max-tokens is not given\), more than the whole cap: give a lower --max-tokens/,
    );
    const sent = ctx.server.requests.length;
    const run = await runCli([input, '-m', 'gpt-4o', '--base-url', ctx.server.url, '--no-cache', '--max-cost', '0.01', '-o', path.join(ctx.dir, 'two.jsonl')]);
    expect(run.code, run.stderr).toBe(3);
    expect(ctx.server.requests.length).toBe(sent);
  });

  it('a long prompt: its worst case as the run reserves it (UTF-8 bytes bound it), not as the tokenizer counts it', async () => {
    // 8,000 words: ~8,000 tokens ($0.02), reserved as ~40,000 ($0.10). Counted by the tokenizer, the
    // dry run said nothing, and the run sent nothing (exit 3).
    const input = writePrompts(ctx.dir, 'long.txt', ['word '.repeat(8000)]);
    const args = [input, '-m', 'gpt-4o', '--base-url', ctx.server.url, '--no-cache', '--max-tokens', '10', '--max-cost', '0.05'];
    const r = await runCli([...args, '--dry-run']);
    const worst = /no request fits under it: .*its worst case is (\$0\.\d+) \(its prompt plus 10 answer tokens\)/.exec(r.stdout)?.[1];
    expect(worst, r.stdout).toBeDefined();
    // Its prompt alone is above the cap: "give a lower --max-tokens" (of 10) was no advice.
    expect(r.stdout).toMatch(
      /more than the whole cap, its prompt alone up to \$0\.\d+ \(as many tokens as its UTF-8 bytes, at most\): give a cap above \$0\.\d+ or a shorter prompt\n/,
    );
    expect(r.stdout).not.toMatch(/a lower --max-tokens/);
    const run = await runCli([...args, '-o', path.join(ctx.dir, 'long.jsonl')]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(`its worst case is ${worst} `);
    expect(run.stderr).toMatch(/its prompt alone up to \$0\.\d+ \(as many tokens as its UTF-8 bytes, at most\): give a cap above/);
  });

  it('one request above the cap alone (the row without max_tokens), and a cap under the whole: said each', async () => {
    const input = path.join(ctx.dir, 'mixed.jsonl');
    fs.writeFileSync(input, '{"prompt":"a","max_tokens":10}\n{"prompt":"b"}\n');
    expect((await dry(input, '0.01')).stdout).toMatch(
      /\nWarning: --max-cost \$0\.0100: 1 request is above it alone, never sent: the run would stop at the first \(exit 3\)\. The largest \(gpt-4o\)/,
    );
    const under = await dry(writePrompts(ctx.dir, 'two.txt', ['a', 'b']), '0.05');
    expect(under.stdout).toMatch(
      /\nNote: --max-cost \$0\.0500 is under the worst case of all the requests together \(\$0\.08\d+\): the run stops once its spend reaches the cap/,
    );
    const enough = await dry(writePrompts(ctx.dir, 'two.txt', ['a', 'b']), '1');
    expect(enough.stdout).not.toMatch(/--max-cost \$/);
  });
});
