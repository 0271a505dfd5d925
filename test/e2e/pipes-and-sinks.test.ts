/**
 * Inputs that can be read only once and outputs that are not regular files, through the BUILT CLI
 * and the mock server: a `<(…)` pipe or a FIFO as the input of a CSV run (no read ahead may eat its
 * rows), and stdout / stderr / -o on a device that fails or is a stream.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { BIN, SECRET_KEY, isolatedCacheDir, type CliResult } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-pipes-');

const ROWS = ['{"id":"a","prompt":"pipe a"}', '{"id":"b","prompt":"pipe b"}', '{"id":"c","prompt":"pipe c"}'];

/**
 * Runs `script` in bash with `$LLM` the built CLI (node BIN), as a user's shell line would; killed
 * after `timeoutMs` (a hang is a failure, not a wait).
 */
function shell(script: string, env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliResult> {
  const child = spawn('bash', ['-c', script], {
    cwd: ctx.dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      OPENAI_API_KEY: SECRET_KEY,
      LLM_BATCH_CACHE_DIR: isolatedCacheDir(),
      LLM: `${process.execPath} ${BIN}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    // The whole group: bash, the CLI and any writer left blocked on a FIFO.
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const csvRecords = (text: string) => parse(text, { columns: true }) as Array<Record<string, string>>;

describe('a pipe-like input file with CSV output', () => {
  it('<(cat rows.jsonl) -o out.csv and -f csv -o -: every row is sent and written (nothing read ahead)', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'rows.jsonl'), `${ROWS.join('\n')}\n`);
    const url = ctx.server.url;
    const toFile = await shell(`$LLM <(cat rows.jsonl) --base-url ${url} --no-cache -o out.csv`);
    expect(toFile.code, toFile.stderr).toBe(0);
    expect(csvRecords(fs.readFileSync(path.join(ctx.dir, 'out.csv'), 'utf8')).map((r) => r['id'])).toEqual(['a', 'b', 'c']);
    const toStdout = await shell(`$LLM <(cat rows.jsonl) --base-url ${url} --no-cache -f csv -o -`);
    expect(toStdout.code, toStdout.stderr).toBe(0);
    expect(csvRecords(toStdout.stdout).map((r) => r['response'])).toEqual(['ECHO pipe a', 'ECHO pipe b', 'ECHO pipe c']);
    expect(ctx.server.requests).toHaveLength(6);
  });

  it('a FIFO as input with -o out.csv: read once, no hang waiting for a second writer', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'rows.jsonl'), `${ROWS.join('\n')}\n`);
    execFileSync('mkfifo', [path.join(ctx.dir, 'f.jsonl')]);
    const r = await shell(`cat rows.jsonl > f.jsonl & $LLM f.jsonl --base-url ${ctx.server.url} --no-cache -o out.csv`);
    expect(r.signal, 'the run hung').toBeNull();
    expect(r.code, r.stderr).toBe(0);
    expect(csvRecords(fs.readFileSync(path.join(ctx.dir, 'out.csv'), 'utf8')).map((x) => x['id'])).toEqual(['a', 'b', 'c']);
  });

  it('<(cat in.csv) --keep-fields all -o out.csv: refused before anything is sent (exit 2), not "empty input"', async () => {
    fs.writeFileSync(path.join(ctx.dir, 'in.csv'), 'id,prompt,topic\n1,hello,x\n');
    const r = await shell(`$LLM <(cat in.csv) --input-format csv --keep-fields all --base-url ${ctx.server.url} --no-cache -o out.csv`);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--keep-fields all with CSV output needs a regular CSV input file .*\/dev\/fd\/\d+ is a pipe.*--keep-fields a,b/);
    expect(ctx.server.requests).toHaveLength(0);
    // The same file by its name still carries every column.
    const named = await shell(`$LLM in.csv --keep-fields all --base-url ${ctx.server.url} --no-cache -o named.csv`);
    expect(named.code, named.stderr).toBe(0);
    expect(csvRecords(fs.readFileSync(path.join(ctx.dir, 'named.csv'), 'utf8'))[0]).toMatchObject({ id: '1', topic: 'x' });
  });
});
