/**
 * There is no --api-key: a key passed in an unknown option named for one is not repeated in the
 * parse error (a hex key has no `sk-` for the redactor to know it by), and the error says where the
 * key goes. Spawns the BUILT CLI.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

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
    const r = await runInWorker(args);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(line);
    expect(lines[1]).toBe(HINT);
    expect(r.stderr + r.stdout).not.toContain(HEX);
  });

  // No such option either: a header (or a value shaped as one, or as a provider's key) carries a credential.
  it.each([
    [['p.txt', '--header=Authorization: Bearer gsk_ARGVleak1234567890abcdef'], "error: unknown option '--header=***'"],
    [['p.txt', '--headers=x'], "error: unknown option '--headers=***'"],
    [['p.txt', '--extra-header=x-api-key: hf_ARGVleak1234567890abcdefghij'], "error: unknown option '--extra-header=***'"],
    [['p.txt', `--header=api-key: ${HEX}`], "error: unknown option '--header=***'"],
    [['p.txt', '-HAuthorization: Bearer ARGVleak1234567890'], "error: unknown option '-H***'"],
    [['p.txt', '--auth=ARGVleak1234567890'], "error: unknown option '--auth=***'"],
    [['p.txt', '--use=bearer ARGVleak1234567890'], "error: unknown option '--use=***'"],
    [['p.txt', '--set=Authorization: Basic QVJHVmxlYWs6MTIzNDU2'], "error: unknown option '--set=***'"],
    [['p.txt', '--extra=xai-ARGVleak1234567890abcdef'], "error: unknown option '--extra=***'"],
    [['p.txt', '--google=AIzaARGVleak1234567890abcdefghijklmno'], "error: unknown option '--google=***'"],
    [['p.txt', "--set=it's\nAuthorization: Bearer ARGVleak1234567890"], "error: unknown option '--set=***'"],
  ])('%j: exit 2, the credential masked, and where the key goes', async (args, line) => {
    const r = await runInWorker(args);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(line);
    expect(lines[1]).toBe(HINT);
    expect(r.stderr + r.stdout).not.toContain('ARGVleak');
    expect(r.stderr + r.stdout).not.toContain(HEX);
  });

  it('another unknown option is repeated as typed, without the hint', async () => {
    const r = await runCli(['p.txt', '--keep=5f3a9c1e']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown option '--keep=5f3a9c1e'\n/);
    expect(r.stderr).not.toContain('OPENAI_API_KEY');
  });

  it.each(['--model-dir=hf_cache', '--note=basic settings', '--keys-file=tokens.txt'])('%s is repeated as typed: no credential in it', async (arg) => {
    const r = await runInWorker(['p.txt', arg]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`error: unknown option '${arg}'`);
  });
});
