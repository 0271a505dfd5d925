/**
 * The lines a log or a cron mail gets: readable in a C locale, telling runs side by side apart.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, sigtermOnceSaid, writePrompts } from '../helpers/run-cli.js';
import { useServer } from '../helpers/mock-server-hooks.js';
import { runPty } from '../helpers/run-pty.js';

const ctx = useServer('llm-batch-log-lines-', { latencyMs: 20 });

describe('a locale that is not UTF-8 (LANG=C)', () => {
  it.each([
    ['LANG', 'C'],
    ['LC_ALL', 'POSIX'],
    ['LANG', 'en_US.ISO-8859-1'],
  ])('%s=%s: the summary and messages are plain ASCII', async (name, value) => {
    ctx.server.reset();
    const r = await runCli(
      [
        writePrompts(ctx.dir, 'c.txt', ['one', 'two [[fault:500]]']),
        '--base-url',
        ctx.server.url,
        '--progress',
        '1',
        '--summary-json',
        path.join(ctx.dir, 's.json'),
      ],
      {
        env: { [name]: value },
      },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^llm-batch: 2 ok, 0 failed, 1 retry - \d+ tokens in \/ \d+ out - /m);
    expect(r.stderr).toMatch(/^[\x00-\x7f]*$/);
  });

  it('a UTF-8 locale, or none set, keeps the ·', async () => {
    for (const env of [{ LANG: 'C.UTF-8' }, { LC_ALL: 'de_DE.utf8', LANG: 'C' }, {}]) {
      const r = await runCli([writePrompts(ctx.dir, 'u.txt', ['one']), '--base-url', ctx.server.url], { env });
      expect(r.stderr).toMatch(/^llm-batch: 1 ok, 0 failed · /);
    }
  });

  it('on a terminal, the bar too', async () => {
    const r = await runPty([writePrompts(ctx.dir, 'cbar.txt', ['b1', 'b2', 'b3']), '--base-url', ctx.server.url, '-o', path.join(ctx.dir, 'cbar.jsonl')], {
      env: { LANG: 'C' },
    });
    expect(r.code).toBe(0);
    expect(r.raw).toMatch(/[#.]{10,} +\d+% \d\/3 - \d ok - /);
    expect(r.raw).not.toMatch(/[█░·]/);
  });

  it('on a terminal, a control character in an answer is `?`, as in its header; é stays é', async () => {
    const prompt = 'caf\u00e9 \x1b]0;PWNED\x07 \x1b[2J';
    const r = await runPty([writePrompts(ctx.dir, 'cctl.txt', [prompt]), '--mock', '--no-cache'], { env: { LANG: 'C' } });
    expect(r.code).toBe(0);
    // Before: the answer's U+FFFD (EF BF BD, `ï¿½` on an ASCII or Latin-1 terminal).
    expect(r.raw).not.toContain('\ufffd');
    expect(r.raw).toMatch(/-- \[1-\w+\] caf\u00e9 \?\]0;PWNED\? \?\[2J/);
    expect(r.raw).toContain('you asked "caf\u00e9 ?]0;PWNED? ?[2J"');
  });

  it('rows written to the terminal (-o - -f text) show it as `?` too; piped they are the bytes as they came', async () => {
    const prompt = 'caf\u00e9 \x1b]0;PWNED\x07';
    const file = writePrompts(ctx.dir, 'cctl-rows.txt', [prompt]);
    const r = await runPty([file, '--mock', '--no-cache', '-o', '-', '-f', 'text', '-q'], { env: { LANG: 'C' } });
    expect(r.code).toBe(0);
    expect(r.raw).not.toContain('\ufffd');
    expect(r.raw).toContain('you asked "caf\u00e9 ?]0;PWNED?"');
    const piped = await runCli([file, '--mock', '--no-cache', '-o', '-', '-f', 'text', '-q'], { env: { LANG: 'C' } });
    expect(piped.stdout).toContain('you asked "caf\u00e9 \x1b]0;PWNED\x07"');
  });
});

describe('the pace holding everyone back after a burst of 429s', () => {
  it('the progress lines say "rate limited, waiting" while nothing is in flight', async () => {
    ctx.server.reset();
    // h0 answered, h1 refused once (retry-after-ms 200), h2-h7 answered, h8-h11 refused: a burst
    // whose reading is the 1 request taken before h1, and the pace books the 7 taken at 0.9 a
    // second, holding the retries back ~6 s. Before, the lines said only "7/12 done … 4.0 req/s",
    // then "2.0 req/s", "1.3 req/s"…: no reason for the wait.
    const prompts = ['h0', 'h1 [[fault:429]]', ...[2, 3, 4, 5, 6, 7].map((i) => `h${i}`), ...[8, 9, 10, 11].map((i) => `h${i} [[fault:429]]`)];
    const file = writePrompts(ctx.dir, 'held.txt', prompts);
    const args = [file, '--base-url', ctx.server.url, '-c', '12', '--progress', '0.5', '-o', path.join(ctx.dir, 'held.jsonl')];
    const r = await sigtermOnceSaid(args, /waiting [2-9]\.\ds\n/, 'a progress line telling the hold');
    expect(r.stderr).toMatch(/^llm-batch: \S+ [78]\/12 done \([78] ok, 0 failed\) · .*rate limited, waiting [2-9]\.\ds$/m);
  });
});

describe('a pace the user set', () => {
  it('--rpm holding the next request back is no "rate limited": the lines keep their count', async () => {
    // 39a2bb3 said "rate limited, waiting 1.1s" between every two requests of a slow --rpm.
    const file = writePrompts(ctx.dir, 'rpm.txt', ['r1', 'r2', 'r3']);
    const r = await runCli([file, '--base-url', ctx.server.url, '-c', '1', '--rpm', '60', '--progress', '0.5', '-o', path.join(ctx.dir, 'rpm.jsonl')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/1\/3 done/);
    expect(r.stderr).not.toMatch(/rate limited/);
  });

  it('--tpm holding the next request back is no "rate limited" either, after a 429 met early on', async () => {
    // After one 429 the pace 429s cut stayed below its (endless) ceiling: every --tpm wait after it
    // said "rate limited, waiting 5.4s".
    ctx.server.reset();
    const file = writePrompts(ctx.dir, 'tpm.txt', ['t1 [[fault:429]]', 't2', 't3']);
    const args = [file, '--base-url', ctx.server.url, '-c', '1', '--tpm', '4200', '--max-tokens', '100', '--progress', '0.5'];
    const r = await runCli([...args, '-o', path.join(ctx.dir, 'tpm.jsonl')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/[12]\/3 done/);
    expect(r.stderr.split('\n').filter((line) => /[12]\/3 done/.test(line) && /rate limited/.test(line))).toEqual([]);
  });
});

describe('runs side by side in one terminal or log', () => {
  it('each summary names its input', async () => {
    const [a, b] = await Promise.all([
      runCli([writePrompts(ctx.dir, 'left.txt', ['l1']), '--base-url', ctx.server.url, '-o', path.join(ctx.dir, 'left.jsonl')]),
      runCli([writePrompts(ctx.dir, 'right.txt', ['r1', 'r2']), '--base-url', ctx.server.url, '-o', path.join(ctx.dir, 'right.jsonl')]),
    ]);
    expect(a.stderr.trim()).toMatch(/^llm-batch: 1 ok, 0 failed · .* · \S+\/left\.txt$/);
    expect(b.stderr.trim()).toMatch(/^llm-batch: 2 ok, 0 failed · .* · \S+\/right\.txt$/);
  });
});

describe("a pause the server's x-ratelimit-remaining-* header imposes", () => {
  it('the progress lines say "rate limited, waiting", as for a 429', async () => {
    ctx.server.reset();
    // One request per 2 s window: each answer says remaining 0, reset in ~2 s, and the next waits.
    ctx.server.options.rateLimit = { requests: 1, windowMs: 2000, retryAfter: 'ms' };
    try {
      const file = writePrompts(ctx.dir, 'used-up.txt', ['u1', 'u2']);
      const r = await runCli([file, '--base-url', ctx.server.url, '-c', '1', '--progress', '0.5', '-o', path.join(ctx.dir, 'used-up.jsonl')]);
      expect(r.code).toBe(0);
      expect(ctx.server.requests.map((q) => q.status)).toEqual([200, 200]); // paused, not refused
      expect(r.stderr).toMatch(/^llm-batch: \S+ 1\/2 done \(1 ok, 0 failed\) · .*rate limited, waiting \d\.\ds$/m);
    } finally {
      delete ctx.server.options.rateLimit;
    }
  });
});
