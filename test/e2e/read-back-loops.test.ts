/**
 * A file the run writes that is also a file it reads would feed its own lines back in as prompts
 * (paid for, for ever), or replace the prompts, the template or the cache's store: stdout appended
 * to the input (`llm-batch q.txt >> q.txt`), a side file (--trace, --summary-json, --report) that is
 * the file on stdin, a `-t @`/`-s @` file, or the cache's store. Each is refused with exit 2 before
 * anything is sent, the file kept. Spawns the BUILT CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runShell } from '../helpers/run-cli.js';
import { useServers } from '../helpers/mock-server-hooks.js';

const { dir: root, fresh } = useServers('llm-batch-read-back-');
const PROMPTS = 'one\ntwo\n';

/** A directory of its own with p.txt in it. */
function caseDir(): { dir: string; at: (name: string) => string } {
  const dir = fs.mkdtempSync(path.join(root, 'case-'));
  fs.writeFileSync(path.join(dir, 'p.txt'), PROMPTS);
  return { dir, at: (name) => path.join(dir, name) };
}

describe.concurrent('stdout appended to the file being read (`llm-batch q.txt >> q.txt`)', () => {
  it.each([
    ['the input file', 'p.txt >> p.txt', /^llm-batch: standard output is the input file p\.txt: redirect it to another file/],
    ['the input file, through a hard link', 'p.txt >> link.txt', /standard output is the input file p\.txt/],
    ['the file on stdin', '< p.txt >> p.txt', /^llm-batch: standard output is the file on standard input: redirect it to another file/],
    ['the file on stdin, -o -', '-o - < p.txt >> p.txt', /standard output is the file on standard input/],
    ['the input file, --dry-run', '--dry-run p.txt >> p.txt', /standard output is the input file p\.txt/],
  ])('%s: exit 2, nothing sent, the file kept', async (_, redirect, message) => {
    const { server } = await fresh();
    const c = caseDir();
    fs.linkSync(c.at('p.txt'), c.at('link.txt'));
    const r = await runShell(`$LLM --base-url ${server.url} ${redirect}`, c.dir);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(0);
    expect(fs.readFileSync(c.at('p.txt'), 'utf8')).toBe(PROMPTS);
  });

  it('another file, or a pipe, on stdout is fine', async () => {
    const { server } = await fresh();
    const c = caseDir();
    const r = await runShell(`$LLM -q --base-url ${server.url} p.txt >> rows.jsonl && $LLM -q --base-url ${server.url} < p.txt | cat > piped.jsonl`, c.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const out of ['rows.jsonl', 'piped.jsonl']) expect(fs.readFileSync(c.at(out), 'utf8').trim().split('\n'), out).toHaveLength(2);
  });
});

describe.concurrent('a side file that is a file the run reads', () => {
  it.each([
    ['--trace, the file on stdin', '-o out.jsonl --trace p.txt < p.txt', /^llm-batch: --trace p\.txt is the file on standard input: choose another path/],
    ['--summary-json, the file on stdin', '-o out.jsonl --overwrite --summary-json p.txt < p.txt', /--summary-json p\.txt is the file on standard input/],
    ['--report, the file on stdin', '-o out.jsonl --report p.txt < p.txt', /--report p\.txt is the file on standard input/],
    ['--trace, stdout that is the file on stdin', '-o out.jsonl --trace - < p.txt >> p.txt', /--trace \/dev\/stdout is the file on standard input/],
    ['--trace, the -t @ file', 'p.txt -o out.jsonl -t @p.tmpl --trace p.tmpl', /^llm-batch: --trace p\.tmpl is the --template file: choose another path/],
    ['--summary-json, the -s @ file', 'p.txt -o out.jsonl -s @p.tmpl --overwrite --summary-json p.tmpl', /--summary-json p\.tmpl is the --system file/],
    ['--report, the -t @ file', 'p.txt -o out.jsonl -t @p.tmpl --report p.tmpl', /--report p\.tmpl is the --template file/],
    [
      '--trace, the cache store',
      'p.txt -o out.jsonl --cache-dir c --trace c/answers-v2.lmdb',
      /^llm-batch: --trace c\/answers-v2\.lmdb is the cache store file/,
    ],
    ['--summary-json, the cache store’s lock', 'p.txt -o out.jsonl --cache-dir c --summary-json c/answers-v2.lmdb-lock', /is the cache store’s lock file/],
    ['-o, the -t @ file', 'p.txt -o p.tmpl -f jsonl --overwrite -t @p.tmpl', /^llm-batch: --output p\.tmpl is the --template file: choose another path/],
    ['-o, the -s @ file', 'p.txt -o p.tmpl -f jsonl --resume -s @p.tmpl', /--output p\.tmpl is the --system file/],
  ])('%s: exit 2, nothing sent, the file kept', async (_, args, message) => {
    const { server } = await fresh();
    const c = caseDir();
    fs.writeFileSync(c.at('p.tmpl'), 'Say {{prompt}}\n');
    const r = await runShell(`$LLM --base-url ${server.url} ${args}`, c.dir);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(0);
    expect(fs.readFileSync(c.at('p.txt'), 'utf8')).toBe(PROMPTS);
    expect(fs.readFileSync(c.at('p.tmpl'), 'utf8')).toBe('Say {{prompt}}\n');
    expect(fs.readdirSync(c.dir).sort()).toEqual(['p.tmpl', 'p.txt']);
  });
});
