/**
 * OPENAI_API_KEY unset against a server that wants a key: llm-batch sends a placeholder so that
 * keyless local servers work, and a 401 said "the server rejected the API key (HTTP 401: Incorrect
 * API key provided: no-key …)", as if a key had been given. It now says the variable is not set and
 * which server wants one, live and --batch-api alike. Spawns the BUILT CLI against the mock server.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stderrLines, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { runCli, writePrompts } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-no-key-401-');

const NO_KEY = { env: { OPENAI_API_KEY: undefined } };

describe('a server that wants a key when OPENAI_API_KEY is not set', () => {
  it.each([
    ['live', [] as string[]],
    ['--batch-api', ['--batch-api', '--poll', '0.05']],
  ])('%s: says OPENAI_API_KEY is not set and names the server, exit 2', async (_name, mode) => {
    ctx.server.options.apiKey = 'right-key';
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b']);
    const r = await runCli([input, '-o', path.join(ctx.dir, 'out.jsonl'), '--base-url', ctx.server.url, '--no-cache', ...mode], { ...NO_KEY, cwd: ctx.dir });
    expect(r.code, r.stderr).toBe(2);
    const said = stderrLines(r).find((line) => line.includes('OPENAI_API_KEY'));
    expect(said).toMatch(
      new RegExp(`^llm-batch: OPENAI_API_KEY is not set, and the server at ${ctx.server.url.replace(/[.]/g, '\\.')} wants one \\(.*HTTP 401`),
    );
    expect(r.stderr).not.toMatch(/rejected the API key/);
  });

  it('a key that is set and refused is still said to be rejected', async () => {
    ctx.server.options.apiKey = 'right-key';
    const input = writePrompts(ctx.dir, 'in.txt', ['a']);
    const r = await runCli([input, '--base-url', ctx.server.url, '--no-cache'], { cwd: ctx.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the server rejected the API key \(HTTP 401/);
  });
});
