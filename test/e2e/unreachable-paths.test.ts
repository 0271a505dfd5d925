/**
 * A path the run writes or reads that cannot even be looked up — a file used as a directory, a
 * symlink loop, a name over 255 bytes, a directory the user may not enter — is a usage error: one
 * line naming the flag, the path and why, exit 2, nothing sent. Before, `-o` such a path reached
 * a bare stat() and ended in "internal error" with a stack trace and exit 1 ("some prompts failed").
 * Spawns the BUILT CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { removeAtRunEnd, userCanRunCli, runCliAsUser, runShell } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const { dir: root, fresh } = useServers('llm-batch-unreachable-paths-');

/** A directory of its own holding p.txt (the prompts) and the loop `loop1 -> loop2 -> loop1`. */
function caseDir(): string {
  const dir = fs.mkdtempSync(path.join(root, 'case-'));
  fs.writeFileSync(path.join(dir, 'p.txt'), 'one\ntwo\n');
  fs.symlinkSync('loop2', path.join(dir, 'loop1'));
  fs.symlinkSync('loop1', path.join(dir, 'loop2'));
  return dir;
}

const LONG = 'a'.repeat(300);
const CASES = [
  ['a file used as a directory', 'p.txt/out.jsonl', /is not a directory$/],
  ['a symlink loop', 'loop1', /: too many symbolic links \(a symlink loop\?\)$/],
  ['a directory through a symlink loop', 'loop1/out.jsonl', /: too many symbolic links \(a symlink loop\?\)$/],
  ['a name over 255 bytes', `${LONG}.jsonl`, /: the name is too long \(at most 255 bytes a name, 4096 a path\)$/],
] as const;

describe.concurrent('-o a path that cannot be looked up', () => {
  it.each(
    CASES.flatMap(([what, out, why]) => [[what, 'live', out, why, []] as const, [what, '--batch-api', out, why, ['--batch-api', '--poll', '0.05']] as const]),
  )('%s, %s: one line naming -o, the path and why; exit 2, nothing sent or written', async (what, _mode, out, why, extra) => {
    const { server, run } = await fresh();
    const dir = caseDir();
    const before = fs.readdirSync(dir).sort();
    const args = [path.join(dir, 'p.txt'), '-o', path.join(dir, out), '--no-cache', ...extra];
    // A refusal before anything runs: the first case of each mode is a child process, the others run in the worker.
    const r = what === CASES[0][0] ? await run(args) : await runInWorker([...args, '--base-url', server.url]);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`llm-batch: --output ${path.join(dir, out)}: `);
    expect(lines[0]).toMatch(why);
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(0);
    expect(server.batchState.counts.uploads).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  });
});

/**
 * A name the file system takes for -o whose side files it does not: the run keeps OUT.meta.json
 * (live) or OUT.batch.json (--batch-api) beside it, each written through OUT.….PID.tmp. 242 bytes
 * leave the output's own probe (OUT.PID.tmp) within 255 for a pid of up to 7 digits, and those not
 * for a pid of 1 digit (at 237 bytes a pid under 1000 made OUT.meta.json.PID.tmp fit: the run ran).
 * Before, a live run failed after its checks in the system's words: "Cannot write run metadata …:
 * ENAMETOOLONG: name too long, stat '…'".
 */
describe.concurrent('-o a name too long for the files kept beside it', () => {
  const NAME = `${'m'.repeat(236)}.jsonl`;
  it.each([
    ['live', 'live', []],
    ['--batch-api', 'worker', ['--batch-api', '--poll', '0.05']],
  ] as const)('%s: one line naming -o and the side file, exit 2, nothing sent or written', async (_mode, where, extra) => {
    const { server, run } = await fresh();
    const dir = caseDir();
    const before = fs.readdirSync(dir).sort();
    const out = path.join(dir, NAME);
    const args = [path.join(dir, 'p.txt'), '-o', out, '--no-cache', ...extra];
    const r = where === 'live' ? await run(args) : await runInWorker([...args, '--base-url', server.url]);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const side = extra.length ? `${NAME}.batch.json.` : `${NAME}.meta.json.`;
    expect(lines[0]).toContain(`llm-batch: --output ${out}: `);
    expect(lines[0]).toContain(`: the name is too long for the files kept beside it (${side}`);
    expect(lines[0]).toMatch(/\.tmp is longer than the file system takes\)$/);
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(0);
    expect(server.batchState.counts.uploads).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  });
});

describe.concurrent('the other path flags, with the same paths: one line, exit 2, nothing sent', () => {
  it.each(
    (['--report', '--trace', '--cache-dir', 'input'] as const).flatMap((flag) =>
      CASES.map(([what, p]) => [flag, what, flag === 'input' ? p.replace('.jsonl', '.txt') : p.replace('.jsonl', '.html')] as const),
    ),
  )('%s, %s', async (flag, what, p) => {
    const { server, run } = await fresh();
    const dir = caseDir();
    const at = path.join(dir, p);
    const args = flag === 'input' ? [at, '-o', '-'] : [path.join(dir, 'p.txt'), '-o', '-', flag, at];
    // A refusal before anything runs: each flag's first case is a child process, the others run in the worker.
    const r = what === CASES[0][0] ? await run(args) : await runInWorker([...args, '--base-url', server.url]);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(at);
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(0);
  });
});

describe.concurrent('a working directory that cannot be named', () => {
  const GONE = 'llm-batch: the working directory is gone (removed while this shell was in it): cd to one that exists and run again\n';
  const DEEP = "llm-batch: the working directory's path is too long for this system (over PATH_MAX): cd to one with a shorter path and run again\n";
  // 25 names of 200 bytes: 5,000 bytes of path, more than PATH_MAX (4,096), made one level at a time.
  const intoDeep = `for i in $(seq 25); do mkdir ${'d'.repeat(200)} && cd ${'d'.repeat(200)} || exit 9; done`;
  it.each([
    ['removed (mkdir d; cd d; rmdir ../d)', 'mkdir gone && cd gone && rmdir ../gone', '', GONE],
    ['removed, --batch-api with --summary-json', 'mkdir gone && cd gone && rmdir ../gone', '--batch-api --summary-json s.json', GONE],
    ['deeper than PATH_MAX', intoDeep, '', DEEP],
  ])('%s: one line, exit 2, nothing sent (not an internal error)', async (_what, into, extra, said) => {
    const { server } = await fresh();
    const dir = caseDir();
    const out = extra.includes('--batch-api') ? path.join(dir, 'out.jsonl') : 'out.jsonl';
    // Removed by the shell: node's recursive removal stops at PATH_MAX.
    const r = await runShell(
      `(${into} && $LLM ${path.join(dir, 'p.txt')} -o ${out} ${extra} --base-url ${server.url} --no-cache); rc=$?; cd ${dir} && rm -rf ${'d'.repeat(200)}; exit $rc`,
      dir,
    );
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: said });
    expect(server.requests).toHaveLength(0);
    expect(server.batchState.counts.uploads).toBe(0);
  });
});

// Needs root to make a directory another user cannot enter, and a node that user can run.
describe.runIf(process.getuid?.() === 0 && userCanRunCli())('-o in a directory the user may not enter', () => {
  it.each([
    ['live', []],
    ['--batch-api', ['--batch-api', '--poll', '0.05']],
  ] as const)('%s: "permission denied", exit 2, nothing sent', async (_mode, extra) => {
    const { server } = await fresh();
    const open = removeAtRunEnd(fs.mkdtempSync(path.join('/tmp', 'llm-batch-eacces-')));
    try {
      fs.chmodSync(open, 0o755);
      const priv = path.join(open, 'priv');
      fs.mkdirSync(priv, { mode: 0o700 });
      const out = path.join(priv, 'out.jsonl');
      const r = await runCliAsUser(['--base-url', server.url, '--no-cache', '-o', out, ...extra], 'one\ntwo\n');
      expect(r.stderr).toBe(`llm-batch: --output ${out}: permission denied\n`);
      expect(r.code).toBe(2);
      expect(server.requests).toHaveLength(0);
      expect(server.batchState.counts.uploads).toBe(0);
    } finally {
      fs.rmSync(open, { recursive: true, force: true });
    }
  });
});
