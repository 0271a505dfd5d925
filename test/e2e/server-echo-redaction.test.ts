/**
 * A server that echoes the Authorization header in its error's `code` (a misconfigured gateway, a
 * debugging proxy) must not get the key into a result row, the CSV `error_code`, the report or the
 * trace: every server-supplied string of the error is redacted, not only its message.
 * Spawns the BUILT CLI against a small echoing server of its own (the in-repo mock's error codes are fixed).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_KEY, parseJsonl, runCli, tempDir, writePrompts } from '../helpers/run-cli.js';

const tmp = tempDir('llm-batch-echo-code-');
let server: http.Server;
let baseURL = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const auth = req.headers.authorization ?? '';
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `bad request; you sent ${auth}`, type: auth, param: auth, code: auth } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  tmp.cleanup();
});

describe.concurrent('a server echoing the key in its error code', () => {
  it.each([
    ['jsonl, streamed', 'out.jsonl', []],
    ['jsonl, --no-stream', 'ns.jsonl', ['--no-stream']],
    ['csv', 'out.csv', []],
    ['jsonl through the SDK path (--trace)', 'tr.jsonl', ['--trace', 'TRACE']],
    ['jsonl with --report and --summary-json', 'rep.jsonl', ['--report', 'REPORT', '--summary-json', 'SUMMARY']],
  ])('%s: the code is in the row, redacted; the key is in no file and no output', async (_name, outName, extra) => {
    const dir = fs.mkdtempSync(path.join(tmp.dir, 'case-'));
    const input = writePrompts(dir, 'p.txt', ['one', 'two']);
    const out = path.join(dir, outName);
    const args = extra.map((a) =>
      a.replace('TRACE', path.join(dir, 'trace.log')).replace('REPORT', path.join(dir, 'r.html')).replace('SUMMARY', path.join(dir, 's.json')),
    );
    const r = await runCli([input, '--base-url', baseURL, '-m', 'm1', '--no-cache', '--retries', '0', '-o', out, ...args]);
    expect(r.code).toBe(1);
    const text = fs.readFileSync(out, 'utf8');
    if (outName.endsWith('.csv')) {
      expect(text.split('\n')[0]).toContain('error_code');
      expect(text).toContain('Bearer [redacted]');
    } else {
      const rows = parseJsonl(text);
      expect(rows).toHaveLength(2);
      for (const row of rows) expect(row.error).toMatchObject({ type: 'http', status: 400, code: 'Bearer [redacted]' });
    }
    expect(r.stdout + r.stderr).not.toContain(SECRET_KEY);
    for (const file of fs.readdirSync(dir)) expect(fs.readFileSync(path.join(dir, file), 'utf8'), file).not.toContain(SECRET_KEY);
  });
});
