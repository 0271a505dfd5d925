/**
 * Path checks compare what is on disk, not only names: --compact's, merge's and report's -o
 * reached through a symlink or hard link to one of their inputs would empty it. Each is refused
 * with exit 2 before anything is written. Spawns the BUILT CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
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
    const r = await runCli(args(c));
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
