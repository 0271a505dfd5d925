/**
 * An OPENAI_API_KEY that an Authorization header cannot carry (smart quotes pasted from a document,
 * a control character, a line break): refused before anything is read or sent, in one line naming
 * the variable, the position and the kind of character, with exit 2 and never any part of the key.
 * The built CLI against the mock server: a run, --batch-api, and the status and cancel subcommands.
 * OPENAI_ORG_ID and OPENAI_PROJECT_ID go into every request's headers too, and are held to the same.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const ctx = useServerAndCaseDir('llm-batch-key-chars-');
const SECRET = 'SECRET999';

const BAD_KEYS: Array<[string, string, RegExp]> = [
  [
    'smart quotes',
    `\u201csk-test-${SECRET}\u201d`,
    /OPENAI_API_KEY has a character that cannot be sent in an HTTP header: a typographic quote \(U\+201C\) at position 1 of 19/,
  ],
  [
    'a control character',
    `sk-test-\x01${SECRET}`,
    /OPENAI_API_KEY has a character that cannot be sent in an HTTP header: a control character \(U\+0001\) at position 9 of 18/,
  ],
  [
    'a line break',
    `sk-test-${SECRET}\nsk-other`,
    /OPENAI_API_KEY has a character that cannot be sent in an HTTP header: a line break \(U\+000A\) at position 18/,
  ],
];

/** One line, exit 2, the key nowhere; nothing reached the server. */
function expectRefused(r: { code: number | null; stderr: string; stdout: string }, message: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr + r.stdout).not.toContain(SECRET);
  expect(r.stderr).not.toMatch(/internal error|connection/);
}

describe('a key a header cannot carry', () => {
  it.each(BAD_KEYS)('a live run with %s: refused at start, no request sent, no output written', async (_name, key, message) => {
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b', 'c']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runInWorker([input, '-o', out, '--base-url', ctx.server.url, '--no-cache'], { env: { OPENAI_API_KEY: key } });
    expectRefused(r, message);
    expect(ctx.server.requests).toHaveLength(0);
    expect(fs.existsSync(out)).toBe(false);
  });

  it.each(BAD_KEYS)('--batch-api --no-wait with %s: exit 2, not 75 or an internal error; nothing uploaded', async (_name, key, message) => {
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runInWorker([input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--no-wait', '--no-cache', '-q'], {
      env: { OPENAI_API_KEY: key },
    });
    expectRefused(r, message);
    expect(ctx.server.batchState.counts.uploads).toBe(0);
  });

  it('status --refresh and cancel of a batch in flight: refused before the server is asked', async () => {
    ctx.server.options.batches = { stepMs: 20, hold: () => true };
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const submitted = await runCli([input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--no-wait', '--no-cache', '-q']);
    expect(submitted.code, submitted.stderr).toBe(75);
    const before = { ...ctx.server.batchState.counts };
    const [, key, message] = BAD_KEYS[0]!;
    expectRefused(await runCli(['status', out, '--base-url', ctx.server.url], { env: { OPENAI_API_KEY: key } }), message);
    expectRefused(await runInWorker(['cancel', out, '--base-url', ctx.server.url, '--poll', '0.05'], { env: { OPENAI_API_KEY: key } }), message);
    expect(ctx.server.batchState.counts.retrieves).toBe(before.retrieves);
    expect(ctx.server.batchState.counts.cancels).toBe(0);
  });
});

describe('an OPENAI_ORG_ID or OPENAI_PROJECT_ID a header cannot carry', () => {
  // Before, every prompt failed as a retried "connection" error (UND_ERR_INVALID_ARG), exit 1.
  const BAD_IDS: Array<[string, string, RegExp]> = [
    [
      'OPENAI_ORG_ID',
      `\u201corg-${SECRET}\u201d`,
      /^llm-batch: OPENAI_ORG_ID has a character that cannot be sent in an HTTP header: a typographic quote \(U\+201C\) at position 1 of 15; remove the quotes/,
    ],
    [
      'OPENAI_PROJECT_ID',
      `proj_${SECRET}\r\nproj_2`,
      /^llm-batch: OPENAI_PROJECT_ID has a character that cannot be sent in an HTTP header: a line break \(U\+000D\)/,
    ],
  ];

  it.each(BAD_IDS)('a live run with a bad %s: refused at start, no request sent, no output written', async (name, value, message) => {
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b', 'c']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runInWorker([input, '-o', out, '--base-url', ctx.server.url, '--no-cache'], { env: { [name]: value } });
    expectRefused(r, message);
    expect(ctx.server.requests).toHaveLength(0);
    expect(fs.existsSync(out)).toBe(false);
  });

  it.each(BAD_IDS)('--batch-api --no-wait with a bad %s: exit 2; nothing uploaded', async (name, value, message) => {
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runInWorker([input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--no-wait', '--no-cache', '-q'], { env: { [name]: value } });
    expectRefused(r, message);
    expect(ctx.server.batchState.counts.uploads).toBe(0);
  });

  it('status of a batch in flight with a bad OPENAI_ORG_ID: refused before the server is asked', async () => {
    ctx.server.options.batches = { stepMs: 20, hold: () => true };
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const submitted = await runCli([input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--no-wait', '--no-cache', '-q']);
    expect(submitted.code, submitted.stderr).toBe(75);
    const before = ctx.server.batchState.counts.retrieves;
    const [name, value, message] = BAD_IDS[0]!;
    expectRefused(await runInWorker(['status', out, '--base-url', ctx.server.url], { env: { [name]: value } }), message);
    expect(ctx.server.batchState.counts.retrieves).toBe(before);
  });

  it("IDs a header carries are sent as given, on the lean path and the SDK's (-v)", async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['a']);
    for (const extra of [[], ['-v']]) {
      const r = await runCli([input, '--base-url', ctx.server.url, '--no-cache', ...extra], {
        env: { OPENAI_ORG_ID: ' org-abc ', OPENAI_PROJECT_ID: 'proj_1' },
      });
      expect(r.code, r.stderr).toBe(0);
    }
    // The CLI passes them on: the library reads no variable of its own.
    expect(ctx.server.requests.map((q) => [q.organization, q.project])).toEqual([
      ['org-abc', 'proj_1'],
      ['org-abc', 'proj_1'],
    ]);
  });
});
