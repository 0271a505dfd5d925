/**
 * Batch runner end to end, the rest: the offline --mock provider, --version and --help.
 * Spawns the BUILT CLI: `npm run build` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { fixture, fixtureLines, rowsOf, stderrLines, useServers } from '../helpers/mock-server-hooks.js';

const { fresh } = useServers('llm-batch-basic-misc-');

const NO_KEY = { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined };

describe.concurrent('--mock: no key, no server', () => {
  it('answers every prompt of fixtures/prompts.txt, exit 0, deterministic across runs, sends nothing anywhere', async () => {
    const prompts = fixtureLines('prompts.txt');
    // Relative path, exactly as in the README: node bin/llm-batch.js fixtures/prompts.txt --mock
    const first = await runCli(['fixtures/prompts.txt', '--mock'], { env: NO_KEY, cwd: ROOT });
    expect(first.code).toBe(0);
    const rows1 = rowsOf(first);
    expect(rows1).toHaveLength(prompts.length);
    expect(rows1.map((x) => x.prompt).sort()).toEqual([...prompts].sort());
    for (const row of rows1) {
      expect(row.error).toBeNull();
      expect(typeof row.response).toBe('string');
      expect(row.response!.length).toBeGreaterThan(0);
      expect(row.attempts).toBe(1);
    }
    expect(stderrLines(first).at(-1)).toMatch(new RegExp(`\\b${prompts.length} ok, 0 failed\\b`));

    // Second run: even with a base URL in the environment, --mock sends nothing to it.
    const { server } = await fresh();
    const second = await runCli(['fixtures/prompts.txt', '--mock'], { env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: server.url }, cwd: ROOT });
    expect(second.code).toBe(0);
    const answers = (rows: ReturnType<typeof rowsOf>) => Object.fromEntries(rows.map((x) => [x.id, x.response]));
    expect(answers(rowsOf(second))).toEqual(answers(rows1));
    expect(server.requests).toHaveLength(0);
  });

  it('works on JSONL input too', async () => {
    const r = await runCli([fixture('prompts.jsonl'), '--mock', '-q'], { env: NO_KEY });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const rows = rowsOf(r);
    expect(rows.map((x) => x.id).sort()).toEqual(['q1', 'q2', 'q3', 'q4']);
    expect(rows.every((x) => x.error === null && typeof x.response === 'string')).toBe(true);
  });
});

describe.concurrent('--version and --help', () => {
  const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  it.each(['--version', '-V'])('%s prints the package.json version and exits 0', async (flag) => {
    // -V runs in the worker; --version stays a child process, through bin/.
    const r = await (flag === '-V' ? runInWorker : runCli)([flag], { env: NO_KEY });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
    expect(r.stderr).toBe('');
  });

  it.each(['--help', '-h'])('%s exits 0 and shows usage, examples and exit codes', async (flag) => {
    // -h runs in the worker; --help stays a child process, through bin/.
    const r = await (flag === '-h' ? runInWorker : runCli)([flag], { env: NO_KEY });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Usage: llm-batch/);
    expect(r.stdout).toMatch(/Examples?:/i);
    expect(r.stdout).toMatch(/--mock/);
    expect(r.stdout).toMatch(/Exit codes?:/i);
    const exitSection = r.stdout.slice(r.stdout.search(/Exit codes?:/i));
    for (const code of ['0', '1', '2', '3', '130', '141']) expect(exitSection).toMatch(new RegExp(`(^|\\s)${code}\\s+\\S`, 'm'));
  });
});
