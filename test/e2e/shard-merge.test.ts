/**
 * --shard i/N (live and --batch-api) and `llm-batch merge`, through the BUILT CLI and the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdAnswers, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, runShell, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { until } from '../helpers/until.js';
import { okRow } from '../helpers/result-rows.js';

const ctx = useServerAndCaseDir('llm-batch-shard-');

interface Row {
  id: string;
  prompt: string;
  response: string | null;
  error: unknown;
}
const prompts = (n: number) => Array.from({ length: n }, (_, i) => `p${i + 1}`);
const rowsOf = (file: string): Row[] => parseJsonl<Row>(fs.readFileSync(file, 'utf8'));
/** A file of the case's directory by its whole path, and that path as a regular expression's literal text. */
const at = (name: string): string => path.join(ctx.dir, name);
const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('--shard i/N and merge', () => {
  it('merge --input over a CSV finds ids with a lone surrogate as the CSV holds them', async () => {
    // A CSV holds `t\ud83c` as `t\uFFFD`: merge compared the input's ids as given and said two had no row.
    const input = path.join(ctx.dir, 'sur.jsonl');
    fs.writeFileSync(input, '{"id":"t\\ud83c","prompt":"first"}\n{"id":"t\\ud83d","prompt":"second"}\n{"id":"u","prompt":"third"}\n');
    const out = at('sur.csv');
    const run = await runCli([input, '-o', out, '--base-url', ctx.server.url, '-q']);
    expect(run.code, run.stderr).toBe(1); // the second id is the first's in a CSV: an input row
    const merged = await runInWorker(['merge', out, '-o', at('sur-all.csv'), '--input', input]);
    expect(merged.stderr).toMatch(/merged 3 rows from 1 file into .*\(0 superseded rows dropped; 1 failed\); every id of .* has a row\n$/);
  });

  it('three live shards send every record exactly once; merge joins them and finds nothing missing', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(60));
    const outs = [1, 2, 3].map((i) => path.join(ctx.dir, `out-${i}.jsonl`));
    for (const [i, out] of outs.entries()) {
      const r = await runCli([input, '-o', out, '--base-url', ctx.server.url, '--shard', `${i + 1}/3`]);
      expect(r.code, r.stderr).toBe(0);
    }
    const perShard = outs.map((o) => rowsOf(o).map((r) => r.prompt));
    for (const rows of perShard) expect(rows.length).toBeGreaterThan(5); // a hash that spreads
    expect(perShard.flat().sort()).toEqual(prompts(60).sort());
    expect(ctx.server.requests).toHaveLength(60);

    const all = path.join(ctx.dir, 'all.jsonl');
    const merged = await runInWorker(['merge', ...outs, '-o', all, '--input', input]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stderr).toMatch(/merged 60 rows from 3 files into .*all\.jsonl \(0 superseded rows dropped; 0 failed\); every id of .* has a row/);
    expect(
      rowsOf(all)
        .map((r) => r.prompt)
        .sort(),
    ).toEqual(prompts(60).sort());
  });

  it('merge --input reads a Latin-1 input as its run did (--encoding latin1, recorded): every id found', async () => {
    const cases = [
      ['l1.csv', Buffer.from('id;text\r\nk1;caf\xe9\r\nk2;two\r\n', 'latin1'), ['--csv-delimiter', ';', '--prompt-field', 'text']],
      // Bytes that are UTF-8 too, read as UTF-8 another text, another line-based id than the rows'.
      ['l1.txt', Buffer.from('caf\xc3\xa9 cr\xc3\xa8me\nplain\n', 'latin1'), []],
    ] as const;
    for (const [name, bytes, flags] of cases) {
      const input = at(name);
      fs.writeFileSync(input, bytes);
      const outs = [1, 2].map((i) => at(`${name}-${i}.jsonl`));
      for (const [i, out] of outs.entries()) {
        const r = await runCli([input, '--encoding', 'latin1', ...flags, '-o', out, '--base-url', ctx.server.url, '--shard', `${i + 1}/2`, '-q']);
        expect(r.code, r.stderr).toBe(0);
      }
      const merged = await runInWorker(['merge', ...outs, '-o', at(`${name}-all.jsonl`), '--input', input]);
      expect(merged.stderr).toMatch(/merged 2 rows from 2 files into .*; every id of .* has a row\n$/);
      expect(merged.code).toBe(0);
    }
  });

  it('merge with a shard missing names it and the unanswered ids, exit 1; refuses outputs of different runs', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(20));
    const a = path.join(ctx.dir, 'a.jsonl');
    const b = path.join(ctx.dir, 'b.jsonl');
    expect((await runCli([input, '-o', a, '--base-url', ctx.server.url, '--shard', '1/2'])).code).toBe(0);
    const r = await runInWorker(['merge', a, '-o', path.join(ctx.dir, 'all.jsonl'), '--input', input]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/shard 2\/2 not among the outputs/);
    expect(r.stderr).toMatch(/\d+ ids of .*in\.txt have no row: .*in\.txt:\d+ \(id /);

    expect((await runCli([input, '-o', b, '--base-url', ctx.server.url, '--shard', '2/2', '-m', 'other-model'])).code).toBe(0);
    const refused = await runInWorker(['merge', a, b, '-o', path.join(ctx.dir, 'all2.jsonl')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/b\.jsonl was written by a different run than .*a\.jsonl \(model: was "gpt-4o-mini", now "other-model"\)/);
    expect(fs.existsSync(path.join(ctx.dir, 'all2.jsonl'))).toBe(false);
  });

  it('merge compares the models as a set and --repeat; --input names the (id, model) answers missing', async () => {
    writePrompts(ctx.dir, 'in.txt', prompts(12));
    const shard = async (out: string, ...flags: string[]) =>
      expect((await runCli(['in.txt', '--mock', '-q', '-o', out, ...flags], { cwd: ctx.dir })).code).toBe(0);
    await shard('ab-1.jsonl', '-m', 'ma,mb', '--shard', '1/2');
    await shard('a-2.jsonl', '-m', 'ma', '--shard', '2/2');
    await shard('ba-2.jsonl', '-m', 'mb,ma', '--shard', '2/2');
    await shard('r-2.jsonl', '-m', 'ma,mb', '--repeat', '2', '--shard', '2/2');
    const merge = (...args: string[]) => runCli(['merge', ...args, '--input', 'in.txt'], { cwd: ctx.dir });
    // The same merges by whole paths, in this worker: they compare the outputs' metadata, whatever the cwd.
    const mergeHere = (files: string[], ...flags: string[]) => runInWorker(['merge', ...files.map(at), ...flags, '--input', at('in.txt')]);
    const inShard2 = rowsOf(path.join(ctx.dir, 'a-2.jsonl')).length;

    // A shard that asked fewer models is another run: refused, as any other setting is.
    const fewer = await merge('ab-1.jsonl', 'a-2.jsonl', '-o', 'x.jsonl');
    expect(fewer.code).toBe(2);
    expect(fewer.stderr).toMatch(/a-2\.jsonl was written by a different run than ab-1\.jsonl \(models: was \["ma","mb"\], now \["ma"\]\); pass --force/);
    expect(fs.existsSync(path.join(ctx.dir, 'x.jsonl'))).toBe(false);
    // With --force, --input says which answers are missing: mb's for shard 2's ids.
    const input = literal(at('in.txt'));
    const forced = await mergeHere(['ab-1.jsonl', 'a-2.jsonl'], '-o', at('x.jsonl'), '--force');
    expect(forced.code).toBe(1);
    expect(forced.stderr).toMatch(
      new RegExp(`merged ${24 - inShard2} rows .*; ${inShard2} answers of ${input} have no row: ${input}:\\d+ \\(id \\S+, model "mb"\\)`),
    );
    // The same models in another order are the same run.
    const reordered = await mergeHere(['ab-1.jsonl', 'ba-2.jsonl'], '-o', at('y.jsonl'));
    expect(reordered.code, reordered.stderr).toBe(0);
    expect(reordered.stderr).toMatch(new RegExp(`merged 24 rows .*; every answer of ${input} has a row`));
    expect(rowsOf(path.join(ctx.dir, 'y.jsonl'))).toHaveLength(24);
    // Another --repeat is another run too.
    const repeat = await mergeHere(['ab-1.jsonl', 'r-2.jsonl'], '-o', at('z.jsonl'));
    expect(repeat.code).toBe(2);
    expect(repeat.stderr).toMatch(
      new RegExp(`${literal(at('r-2.jsonl'))} was written by a different run than ${literal(at('ab-1.jsonl'))} \\(repeat: was 1, now 2\\)`),
    );
  });

  it('merge -q prints nothing when every id has a row, and its line when some have none (exit 1)', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(12));
    const outs = [1, 2].map((i) => path.join(ctx.dir, `q-${i}.jsonl`));
    for (const [i, out] of outs.entries()) expect((await runCli([input, '-o', out, '--base-url', ctx.server.url, '--shard', `${i + 1}/2`, '-q'])).code).toBe(0);
    const all = path.join(ctx.dir, 'q-all.jsonl');
    const quiet = await runInWorker(['merge', '-q', ...outs, '-o', all, '--input', input]);
    expect(quiet).toMatchObject({ code: 0, stderr: '' });
    expect(rowsOf(all)).toHaveLength(12);

    const partial = await runInWorker(['merge', '-q', outs[0]!, '-o', path.join(ctx.dir, 'q-part.jsonl'), '--input', input]);
    expect(partial.code).toBe(1);
    expect(partial.stderr).toMatch(/shard 2\/2 not among the outputs/);
    expect(partial.stderr).toMatch(/merged \d+ rows? from 1 file .*; \d+ ids? of .*in\.txt (have|has) no row/);
  });

  it('a shard whose output lost its metadata: "may hold it", and exit 0 once --input finds every id; a text output is refused as one', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(12));
    const outs = [1, 2].map((i) => at(`nm-${i}.jsonl`));
    for (const [i, out] of outs.entries()) expect((await runCli([input, '-o', out, '--base-url', ctx.server.url, '--shard', `${i + 1}/2`, '-q'])).code).toBe(0);
    fs.rmSync(`${outs[1]}.meta.json`);
    const checked = await runInWorker(['merge', ...outs, '-o', at('nm-all.jsonl'), '--input', input]);
    expect(checked.stderr).toContain('llm-batch: shard 2/2 not among the outputs with run metadata (1 output without may hold it)\n');
    expect(checked.stderr).toMatch(/every id of .* has a row\n$/);
    expect(checked.code).toBe(0);
    // Without --input nothing says the rows are there: still exit 1.
    expect((await runInWorker(['merge', ...outs, '-o', at('nm-unchecked.jsonl')])).code).toBe(1);

    const text = at('nm.txt');
    expect((await runCli([input, '-o', text, '--base-url', ctx.server.url, '-q'])).code).toBe(0);
    const refused = await runInWorker(['merge', text, '-o', at('nm-text.jsonl')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`llm-batch: cannot merge ${text}: it is a text output (no ids to merge by); merge reads the JSONL or CSV results of runs\n`);
    expect(fs.existsSync(at('nm-text.jsonl'))).toBe(false);
  });

  it('merge exits 1 when a shard is missing or still being written, also without --input; -q then says its line', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts(12));
    const outs = [1, 2].map((i) => path.join(ctx.dir, `w-${i}.jsonl`));
    const args = (i: number) => [input, '-o', outs[i - 1]!, '--base-url', ctx.server.url, '--shard', `${i}/2`, '-c', '1', '-q'];
    expect((await runCli(args(1))).code).toBe(0);
    const one = await runInWorker(['merge', '-q', outs[0]!, '-o', path.join(ctx.dir, 'one.jsonl')]);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/^llm-batch: shard 2\/2 not among the outputs\nllm-batch: merged \d+ rows? from 1 file /);

    // Shard 2's run holds its lock while its answers wait.
    const release = holdAnswers(ctx.server);
    const sent = ctx.server.requests.length;
    const run = spawnCli(args(2));
    const runDone = waitForExit(run);
    try {
      await until(() => ctx.server.requests.length > sent, 'shard 2 to send a prompt');
      const during = await runCli(['merge', '-q', ...outs, '-o', path.join(ctx.dir, 'during.jsonl')]);
      expect(during.code).toBe(1);
      expect(during.stderr).toMatch(/w-2\.jsonl is still being written by a run in progress .*\nllm-batch: merged \d+ rows? from 2 files /);
    } finally {
      release();
      expect((await runDone).code).toBe(0);
    }
    const after = await runInWorker(['merge', '-q', ...outs, '-o', path.join(ctx.dir, 'after.jsonl')]);
    expect(after).toMatchObject({ code: 0, stderr: '' });
  });

  it('shards that named one input another way merge without --force, and a resume keeps the name recorded; another input is still refused', async () => {
    writePrompts(ctx.dir, 'in.txt', prompts(12));
    fs.mkdirSync(path.join(ctx.dir, 'b'));
    // Another machine's mount of the same input: another path, the same bytes.
    fs.copyFileSync(path.join(ctx.dir, 'in.txt'), path.join(ctx.dir, 'b', 'input.txt'));
    const run = (...args: string[]) => runCli([...args, '--mock', '-q'], { cwd: ctx.dir });
    expect((await run('in.txt', '-o', 'n-1.jsonl', '--shard', '1/3', '--limit', '1')).code).toBe(0);
    expect((await run('./in.txt', '-o', 'n-2.jsonl', '--shard', '2/3')).code).toBe(0);
    expect((await run(path.join(ctx.dir, 'b', 'input.txt'), '-o', 'n-3.jsonl', '--shard', '3/3')).code).toBe(0);
    // Shard 1 finished by hand, the input named by its absolute path: its record keeps "in.txt".
    const resumed = await run(path.join(ctx.dir, 'in.txt'), '-o', 'n-1.jsonl', '--shard', '1/3', '--resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(ctx.dir, 'n-1.jsonl.meta.json'), 'utf8')).input).toBe('in.txt');

    const merged = await runCli(['merge', 'n-1.jsonl', 'n-2.jsonl', 'n-3.jsonl', '-o', 'n-all.jsonl', '--input', 'in.txt'], { cwd: ctx.dir });
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stderr).toMatch(/merged 12 rows from 3 files .*; every id of in\.txt has a row/);

    // Other prompts under the same name: another input, refused as before.
    fs.appendFileSync(path.join(ctx.dir, 'b', 'input.txt'), 'p13\n');
    expect((await run(path.join(ctx.dir, 'b', 'input.txt'), '-o', 'm-3.jsonl', '--shard', '3/3')).code).toBe(0);
    // Merged by whole paths, in this worker: the names compared are the ones the runs recorded.
    const refused = await runInWorker(['merge', at('n-1.jsonl'), at('n-2.jsonl'), at('m-3.jsonl'), '-o', at('m-all.jsonl')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      new RegExp(
        `${literal(at('m-3.jsonl'))} was written by a different run than ${literal(at('n-1.jsonl'))} \\(input: was "in\\.txt", now ".*input\\.txt"; inputFingerprint: was `,
      ),
    );
  });

  it('merge keeps the last row per id: a later success replaces an earlier failure', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['x', 'y']);
    const a = path.join(ctx.dir, 'a.jsonl');
    ctx.server.options.fault = ({ prompt }) => (prompt === 'y' ? '400' : undefined);
    expect((await runCli([input, '-o', a, '--base-url', ctx.server.url])).code).toBe(1);
    // The first run's file (y failed), beside the finished one (a resume compacts its own file).
    const old = path.join(ctx.dir, 'a-old.jsonl');
    fs.copyFileSync(a, old);
    fs.copyFileSync(`${a}.meta.json`, `${old}.meta.json`);
    ctx.server.options.fault = undefined;
    expect((await runCli([input, '-o', a, '--base-url', ctx.server.url, '--resume', '--retry-failed'])).code).toBe(0);
    const all = path.join(ctx.dir, 'all.csv');
    const r = await runInWorker(['merge', old, a, '-o', all]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/merged 2 rows from 2 files .*\(2 superseded rows dropped; 0 failed\)/);
    expect(fs.readFileSync(all, 'utf8')).toMatch(/^id,line,prompt,response/);
  });

  it("--shard with --batch-api submits only the shard's records", async () => {
    ctx.server.options.batches = { stepMs: 20 };
    const input = writePrompts(ctx.dir, 'in.txt', prompts(30));
    const outs = [1, 2].map((i) => path.join(ctx.dir, `b-${i}.jsonl`));
    for (const [i, out] of outs.entries()) {
      const r = await runCli([input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--poll', '0.05', '--shard', `${i + 1}/2`]);
      expect(r.code, r.stderr).toBe(0);
    }
    const lines = ctx.server.batchState.uploaded.map((f) => f.bytes.toString('utf8').trim().split('\n').length);
    expect(lines.reduce((x, y) => x + y, 0)).toBe(30);
    const all = path.join(ctx.dir, 'all.jsonl');
    expect((await runInWorker(['merge', ...outs, '-o', all, '--input', input])).code).toBe(0);
    expect(rowsOf(all)).toHaveLength(30);
  });

  it('a shard that gets no records succeeds and says why (live, -q, --batch-api, --dry-run); merge takes its output; an empty input stays exit 5', async () => {
    // 'only one' hashes to shard 3/3: shards 1 and 2 get nothing (the README's Indexed Job restarts on a non-zero exit).
    const input = writePrompts(ctx.dir, 'one.txt', ['only one']);
    const outs = [1, 2, 3].map((i) => path.join(ctx.dir, `one-${i}.jsonl`));
    for (const [i, out] of outs.entries()) {
      const r = await runCli([input, '-o', out, '--base-url', ctx.server.url, '--shard', `${i + 1}/3`]);
      expect(r.code, r.stderr).toBe(0);
      if (i < 2) {
        expect(r.stderr).toMatch(/shard \d\/3 has none of the 1 record of .*one\.txt \(it hashes to another shard\): nothing to send/);
        expect(r.stderr).not.toMatch(/no prompts/);
      }
      expect(fs.existsSync(`${out}.meta.json`)).toBe(true);
    }
    expect(ctx.server.requests).toHaveLength(1);
    const all = path.join(ctx.dir, 'one-all.jsonl');
    const merged = await runInWorker(['merge', ...outs, '-o', all, '--input', input]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stderr).not.toMatch(/not among the outputs/);
    expect(rowsOf(all)).toHaveLength(1);

    const quiet = await runCli([input, '-o', path.join(ctx.dir, 'q.jsonl'), '--base-url', ctx.server.url, '--shard', '1/3', '-q']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');

    const dry = await runCli([input, '--dry-run', '--shard', '2/3']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/--shard 2\/3: 1 more record of the input hashes to another shard/);

    // With --limit the reading stops at the shard's Nth record: the count is of the records read, and says so.
    const many = writePrompts(
      ctx.dir,
      'many.txt',
      Array.from({ length: 30 }, (_, i) => `m${i}`),
    );
    const whole = await runCli([many, '--dry-run', '--shard', '2/3']);
    const limited = await runCli([many, '--dry-run', '--shard', '2/3', '--limit', '2']);
    expect(whole.stdout).toMatch(/--shard 2\/3: \d+ more records of the input hash to other shards/);
    expect(limited.stdout).toMatch(/--shard 2\/3: \d+ more records? of the input read until --limit 2 was reached hash(es)? to (other shards|another shard)/);
    // A --limit the shard never reaches stops nothing: the count is the whole input's, said so.
    const unreached = await runCli([many, '--dry-run', '--shard', '2/3', '--limit', '100']);
    expect(unreached.stdout).toMatch(/--shard 2\/3: \d+ more records of the input hash to other shards/);

    ctx.server.options.batches = { stepMs: 20 };
    const batch = await runCli([input, '-o', path.join(ctx.dir, 'b1.jsonl'), '--base-url', ctx.server.url, '--batch-api', '--poll', '0.05', '--shard', '1/3']);
    expect(batch.code, batch.stderr).toBe(0);
    expect(batch.stderr).toMatch(/shard 1\/3 has none of the 1 record of .*one\.txt/);
    expect(ctx.server.batchState.uploaded).toHaveLength(0);
    expect(fs.existsSync(path.join(ctx.dir, 'b1.jsonl.meta.json'))).toBe(true);

    const empty = writePrompts(ctx.dir, 'empty.txt', []);
    for (const extra of [[], ['--batch-api', '--poll', '0.05']]) {
      const r = await runCli([empty, '-o', path.join(ctx.dir, `e${extra.length}.jsonl`), '--base-url', ctx.server.url, '--shard', '1/3', ...extra]);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toMatch(/no prompts in .*empty\.txt/);
    }
  });

  it('a bad --shard is a usage error', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['x']);
    const r = await runInWorker([input, '--shard', '4/3', '--base-url', ctx.server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shard.*i must be from 1 to N \(got 4\/3\)/);
  });
});

describe('merge of more shards than it may keep open', () => {
  it('100 shards under ulimit -n 64: every row merged (it kept every file open, and failed with EMFILE)', async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'many-'));
    for (let i = 1; i <= 100; i++) fs.writeFileSync(path.join(dir, `s${i}.jsonl`), `${JSON.stringify(okRow(`r${i}`, `R${i}`))}\n`);
    const r = await runShell('ulimit -n 64 && $LLM merge s*.jsonl -o all.jsonl -q', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(
      rowsOf(path.join(dir, 'all.jsonl'))
        .map((row) => row.id)
        .sort(),
    ).toEqual(Array.from({ length: 100 }, (_, i) => `r${i + 1}`).sort());
  });
});
