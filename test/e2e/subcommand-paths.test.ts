/**
 * The paths `merge`, `--compact`, `report`, `status`, `cancel` and `cache` read or write, and a
 * run's `--cache-dir` and its `-o` with `--resume` or `--overwrite`, when they cannot be looked up
 * (a file used as a directory, a symlink loop, a name over 255 bytes, a directory the user may not
 * enter): one line naming the flag (or what the file is), the path and why, in the words a run's
 * --output / --summary-json / --trace use, exit 2.
 * Never Node's own wording ("EACCES: permission denied, open '…'"). The BUILT CLI, with --mock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeAtRunEnd, runCli, runCliAsUser, tempDir, userCanRunCli, type CliResult } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const tmp = tempDir('llm-batch-subcommand-paths-');
afterAll(() => tmp.cleanup());
const at = (name: string) => path.join(tmp.dir, name);

beforeAll(async () => {
  fs.writeFileSync(at('p.txt'), 'one\ntwo\n');
  fs.symlinkSync('loop2', at('loop1'));
  fs.symlinkSync('loop1', at('loop2'));
  const made = await runCli([at('p.txt'), '--mock', '-o', at('out.jsonl'), '-q']);
  expect(made.code, made.stderr).toBe(0);
});

const LONG = 'a'.repeat(300);
/** A path that cannot be looked up, as a name ending in `ext`, and the words that say why. */
const PATHS = [
  ['a file used as a directory', (ext: string) => at(`p.txt/x${ext}`), /not a directory$/],
  ['a symlink loop', (ext: string) => at(ext === '' ? 'loop1' : `loop1/x${ext}`), /: too many symbolic links \(a symlink loop\?\)$/],
  ['a name over 255 bytes', (ext: string) => at(`${LONG}${ext}`), /: the name is too long \(at most 255 bytes a name, 4096 a path\)$/],
] as const;

/** Each use of a path: the command line around it, and how its line begins. */
const USES = [
  ['merge -o', (p: string) => ['merge', at('out.jsonl'), '-o', p], '.jsonl', (p: string) => `-o ${p}: `],
  ['merge OUTPUT', (p: string) => ['merge', p, '-o', '-'], '.jsonl', (p: string) => `cannot merge ${p}: `],
  ['merge --input', (p: string) => ['merge', at('out.jsonl'), '-o', '-', '--input', p], '.txt', (p: string) => `cannot read input file ${p}: `],
  ['--compact -o', (p: string) => ['--compact', at('out.jsonl'), '-o', p], '.jsonl', (p: string) => `--output ${p}: `],
  ['--compact INPUT', (p: string) => ['--compact', p, '-o', '-'], '.jsonl', (p: string) => `cannot read input file ${p}: `],
  ['report -o', (p: string) => ['report', at('out.jsonl'), '-o', p], '.html', (p: string) => `--output ${p}: `],
  ['report RESULTS', (p: string) => ['report', p], '.jsonl', (p: string) => `cannot read results file ${p}: `],
  ['report --summary-json', (p: string) => ['report', at('out.jsonl'), '-o', '-', '--summary-json', p], '.json', (p: string) => `--summary-json ${p}: `],
  ['status OUTPUT', (p: string) => ['status', p], '.jsonl', (p: string) => `cannot read batch manifest ${p}.batch.json: `],
  ['cancel OUTPUT', (p: string) => ['cancel', p], '.jsonl', (p: string) => `cannot read batch manifest ${p}.batch.json: `],
  ['cache stats --cache-dir', (p: string) => ['cache', 'stats', '--cache-dir', p], '', (p: string) => `--cache-dir ${p}: `],
  ['cache clear --cache-dir', (p: string) => ['cache', 'clear', '--cache-dir', p], '', (p: string) => `--cache-dir ${p}: `],
  ['a run --json-schema', (p: string) => [at('p.txt'), '--mock', '-o', '-', '--json-schema', p], '.json', (p: string) => `--json-schema ${p}: `],
  ['a run --prices', (p: string) => [at('p.txt'), '--mock', '-o', '-', '--prices', p], '.json', (p: string) => `--prices ${p}: `],
  ['report --prices', (p: string) => ['report', at('out.jsonl'), '-o', '-', '--prices', p], '.json', (p: string) => `--prices ${p}: `],
  ['a run --cache-dir', (p: string) => [at('p.txt'), '--mock', '-o', '-', '--cache-dir', p], '', (p: string) => `--cache-dir ${p}: `],
  // Said as the output's, not as the batch state's beside it, which these read first.
  ['a run --resume -o', (p: string) => [at('p.txt'), '--mock', '-o', p, '--resume'], '.jsonl', (p: string) => `--output ${p}: `],
  ['a run --overwrite -o', (p: string) => [at('p.txt'), '--mock', '-o', p, '--overwrite'], '.jsonl', (p: string) => `--output ${p}: `],
] as const;

function expectOneLine(r: CliResult, begins: string, why: RegExp): void {
  expect(r.stderr).not.toMatch(/E[A-Z]{3,}: |internal error|\n\s+at /);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]!.startsWith(`llm-batch: ${begins}`), lines[0]).toBe(true);
  expect(lines[0]!.replace(/ \(choose another --cache-dir, or --no-cache\)$/, '')).toMatch(why);
  expect(r.code).toBe(2);
}

describe.concurrent('a subcommand path that cannot be looked up', () => {
  it.each(USES.flatMap(([use, args, ext, begins]) => PATHS.map(([what, p, why]) => [use, what, args(p(ext)), begins(p(ext)), why] as const)))(
    '%s, %s: one line naming it and why, exit 2',
    async (_use, _what, args, begins, why) => {
      expectOneLine(await runInWorker(args), begins, why);
    },
  );
});

describe.concurrent('status and cancel of an OUTPUT that is not there, or not a --batch-api run’s', () => {
  it.each(['status', 'cancel'])('%s: a missing file is "no such file", as report and merge say it; a directory is no results file', async (command) => {
    expectOneLine(await runCli([command, at('typo.jsonl')]), `cannot read results file ${at('typo.jsonl')}: `, /: no such file$/);
    expectOneLine(await runInWorker([command, tmp.dir]), `${tmp.dir} is a directory, not a results file`, /file$/);
  });

  it.each([
    [['status', ''], 'cannot read results file : the name is empty (an unset variable?)'],
    [['report', ''], 'cannot read results file : the name is empty (an unset variable?)'],
    [['report', '-'], 'cannot read results file -: stdin (-) is not read here: give the file, saving piped results to one first'],
    [['merge', '-', 'x.jsonl', '-o', 'm.jsonl'], 'cannot merge -: stdin (-) is not read here: give the file, saving piped results to one first'],
  ])('%j: an empty name, or stdin, said as such (they were "no such file")', async (args, line) => {
    const r = await runCli(args, { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`llm-batch: ${line}\n`);
  });

  it.each(['status', 'cancel'])('%s: a live run’s output is said to have no batch manifest', async (command) => {
    const out = at('out.jsonl');
    expectOneLine(await runInWorker([command, out]), `${out}.batch.json not found: ${out} was not written by an llm-batch --batch-api run`, /run$/);
  });
});

// Needs root to make a directory another user cannot enter, and a node that user can run.
describe.runIf(process.getuid?.() === 0 && userCanRunCli())('a subcommand path in a directory the user may not enter', () => {
  // Made while the suite is collected, also when its tests are skipped and its afterAll does not run: recorded.
  const open = removeAtRunEnd(fs.mkdtempSync(path.join('/tmp', 'llm-batch-sub-eacces-')));
  const priv = path.join(open, 'priv');
  beforeAll(() => {
    fs.chmodSync(open, 0o755);
    fs.mkdirSync(priv, { mode: 0o700 });
    fs.copyFileSync(at('out.jsonl'), path.join(open, 'out.jsonl'));
    fs.copyFileSync(at('out.jsonl.meta.json'), path.join(open, 'out.jsonl.meta.json'));
    fs.chmodSync(path.join(open, 'out.jsonl'), 0o644);
    fs.chmodSync(path.join(open, 'out.jsonl.meta.json'), 0o644);
    fs.copyFileSync(at('p.txt'), path.join(open, 'p.txt'));
    fs.chmodSync(path.join(open, 'p.txt'), 0o644);
  });
  afterAll(() => fs.rmSync(open, { recursive: true, force: true }));

  it.each(USES.map(([use, args, ext, begins]) => [use, args, ext, begins] as const))('%s: "permission denied", exit 2', async (_use, args, ext, begins) => {
    const p = path.join(priv, `x${ext}`);
    // The other files of the command line are readable (in the open directory), the path is not.
    const line = args(p).map((a) => (a === at('out.jsonl') || a === at('p.txt') ? path.join(open, path.basename(a)) : a));
    expectOneLine(await runCliAsUser(line, ''), begins(p), /: permission denied$/);
  });
});
