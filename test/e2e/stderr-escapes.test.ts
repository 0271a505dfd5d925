/**
 * Messages on stderr quote what others wrote: a server's error body, a file name. Their control
 * characters (an escape sequence that retitles or clears the terminal) are shown as `\uFFFD`, as
 * the answers printed on a terminal already are; before, they reached the terminal, or a log read
 * later with `cat`, as they came. Through the BUILT CLI against a small server of the test's own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, writePrompts } from '../helpers/run-cli.js';
import { useReplyServer } from '../helpers/reply-server.js';

const HOSTILE = 'Bad key \u001b]0;PWNED\u0007\u001b[2J';

const server = useReplyServer('llm-batch-stderr-escapes-', (_body, res) => {
  res.writeHead(401, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message: HOSTILE, code: 'invalid_api_key' } }));
});
beforeAll(() => {
  writePrompts(server.dir, 'p.txt', ['one']);
});

describe('control characters in stderr messages', () => {
  it("a server's error message: shown with \uFFFD in place of each control character, exit 2", async () => {
    const r = await runCli(['p.txt', '--base-url', server.url, '--no-cache', '-o', 'out.jsonl'], { cwd: server.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Bad key \uFFFD]0;PWNED\uFFFD\uFFFD[2J');
    expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });

  it('a file name in a refusal: the same', async () => {
    const r = await runCli(['no\u001b[2Jfile.txt', '--mock'], { cwd: server.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`llm-batch: cannot read input file no\uFFFD[2Jfile.txt: no such file in ${server.dir}\n`);
  });
});

describe('a file name with a line break', () => {
  it('the summary line shows it as \uFFFD: one line, not a second that reads as a line of its own', async () => {
    fs.copyFileSync(path.join(server.dir, 'p.txt'), path.join(server.dir, 'nl\nname.txt'));
    const r = await runCli(['nl\nname.txt', '--mock', '-o', '/dev/null'], { cwd: server.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^llm-batch: 1 ok, 0 failed · .* · nl\uFFFDname\.txt\n$/);
  });

  it('an error naming it is one line too: a run error, an -o refusal, a --summary-json that cannot be written', async () => {
    // The line broke in two, the second without "llm-batch:", which a grep of a log misses.
    const input = await runCli(['no\nsuch\tfile.txt', '--mock'], { cwd: server.dir });
    expect([input.code, input.stderr]).toEqual([2, `llm-batch: cannot read input file no\uFFFDsuch\uFFFDfile.txt: no such file in ${server.dir}\n`]);
    const output = await runCli(['p.txt', '--mock', '-o', 'no\ndir/x.jsonl'], { cwd: server.dir });
    expect(output.code).toBe(2);
    expect(output.stderr).toMatch(/^llm-batch: [^\n]*no\uFFFDdir\/x\.jsonl[^\n]*\n$/);
    const summary = await runCli(['p.txt', '--mock', '-o', '/dev/null', '--summary-json', 'no\ndir/s.json'], { cwd: server.dir });
    expect(
      summary.stderr
        .split('\n')
        .filter(Boolean)
        .every((line) => line.startsWith('llm-batch: ')),
      summary.stderr,
    ).toBe(true);
    expect(summary.stderr).toContain('no\uFFFDdir/s.json');
  });
});

describe('control characters in what --dry-run shows (EXC s22 F5)', () => {
  it("a schema property's name: the note and columns show \uFFFD, the request escapes it (the same JSON), nothing raw on stdout", async () => {
    const name = '\u001b[31mRED\u202e';
    const schema = { type: 'object', properties: { [name]: { type: 'string' }, ok: { type: 'string' } }, required: ['ok'] };
    fs.writeFileSync(path.join(server.dir, 'hostile.json'), JSON.stringify(schema));
    const r = await runCli(['p.txt', '--mock', '--json-schema', 'hostile.json', '--dry-run', '-o', 'out.csv'], { cwd: server.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('optional /properties/\uFFFD[31mRED\uFFFD made required');
    expect(r.stdout).toContain('CSV columns after id: \uFFFD[31mRED\uFFFD, ok');
    expect(r.stdout).toContain('"\\u001b[31mRED\\u202e": {');
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  });
});

describe("the commands' lines naming files: report, merge, compact, cache", () => {
  it('an escape sequence in a file name is shown as \uFFFD in every line, the report page holds none raw either', async () => {
    const dir = server.dir;
    const base = await runCli(['p.txt', '--mock', '-o', 'base.jsonl'], { cwd: dir });
    expect(base.code, base.stderr).toBe(0);
    const hostile = 'esc\u001b]0;PWNED\u0007\u001b[2J.jsonl';
    fs.copyFileSync(path.join(dir, 'base.jsonl'), path.join(dir, hostile));
    fs.mkdirSync(path.join(dir, 'no\u001b[2Jcache'));
    const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
    const runs = [
      await runCli(['report', hostile], { cwd: dir }),
      await runCli(['report', 'base.jsonl', '-o', 'x\u001b[31mred.html'], { cwd: dir }),
      await runCli(['merge', hostile, '-o', 'm\u001b[31m.jsonl'], { cwd: dir }),
      await runCli([hostile, '--compact', '-o', 'c\u001b[31m.jsonl'], { cwd: dir }),
      await runCli(['cache', 'clear'], { cwd: dir, env: { LLM_BATCH_CACHE_DIR: path.join(dir, 'no\u001b[2Jcache') } }),
    ];
    for (const [i, r] of runs.entries()) {
      expect(r.code, r.stderr).toBe(0);
      // --compact's closing line names no file.
      if (i !== 3) expect(r.stderr).toMatch(/\uFFFD/);
      expect(r.stderr, JSON.stringify(r.stderr)).not.toMatch(raw);
    }
    expect(runs[0]!.stderr).toContain('written to esc\uFFFD]0;PWNED\uFFFD\uFFFD[2J.html');
    // `cache stats` names its directory on stdout, as plain text: shown as safely.
    const stats = await runCli(['cache', 'stats', '--cache-dir', path.join(dir, 'no\u001b[2Jcache')], { cwd: dir });
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).toContain('no\uFFFD[2Jcache\n');
    expect(stats.stdout).not.toMatch(raw);
    // The page written to a terminal (`report -o -`): its title and data say the name, escaped.
    const page = await runCli(['report', hostile, '-o', '-'], { cwd: dir });
    expect(page.code, page.stderr).toBe(0);
    expect(page.stdout).toContain('<title>esc\uFFFD]0;PWNED');
    expect(page.stdout).not.toMatch(raw);
  });
});
