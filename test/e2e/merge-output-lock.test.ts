/**
 * The `-o` file of `merge` and `--compact`: a run's lock on it is respected (and theirs held while
 * they write it), the temp files of killed merges are removed, `--input -` is stdin, and a resume's
 * compaction line groups its digits. Through the BUILT CLI and the mock server.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdAnswers, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { textSoFar, until } from '../helpers/until.js';

const ctx = useServerAndCaseDir('llm-batch-merge-lock-');

const prompts = (n: number, tag = 'q') => Array.from({ length: n }, (_, i) => `${tag}${i + 1}`);
const lineCount = (file: string) => parseJsonl(fs.readFileSync(file, 'utf8')).length;

/** A finished output of `n` prompts (with its .meta.json), for merge and --compact to read. */
async function finishedOutput(name: string, n: number): Promise<string> {
  const input = writePrompts(ctx.dir, `${name}.txt`, prompts(n, name));
  const out = path.join(ctx.dir, `${name}.jsonl`);
  const r = await runCli([input, '-o', out, '--mock', '-q']);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

/** A pid that has exited: what a merge killed with kill -9 leaves in its temp file's name. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise<void>((resolve) => child.on('close', () => resolve()));
  return child.pid!;
}

describe('merge and --compact into an output a run is writing', () => {
  it.each([
    ['merge', (src: string, out: string) => ['merge', src, '-o', out, '--overwrite']],
    ['--compact', (src: string, out: string) => ['--compact', src, '-o', out, '--overwrite']],
  ])('%s -o OUT --overwrite is refused while a run holds OUT.lock (exit 75, naming it and the run); the run keeps every row', async (_name, args) => {
    const other = await finishedOutput('other', 4);
    const input = writePrompts(ctx.dir, 'p.txt', prompts(3, 'live'));
    const out = path.join(ctx.dir, 'out.jsonl');
    // The answers wait until the merge was refused: the run holds its lock all that time.
    const release = holdAnswers(ctx.server);
    const run = spawnCli([input, '-o', out, '-c', '1', '--base-url', ctx.server.url]);
    const runDone = waitForExit(run);
    let metaBefore = '';
    try {
      await until(() => ctx.server.requests.length >= 1, 'the run to send a prompt');
      metaBefore = fs.readFileSync(`${out}.meta.json`, 'utf8');
      const refused = await runCli(args(other, out));
      expect(refused.code, refused.stderr).toBe(75);
      expect(refused.stderr).toContain(`${out}.lock`);
      expect(refused.stderr).toContain(`pid ${run.pid}`);
      expect(refused.stderr).toMatch(/nothing was changed/);
      expect(fs.readFileSync(`${out}.meta.json`, 'utf8')).toBe(metaBefore);
    } finally {
      release();
    }
    expect((await runDone).code).toBe(0);
    // The run's rows are in the file it wrote, not in one a rename unlinked.
    expect(
      parseJsonl<{ prompt: string }>(fs.readFileSync(out, 'utf8'))
        .map((r) => r.prompt)
        .sort(),
    ).toEqual(prompts(3, 'live'));
    expect(fs.readFileSync(`${out}.meta.json`, 'utf8')).toBe(metaBefore);
    expect(fs.readdirSync(ctx.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a merge holds OUT.lock until it is done: a run into OUT started meanwhile is refused', async () => {
    const a = await finishedOutput('a', 5);
    const out = path.join(ctx.dir, 'all.jsonl');
    const stdinInput = prompts(5, 'a').join('\n') + '\n';
    // `--input -` with stdin left open: the merge waits after writing OUT, still holding its lock.
    const merge = spawnCli(['merge', a, '-o', out, '--input', '-'], { openStdin: '' });
    const mergeDone = waitForExit(merge);
    try {
      await until(() => textSoFar(`${out}.meta.json`) !== '', 'the merge to write all.jsonl');
      const run = await runCli([writePrompts(ctx.dir, 'p.txt', ['late q']), '-o', out, '--resume', '--mock']);
      expect(run.code, run.stderr).toBe(75);
      expect(run.stderr).toContain(`${out}.lock`);
      expect(run.stderr).toContain(`pid ${merge.pid}`);
    } finally {
      merge.stdin!.end(stdinInput);
    }
    const merged = await mergeDone;
    expect(merged.code, merged.stderr).toBe(0);
    expect(lineCount(out)).toBe(5);
    expect(fs.existsSync(`${out}.lock`)).toBe(false);
  });

  it('a merge into a file with a second hard link is not refused (the rename leaves the other name the old file)', async () => {
    const a = await finishedOutput('a', 3);
    const out = path.join(ctx.dir, 'all.jsonl');
    fs.writeFileSync(out, 'old\n');
    fs.linkSync(out, path.join(ctx.dir, 'backup.jsonl'));
    const r = await runInWorker(['merge', a, '-o', out, '--overwrite']);
    expect(r.code, r.stderr).toBe(0);
    expect(lineCount(out)).toBe(3);
    expect(fs.readFileSync(path.join(ctx.dir, 'backup.jsonl'), 'utf8')).toBe('old\n');
  });
});

describe('temp files of killed merges and compactions', () => {
  it.each([
    ['merge', (src: string, out: string) => ['merge', src, '-o', out, '--overwrite']],
    ['--compact', (src: string, out: string) => ['--compact', src, '-o', out, '--overwrite']],
  ])('the next %s into OUT removes OUT.PID.tmp of a dead pid, and keeps one of a live process', async (_name, args) => {
    const a = await finishedOutput('a', 3);
    const out = path.join(ctx.dir, 'all.jsonl');
    const dead = `${out}.${await deadPid()}.tmp`;
    // The test's own process is alive, and was so when it last changed the file: another merge's.
    const live = `${out}.${process.pid}.tmp`;
    // A live pid that started after the file was last changed is not the process that wrote it.
    const reused = `${out}.${process.ppid === 1 ? process.pid : process.ppid}.tmp`;
    const unrelated = [`${out}.x1.tmp`, `${out}.meta.json.123.tmp`, path.join(ctx.dir, 'other.jsonl.1.tmp')];
    for (const f of [dead, live, reused, ...unrelated]) fs.writeFileSync(f, '{"id":"half a row"\n');
    const before = new Date(Date.now() - 10 * 365 * 86400_000);
    fs.utimesSync(reused, before, before);
    const r = await runCli(args(a, out));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`removed ${dead}, left by a merge or compaction that was killed`);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(reused)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    for (const f of unrelated) expect(fs.existsSync(f), f).toBe(true);
    expect(lineCount(out)).toBe(3);
  });
});

describe('temp files of runs killed while they replaced a side file', () => {
  it.each([[[]], [['--batch-api', '--poll', '0.05']]])(
    'the next run into OUT (%j) removes OUT.meta.json.PID.tmp, OUT.batch.json.PID.tmp and OUT.PID.tmp of a dead pid',
    async (extra) => {
      const name = `side${extra.length}`;
      const input = writePrompts(ctx.dir, `${name}.txt`, prompts(2, name));
      const out = path.join(ctx.dir, `${name}.jsonl`);
      const dead = await deadPid();
      const temps = [`${out}.meta.json.${dead}.tmp`, `${out}.batch.json.${dead}.tmp`];
      const live = `${out}.batch.json.${process.pid}.tmp`;
      for (const f of [...temps, live]) fs.writeFileSync(f, '{"version":1,"chu');
      // OUT.PID.tmp: the empty start-up probe of a run killed in its first ~70 ms.
      const probe = `${out}.${dead}.tmp`;
      fs.writeFileSync(probe, '');
      const r = await runCli([input, '-o', out, '--mock', '-q', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      for (const f of [...temps, probe]) expect(fs.existsSync(f), f).toBe(false);
      expect(fs.existsSync(live)).toBe(true);
      expect(lineCount(out)).toBe(2);
      // One with content may be the user's (`data.jsonl.2025.tmp`): left as it is.
      fs.writeFileSync(probe, 'keep');
      expect((await runCli([input, '-o', out, '--mock', '-q', '--resume', ...extra])).code).toBe(0);
      expect(fs.readFileSync(probe, 'utf8')).toBe('keep');
    },
  );
});

describe('merge --input -', () => {
  it('reads the input from stdin, as a run does', async () => {
    const a = await finishedOutput('a', 4);
    const out = path.join(ctx.dir, 'all.jsonl');
    const input = prompts(4, 'a').join('\n') + '\nnot answered\n';
    const r = await runInWorker(['merge', a, '-o', out, '--input', '-'], { stdin: input });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/merged 4 rows from 1 file into .*all\.jsonl \(0 superseded rows dropped; 0 failed\); 1 id of stdin has no row: <stdin>:5 \(id /);
  });
});

describe('the compaction line of a resume', () => {
  it('groups its count of superseded rows', async () => {
    const out = await finishedOutput('big', 10);
    // A hundred more copies of every row: 1,000 superseded rows, as resumes killed before compacting leave them.
    const rows = fs.readFileSync(out, 'utf8');
    fs.appendFileSync(out, rows.repeat(100));
    const r = await runCli([path.join(ctx.dir, 'big.txt'), '-o', out, '--mock', '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('big.jsonl: 1,000 superseded rows left by an earlier run dropped (compacted)');
    expect(lineCount(out)).toBe(10);
  });
});
