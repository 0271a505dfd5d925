/**
 * Path checks compare what is on disk, not only names: a file the run writes (-o, --summary-json,
 * --trace, --report; --compact's, merge's and report's -o) reached through a symlink or hard link
 * to one it reads would empty or overwrite it, and an input named like one of the output's own
 * files (OUT.meta.json, OUT.lock) would be overwritten or taken for a lock. Each is refused with
 * exit 2 before anything is sent or written. Spawns the BUILT CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, runShell } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { useServers } from '../helpers/mock-server-hooks.js';

const { dir: root, fresh } = useServers('llm-batch-linked-paths-');
const PROMPTS = 'one\ntwo\n';

/** A directory of its own with p.txt in it, and `link` made by `how` to `target` (names in that directory). */
function caseDir(): { dir: string; at: (name: string) => string; link: (how: 'symlink' | 'hard link', target: string, link: string) => void } {
  const dir = fs.mkdtempSync(path.join(root, 'case-'));
  fs.writeFileSync(path.join(dir, 'p.txt'), PROMPTS);
  const at = (name: string) => path.join(dir, name);
  return {
    dir,
    at,
    link: (how, target, link) => (how === 'symlink' ? fs.symlinkSync(target, at(link)) : fs.linkSync(at(target), at(link))),
  };
}

/** Every file in `dir` with its contents (a symlink as its target: it may dangle). */
const snapshot = (dir: string) =>
  Object.fromEntries(
    fs.readdirSync(dir).map((f) => {
      const file = path.join(dir, f);
      return [f, fs.lstatSync(file).isSymbolicLink() ? `-> ${fs.readlinkSync(file)}` : fs.readFileSync(file, 'utf8')];
    }),
  );

describe.concurrent('a side file reached through a link to a file the run reads or writes', () => {
  it.each([
    ['--summary-json', 'symlink', 'p.txt', /--summary-json \S+link is the input file: choose another path/],
    ['--summary-json', 'hard link', 'p.txt', /--summary-json \S+link is the input file/],
    ['--trace', 'symlink', 'p.txt', /--trace \S+link is the input file/],
    ['--trace', 'hard link', 'p.txt', /--trace \S+link is the input file/],
    ['--report', 'symlink', 'p.txt', /--report \S+link is the input file/],
    ['--summary-json', 'symlink', 'out.jsonl.meta.json', /--summary-json \S+link is the output’s run settings file/],
    ['--trace', 'symlink', 'out.jsonl', /--trace \S+link is the output file/],
  ] as const)('%s via a %s to %s: exit 2, nothing sent, nothing changed', async (flag, how, target, message) => {
    const { server } = await fresh();
    const c = caseDir();
    c.link(how, target, 'link');
    const before = snapshot(c.dir);
    const r = await runInWorker([c.at('p.txt'), '-o', c.at('out.jsonl'), flag, c.at('link'), '--base-url', server.url]);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(0);
    expect(snapshot(c.dir)).toEqual(before);
  });
});

describe.concurrent('--summary-json replaces only an earlier summary', () => {
  it.each([
    ['a CSV', 'keep.csv', 'a,b\n1,2\n'],
    ['results of another run', 'last-night.jsonl', '{"id":"1","response":"x"}\n'],
    ['JSON that is not a summary', 'config.json', '{"ok":1}\n'],
  ])('%s: exit 2 without --overwrite, replaced with it', async (_name, file, text) => {
    const { server, run } = await fresh();
    const c = caseDir();
    fs.writeFileSync(c.at(file), text);
    const r = await runInWorker([c.at('p.txt'), '-o', c.at('out.jsonl'), '--summary-json', c.at(file), '--base-url', server.url]);
    expect(r.stderr).toMatch(
      new RegExp(`--summary-json \\S+${file.replace('.', '\\.')} already exists and is not an llm-batch summary: choose another path, or pass --overwrite`),
    );
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(0);
    expect(fs.readFileSync(c.at(file), 'utf8')).toBe(text);
    expect(fs.existsSync(c.at('out.jsonl'))).toBe(false);

    const again = await run([c.at('p.txt'), '-o', c.at('out.jsonl'), '--summary-json', c.at(file), '--overwrite']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(c.at(file), 'utf8'))).toMatchObject({ ok: 2, failed: 0 });
  });

  it('an earlier summary (and an empty file) is replaced without --overwrite, as a nightly job does', async () => {
    const { run } = await fresh();
    const c = caseDir();
    const first = await run([c.at('p.txt'), '-o', c.at('a.jsonl'), '--summary-json', c.at('s.json')]);
    expect(first.code, first.stderr).toBe(0);
    fs.appendFileSync(c.at('p.txt'), 'three\n');
    const second = await run([c.at('p.txt'), '-o', c.at('b.jsonl'), '--summary-json', c.at('s.json')]);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(c.at('s.json'), 'utf8'))).toMatchObject({ ok: 3 });
    fs.writeFileSync(c.at('empty.json'), '');
    const third = await run([c.at('p.txt'), '-o', c.at('c.jsonl'), '--summary-json', c.at('empty.json')]);
    expect(third.code, third.stderr).toBe(0);
  });
});

describe.concurrent('an input that is one of the output’s own files', () => {
  it.each([
    [
      'out.jsonl.meta.json',
      /^llm-batch: the input \S+out\.jsonl\.meta\.json is the run settings file of --output \S+out\.jsonl, which the run writes: choose another output path/m,
    ],
    ['out.jsonl.lock', /^llm-batch: the input \S+out\.jsonl\.lock is the lock file of --output \S+out\.jsonl/m],
    ['out.jsonl.batch.json', /the input \S+ is the batch manifest file of --output/],
  ])('%s: exit 2, the input kept, nothing sent', async (name, message) => {
    const { server } = await fresh();
    const c = caseDir();
    fs.writeFileSync(c.at(name), PROMPTS);
    const r = await runInWorker([c.at(name), '--input-format', 'txt', '-o', c.at('out.jsonl'), '--base-url', server.url]);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/delete/);
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(0);
    expect(fs.readFileSync(c.at(name), 'utf8')).toBe(PROMPTS);
    expect(fs.existsSync(c.at('out.jsonl'))).toBe(false);
  });

  it('the same through a symlink to the input', async () => {
    const { server } = await fresh();
    const c = caseDir();
    c.link('symlink', 'p.txt', 'out.jsonl.meta.json');
    // In the worker: a refusal as a child process is the merge's below and the `-o out < out` shell lines'.
    const r = await runInWorker([c.at('p.txt'), '-o', c.at('out.jsonl'), '--base-url', server.url]);
    expect(r.stderr).toMatch(/the input \S+p\.txt is the run settings file of --output/);
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(0);
    expect(fs.readFileSync(c.at('p.txt'), 'utf8')).toBe(PROMPTS);
  });
});

describe.concurrent('--compact, merge and report with -o a link to an input', () => {
  /** A results file of two rows (and its run settings) in a fresh case directory. */
  async function withResults(): Promise<ReturnType<typeof caseDir> & { results: string }> {
    const { run } = await fresh();
    const c = caseDir();
    const r = await run([c.at('p.txt'), '-o', c.at('res.jsonl')]);
    expect(r.code, r.stderr).toBe(0);
    return { ...c, results: fs.readFileSync(c.at('res.jsonl'), 'utf8') };
  }

  it.each([
    [
      '--compact',
      'symlink',
      (c: ReturnType<typeof caseDir>) => ['--compact', c.at('res.jsonl'), '-o', c.at('link'), '--overwrite'],
      /--output \S+link is the input file/,
    ],
    [
      '--compact',
      'hard link',
      (c: ReturnType<typeof caseDir>) => ['--compact', c.at('res.jsonl'), '-o', c.at('link'), '--overwrite'],
      /--output \S+link is the input file/,
    ],
    [
      'merge',
      'symlink',
      (c: ReturnType<typeof caseDir>) => ['merge', c.at('copy.jsonl'), c.at('res.jsonl'), '-o', c.at('link'), '--overwrite'],
      /-o \S+link is one of the outputs to merge/,
    ],
    [
      'merge',
      'hard link',
      (c: ReturnType<typeof caseDir>) => ['merge', c.at('copy.jsonl'), c.at('res.jsonl'), '-o', c.at('link'), '--overwrite'],
      /-o \S+link is one of the outputs to merge/,
    ],
    [
      'report',
      'symlink',
      (c: ReturnType<typeof caseDir>) => ['report', c.at('res.jsonl'), '-o', c.at('link'), '--overwrite'],
      /--output \S+link is the results file/,
    ],
    [
      'report',
      'hard link',
      (c: ReturnType<typeof caseDir>) => ['report', c.at('res.jsonl'), '-o', c.at('link'), '--overwrite'],
      /--output \S+link is the results file/,
    ],
  ] as const)('%s, -o a %s to the results: exit 2, the results kept', async (_cmd, how, args, message) => {
    const c = await withResults();
    fs.copyFileSync(c.at('res.jsonl'), c.at('copy.jsonl'));
    c.link(how, 'res.jsonl', 'link');
    const r = await runInWorker(args(c));
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(fs.readFileSync(c.at('res.jsonl'), 'utf8')).toBe(c.results);
  });

  it('merge with -o a link to its --input: exit 2, the input kept', async () => {
    const c = await withResults();
    c.link('symlink', 'p.txt', 'link.jsonl');
    const r = await runCli(['merge', c.at('res.jsonl'), '-o', c.at('link.jsonl'), '--input', c.at('p.txt'), '--overwrite']);
    expect(r.stderr).toMatch(/-o \S+link\.jsonl is the --input file/);
    expect(r.code).toBe(2);
    expect(fs.readFileSync(c.at('p.txt'), 'utf8')).toBe(PROMPTS);
  });
});

describe.concurrent('-o the file that is on standard input (`-o out < out`)', () => {
  it.each([
    ['--overwrite', 'p.txt'],
    ['--resume', 'res.jsonl'],
    ['--overwrite', 'link'],
  ])('%s with stdin redirected from %s: exit 2 before anything is sent, the file kept', async (flag, name) => {
    const { server } = await fresh();
    const c = caseDir();
    if (name === 'res.jsonl') fs.writeFileSync(c.at(name), '');
    if (name === 'link') c.link('hard link', 'p.txt', 'link');
    const before = fs.readFileSync(c.at(name), 'utf8');
    // The shell opens stdin; the run is given the same file by another name or the same name.
    const target = name === 'link' ? 'p.txt' : name;
    const r = await runShell(`$LLM -o ${target} ${flag} --base-url ${server.url} < ${name}`, c.dir);
    expect(r.stderr).toMatch(new RegExp(`--output ${target.replace('.', '\\.')} is the file on standard input: choose another path`));
    expect(r.code).toBe(2);
    expect(fs.readFileSync(c.at(name), 'utf8')).toBe(before);
    expect(server.requests).toHaveLength(0);
  });

  it('a pipe or another file on stdin is fine', async () => {
    const { server } = await fresh();
    const c = caseDir();
    const r = await runShell(`cat p.txt | $LLM -o out.jsonl -q --base-url ${server.url} && $LLM -o out2.jsonl -q --base-url ${server.url} < p.txt`, c.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const out of ['out.jsonl', 'out2.jsonl']) expect(fs.readFileSync(c.at(out), 'utf8').trim().split('\n'), out).toHaveLength(2);
  });
});
