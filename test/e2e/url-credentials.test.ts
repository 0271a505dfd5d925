/**
 * Credentials in a URL (`https://user:password@host`, `?api-key=…`, as Azure and some gateways take
 * them) are never printed or written: not in the line that refuses a --base-url commander cannot
 * parse as http(s), nor in a run's outputs when a server echoes such a URL in its error (stderr,
 * the result rows, --summary-json, --report, --trace, OUT.meta.json). Before, only the API key was
 * taken out of these. The BUILT CLI against a small server of the test's own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { useReplyServer } from '../helpers/reply-server.js';

const PASSWORD = 'PW-SECRET-71c2e0';
const QUERY_KEY = 'Q-SECRET-93d1aa';
const SECRETS = [PASSWORD, QUERY_KEY];
const URL_WITH_SECRETS = `https://gw-user:${PASSWORD}@upstream.example/openai?api-version=2024-06-01&api-key=${QUERY_KEY}`;

const server = useReplyServer('llm-batch-url-credentials-', (_body, res) => {
  res.writeHead(400, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message: `upstream ${URL_WITH_SECRETS} refused the request`, type: 'invalid_request_error', code: null } }));
});
beforeAll(() => {
  writePrompts(server.dir, 'p.txt', ['one']);
});

/** Files under `dir` whose bytes hold one of the secrets. */
function filesHoldingSecrets(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => {
    const file = path.join(dir, name);
    return fs.statSync(file).isFile() && SECRETS.some((s) => fs.readFileSync(file).includes(s));
  });
}

describe('credentials in a URL', () => {
  it('--base-url that is no http(s) URL: the refusal shows it without userinfo or query, exit 2', async () => {
    const r = await runCli(['p.txt', '-o', 'refused.jsonl', '--base-url', `ftp://gw-user:${PASSWORD}@upstream.example/v1?api-key=${QUERY_KEY}`], {
      cwd: server.dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'ftp://***@upstream.example/v1?***' is invalid");
    for (const s of SECRETS) expect(r.stdout + r.stderr).not.toContain(s);
    expect(fs.existsSync(path.join(server.dir, 'refused.jsonl'))).toBe(false);
  });

  it("a server's error echoing such a URL: in no output and no file, and the rest of the message stays", async () => {
    const side = ['--summary-json', 'sum.json', '--report', 'report.html', '--trace', 'trace.log'];
    const r = await runCli(['p.txt', '--base-url', server.url, '--no-cache', '-o', 'out.jsonl', '-v', ...side], { cwd: server.dir });
    expect(r.code, r.stderr).toBe(1);
    const [row] = parseJsonl<{ error: { message: string } }>(fs.readFileSync(path.join(server.dir, 'out.jsonl'), 'utf8'));
    expect(row!.error.message).toContain('upstream https://***@upstream.example/openai?api-version=2024-06-01&api-key=*** refused the request');
    for (const s of SECRETS) expect(r.stdout + r.stderr).not.toContain(s);
    for (const file of ['out.jsonl.meta.json', 'sum.json', 'report.html']) expect(fs.existsSync(path.join(server.dir, file)), file).toBe(true);
    expect(fs.readFileSync(path.join(server.dir, 'trace.log'), 'utf8')).toContain('https://***@upstream.example/openai?api-version=2024-06-01&api-key=***');
    expect(filesHoldingSecrets(server.dir)).toEqual([]);
  });
});
