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
    [['p.txt', `--api-key=${HEX}`], "llm-batch: unknown option '--api-key=***'"],
    [['p.txt', `--openai-api-key=${HEX}`], "llm-batch: unknown option '--openai-api-key=***'"],
    [['p.txt', `-k${HEX}`], "llm-batch: unknown option '-k***'"],
    [['p.txt', '--api-key', HEX], "llm-batch: unknown option '--api-key'"],
    [['status', 'out.jsonl', `--token=${HEX}`], "llm-batch: unknown option '--token=***'"],
    [['report', 'out.jsonl', `--key=${HEX}`], "llm-batch: unknown option '--key=***'"],
  ])('%j: exit 2, the value masked, and where the key goes', async (args, line) => {
    const r = await runInWorker(args);
    expect(r.code, r.stderr).toBe(2);
    // One line: the option, where the key goes, the help to read.
    expect(r.stderr).toBe(`${line} ${HINT} (run llm-batch ${['status', 'report'].includes(args[0]!) ? `${args[0]} ` : ''}--help for usage)\n`);
    expect(r.stderr + r.stdout).not.toContain(HEX);
  });

  // No such option either: a header (or a value shaped as one, or as a provider's key) carries a credential.
  it.each([
    [['p.txt', '--header=Authorization: Bearer gsk_ARGVleak1234567890abcdef'], "llm-batch: unknown option '--header=***'"],
    [['p.txt', '--headers=x'], "llm-batch: unknown option '--headers=***'"],
    [['p.txt', '--extra-header=x-api-key: hf_ARGVleak1234567890abcdefghij'], "llm-batch: unknown option '--extra-header=***'"],
    [['p.txt', `--header=api-key: ${HEX}`], "llm-batch: unknown option '--header=***'"],
    [['p.txt', '-HAuthorization: Bearer ARGVleak1234567890'], "llm-batch: unknown option '-H***'"],
    [['p.txt', '--auth=ARGVleak1234567890'], "llm-batch: unknown option '--auth=***'"],
    [['p.txt', '--use=bearer ARGVleak1234567890'], "llm-batch: unknown option '--use=***'"],
    [['p.txt', '--set=Authorization: Basic QVJHVmxlYWs6MTIzNDU2'], "llm-batch: unknown option '--set=***'"],
    [['p.txt', '--extra=xai-ARGVleak1234567890abcdef'], "llm-batch: unknown option '--extra=***'"],
    [['p.txt', '--google=AIzaARGVleak1234567890abcdefghijklmno'], "llm-batch: unknown option '--google=***'"],
    // Named for a key beside a count's word: still a key's option (a7e0ff5 showed these).
    [['p.txt', `--max-api-key=${HEX}`], "llm-batch: unknown option '--max-api-key=***'"],
    [['p.txt', '--num-secret=ARGVleak1234567890abcdef'], "llm-batch: unknown option '--num-secret=***'"],
    [['p.txt', `--max-auth-token=${HEX}`], "llm-batch: unknown option '--max-auth-token=***'"],
    // 16 characters after the prefix, as the README says (the pattern once wanted 30).
    [['p.txt', '--foo=AIzaARGVleak12345678'], "llm-batch: unknown option '--foo=***'"],
    // Glued to the name by no `=`: cut where the key begins.
    [['p.txt', '--foo:AIzaARGVleak1234567890abcdef'], "llm-batch: unknown option '--foo:***'"],
    [['p.txt', '--key:gsk_ARGVleak1234567890abcdef'], "llm-batch: unknown option '--key:***'"],
    [['p.txt', '--token,hf_ARGVleak1234567890abcdef'], "llm-batch: unknown option '--token,***'"],
    [['p.txt', '--AIzaARGVleak1234567890abcdef'], "llm-batch: unknown option '--***'"],
    // A key-named option and a key of no known prefix glued by `:`, `,`, `/` or `.` (an Azure hex key).
    [['p.txt', `--key:${HEX}`], "llm-batch: unknown option '--key:***'"],
    [['p.txt', `--api-key/${HEX}`], "llm-batch: unknown option '--api-key/***'"],
    [['p.txt', '--token,ARGVleak1234567890abcdef'], "llm-batch: unknown option '--token,***'"],
    [['p.txt', "--set=it's\nAuthorization: Bearer ARGVleak1234567890"], "llm-batch: unknown option '--set=***'"],
    // Glued by no separator, or by one of no key's pattern: a long run of letters and digits is a key.
    [['p.txt', `--api-key-${HEX}`], "llm-batch: unknown option '--api-key-***'"],
    [['p.txt', `--key@${HEX}`], "llm-batch: unknown option '--key@***'"],
    [['p.txt', `--api-key${HEX}`], "llm-batch: unknown option '--api-***'"],
    [['p.txt', '--api-keysk-proj-ARGVleak1234567890abcdef_ARGVleak1234567890'], "llm-batch: unknown option '--api-keysk-proj-***'"],
    [['p.txt', `--token#${HEX}=x`], "llm-batch: unknown option '--token#***'"],
    // A key-named option and a key with separators of its own (a UUID, as Scaleway's; one with `_`).
    [['p.txt', '--api-key-5f3a9c1e-77b2-4d6a-08e5-b2c9d4f1a7e3'], "llm-batch: unknown option '--api-key-***'"],
    [['p.txt', '--bearer-123e4567-e89b-12d3-a456-426614174000'], "llm-batch: unknown option '--bearer-***'"],
    [['p.txt', '--key-AbC_dEf-9hIjKlMnOpQrStUvWxYz0123456789'], "llm-batch: unknown option '--key-***'"],
  ])('%j: exit 2, the credential masked, and where the key goes', async (args, line) => {
    const r = await runInWorker(args);
    expect(r.code, r.stderr).toBe(2);
    // One line: the option, where the key goes, the help to read.
    expect(r.stderr).toBe(`${line} ${HINT} (run llm-batch ${['status', 'report'].includes(args[0]!) ? `${args[0]} ` : ''}--help for usage)\n`);
    expect(r.stderr + r.stdout).not.toContain('ARGVleak');
    expect(r.stderr + r.stdout).not.toContain(HEX);
  });

  it('another unknown option is repeated as typed, without the hint', async () => {
    const r = await runCli(['p.txt', '--keep=5f3a9c1e']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("llm-batch: unknown option '--keep=5f3a9c1e' (run llm-batch --help for usage)\n");
    expect(r.stderr).not.toContain('OPENAI_API_KEY');
  });

  it.each([
    '--model-dir=hf_cache',
    '--note=basic settings',
    '--keys-file=tokens.txt',
    // An option's own words that start as a key prefix does, with no digit in them (13ab6bf masked these).
    '--xai-reasoning-effort-level',
    '--hf_home_directory_path',
    '--token-budget.json',
    // A count's option mistyped (`--max-tokens`), and words with digits after a prefix.
    '--max-token=500',
    '--max-token:500',
    '--max-reasoning-token=100',
    '--xai-grok-3-mini-reasoning',
    '--hf_home_dir_v2_cache_path',
    // A typo's words run together with a number: no key (the 20-character rule took it for one).
    '--maxconcurrentrequests10',
  ])('%s is repeated as typed: no credential in it', async (arg) => {
    const r = await runInWorker(['p.txt', arg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`llm-batch: unknown option '${arg}' (run llm-batch --help for usage)\n`);
  });
});
