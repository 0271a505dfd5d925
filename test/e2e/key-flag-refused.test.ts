/**
 * There is no --api-key: a key passed in an unknown option named for one is not repeated in the
 * parse error (a hex key has no `sk-` for the redactor to know it by), and the error says where the
 * key goes. Spawns the BUILT CLI.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

const HEX = '5f3a9c1e77b24d6a08e5b2c9d4f1a7e3';
const HINT = '(the API key is read from the OPENAI_API_KEY environment variable only, not from a flag, which ps and shell history would show)';

describe.concurrent('an unknown option that carries a key', () => {
  it.each([
    [['p.txt', `--api-key=${HEX}`], "error: unknown option '--api-key=***'"],
    [['p.txt', `--openai-api-key=${HEX}`], "error: unknown option '--openai-api-key=***'"],
    [['p.txt', `-k${HEX}`], "error: unknown option '-k***'"],
    [['p.txt', '--api-key', HEX], "error: unknown option '--api-key'"],
    [['status', 'out.jsonl', `--token=${HEX}`], "error: unknown option '--token=***'"],
    [['report', 'out.jsonl', `--key=${HEX}`], "error: unknown option '--key=***'"],
  ])('%j: exit 2, the value masked, and where the key goes', async (args, line) => {
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(line);
    expect(lines[1]).toBe(HINT);
    expect(r.stderr + r.stdout).not.toContain(HEX);
  });

  it('another unknown option is repeated as typed, without the hint', async () => {
    const r = await runCli(['p.txt', '--keep=5f3a9c1e']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown option '--keep=5f3a9c1e'\n/);
    expect(r.stderr).not.toContain('OPENAI_API_KEY');
  });
});
