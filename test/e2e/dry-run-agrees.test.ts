/**
 * A dry run says what the run will do: the same cache keys, the same refusals. Found by the
 * session-22 explorer where the two disagreed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, runShell, tempDir, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const { dir, cleanup } = tempDir('llm-batch-dry-agrees-');
afterAll(cleanup);

describe('--dry-run agrees with the run', () => {
  it('--mock --max-tokens: the dry run finds the answer the run stored, live and --batch-api', async () => {
    const input = writePrompts(dir, 'story.txt', ['tell me a long story']);
    const args = [input, '--mock', '--max-tokens', '50', '--cache-dir', path.join(dir, 'cache')];
    const run = await runCli([...args, '-o', path.join(dir, 'story.jsonl'), '-q']);
    expect(run.code, run.stderr).toBe(0);
    for (const extra of [[], ['--batch-api']]) {
      const dry = await runCli([...args, ...extra, '--dry-run']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/^ {2}1 record: 0 to send, 1 answered from the cache, 0 bad$/m);
    }
  });

  it('-o FILE that has rows, without --resume or --overwrite: refused as the run refuses it (the same line, exit 2)', async () => {
    const input = writePrompts(dir, 'exists.txt', ['one']);
    const out = path.join(dir, 'exists.jsonl');
    fs.writeFileSync(out, '{"id":"1"}\n');
    const run = await runInWorker([input, '--mock', '--no-cache', '-o', out]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/already exists: pass --resume to continue it/);
    const dry = await runInWorker([input, '--mock', '--no-cache', '-o', out, '--dry-run']);
    expect({ code: dry.code, stderr: dry.stderr, stdout: dry.stdout }).toEqual({ code: 2, stderr: run.stderr, stdout: '' });
    expect(fs.readFileSync(out, 'utf8')).toBe('{"id":"1"}\n');
    // --overwrite's dry run counts what it would send; the file is left as it is.
    const over = await runInWorker([input, '--mock', '--no-cache', '-o', out, '--overwrite', '--dry-run']);
    expect(over.code, over.stderr).toBe(0);
    expect(over.stdout).toMatch(/^ {2}1 record: 1 to send, 0 bad$/m);
    expect(fs.readFileSync(out, 'utf8')).toBe('{"id":"1"}\n');
  });

  it("-o through a file, or a directory: refused in the run's words (it was an internal error, or 'already exists')", async () => {
    const input = writePrompts(dir, 'through.txt', ['one']);
    fs.writeFileSync(path.join(dir, 'afile'), 'x');
    fs.mkdirSync(path.join(dir, 'adir'), { recursive: true });
    for (const [out, extra] of [
      [path.join(dir, 'afile', 'out.jsonl'), []],
      [path.join(dir, 'adir'), []],
      [path.join(dir, 'adir'), ['--overwrite']],
    ] as const) {
      const run = await runInWorker([input, '--mock', '--no-cache', '-o', out, ...extra]);
      const dry = await runInWorker([input, '--mock', '--no-cache', '-o', out, ...extra, '--dry-run']);
      expect(run.code, run.stderr).toBe(2);
      expect({ code: dry.code, stderr: dry.stderr }).toEqual({ code: 2, stderr: run.stderr });
    }
  });

  it('--resume into a stream (-o /dev/null): refused as the run refuses it; --batch-api --resume goes on', async () => {
    const input = writePrompts(dir, 'stream.txt', ['one']);
    const args = [input, '--mock', '--no-cache', '-o', '/dev/null', '--resume'];
    const run = await runInWorker(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('llm-batch: --resume needs a regular output file; /dev/null is a stream\n');
    const dry = await runInWorker([...args, '--dry-run']);
    expect({ code: dry.code, stderr: dry.stderr, stdout: dry.stdout }).toEqual({ code: 2, stderr: run.stderr, stdout: '' });
    const batch = await runInWorker([...args, '--batch-api', '--dry-run']);
    expect(batch.code, batch.stderr).toBe(0);
  });

  it('the estimate names the prices it used, as the summary does: given, list, or both', async () => {
    const input = writePrompts(dir, 'priced-by.txt', ['one']);
    const file = (name: string, entries: object) => {
      const at = path.join(dir, name);
      fs.writeFileSync(at, JSON.stringify(entries));
      return at;
    };
    const cases = [
      [file('both.json', { 'gpt-4o-mini': '0.3/1.2', 'gpt-4o': '3/12' }), /\(the given prices;/],
      [file('some.json', { 'gpt-4o-mini': '0.3/1.2' }), /\(the given prices and list prices of \d{4}-\d{2}-\d{2};/],
      [file('none.json', { gpt4o_mini: '0.3/1.2' }), /\(list prices of \d{4}-\d{2}-\d{2};/],
    ] as const;
    for (const [prices, said] of cases) {
      const dry = await runInWorker([input, '--mock', '--no-cache', '-m', 'gpt-4o-mini,gpt-4o', '--prices', prices, '--dry-run']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(said);
    }
  });

  it('--max-cost with a model of no known price: refused as the run refuses it: one line, exit 2', async () => {
    const dry = await runInWorker([writePrompts(dir, 'priced.txt', ['one']), '-m', 'unknown-x', '--max-cost', '1', '--dry-run'], {
      env: { OPENAI_API_KEY: undefined },
    });
    expect(dry.code).toBe(2);
    expect(dry.stderr).toBe('llm-batch: --max-cost: no price known for model unknown-x; give --price IN/OUT (USD per million tokens) or a --prices file\n');
    expect(dry.stdout).toBe('');
  });

  it("--max-cost with a row's own model of no known price: a bad record, as the run's input row says, live and --batch-api", async () => {
    const input = path.join(dir, 'own-model.jsonl');
    fs.writeFileSync(input, '{"prompt":"a1"}\n{"prompt":"a2","model":"weird-model"}\n');
    const said = `${input}:2: no price known for model weird-model: --max-cost needs one (--price IN/OUT or --prices FILE)`;
    const args = [input, '--mock', '--max-cost', '1', '--no-cache'];
    for (const extra of [[], ['--batch-api']]) {
      const dry = await runInWorker([...args, ...extra, '--dry-run']);
      expect(dry.code, dry.stderr).toBe(2);
      expect(dry.stdout).toMatch(/^ {2}2 records: 1 to send, 1 bad$/m);
      expect(dry.stdout).toContain(`\n  ${said}\n`);
      expect(dry.stdout).not.toMatch(/weird-model: 1 request/);
    }
    const out = path.join(dir, 'own-model.out.jsonl');
    const run = await runCli([...args, '-o', out, '-q']);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe(`llm-batch: ${said}`);
    const rows = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.find((r) => r.line === 2).error).toEqual({ type: 'input', message: said });
  });

  it("--tpm below what a prompt and its max_tokens need: a bad record, in the words of the run's input row; sent by --batch-api", async () => {
    // Before, the dry run said "2 to send, 0 bad" and exit 0; the run refused the row unsent, exit 1.
    const input = path.join(dir, 'over-tpm.jsonl');
    fs.writeFileSync(input, `{"prompt":"short"}\n{"prompt":"${'word '.repeat(3000).trim()}"}\n{"prompt":"big, its own model","model":"m2","max_tokens":900}\n`);
    const args = [input, '--mock', '--tpm', '600', '--max-tokens', '10', '--no-cache'];
    const out = path.join(dir, 'over-tpm.out.jsonl');
    const run = await runCli([...args, '-o', out, '-q']);
    expect(run.code).toBe(1);
    const rows = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const said = [2, 3].map((line) => rows.find((r) => r.line === line).error);
    expect(said.map((e) => e.type)).toEqual(['input', 'input']);
    expect(said[0].message).toMatch(/:2: never sent: its prompt and max_tokens 10 need about 30\d\d tokens, more than --tpm 600 allows/);
    expect(said[1].message).toMatch(/:3: never sent to m2: its prompt and max_tokens 900 need about 9\d\d tokens, more than --tpm 600 allows/);
    const dry = await runInWorker([...args, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(2);
    expect(dry.stdout).toMatch(/^ {2}3 records: 1 to send, 2 bad$/m);
    for (const { message } of said) expect(dry.stdout).toContain(`\n  ${message}\n`);
    // A --batch-api run paces nothing: it sends every line in its batches, and its dry run says so.
    const batch = await runInWorker([...args, '--batch-api', '--dry-run']);
    expect(batch.code, batch.stderr).toBe(0);
    expect(batch.stdout).toMatch(/^ {2}3 records: 3 to send, 0 bad$/m);
  });

  it('--resume of an output another run wrote: refused as the run refuses it (the same line, exit 2); --force-resume counts it', async () => {
    const first = writePrompts(dir, 'first.txt', ['a', 'b']);
    const other = writePrompts(dir, 'other.txt', ['totally', 'other']);
    const out = path.join(dir, 'resumed.jsonl');
    expect((await runCli([first, '--mock', '-o', out, '-q'])).code).toBe(0);
    const written = fs.readFileSync(out, 'utf8');
    for (const args of [
      [other, '--mock'],
      [first, '--mock', '--temperature', '1'],
      [first, '--mock', '-m', 'other-model'],
    ]) {
      const dry = await runInWorker([...args, '-o', out, '--resume', '--dry-run']);
      // The first refusal runs as a child process; the others, refused alike before anything runs, in the worker.
      const run = await (args[0] === other ? runCli : runInWorker)([...args, '-o', out, '--resume', '-q']);
      expect(run.code, args.join(' ')).toBe(2);
      expect(dry.code, args.join(' ')).toBe(2);
      expect(dry.stderr).toMatch(/^llm-batch: .*resumed\.jsonl was written by a different run \(.*\); refusing to mix results\. Pass --force-resume/);
      expect(dry.stderr).toBe(run.stderr);
      expect(dry.stdout).toBe('');
    }
    expect(fs.readFileSync(out, 'utf8')).toBe(written);
    const forced = await runInWorker([other, '--mock', '-o', out, '--resume', '--dry-run', '--force-resume']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/^ {2}2 records: 2 to send, 0 bad$/m);
    // What the run accepts, the dry run does: prompts appended, another --max-tokens.
    fs.appendFileSync(first, 'c\n');
    const grown = await runInWorker([first, '--mock', '--max-tokens', '9', '-o', out, '--resume', '--dry-run']);
    expect(grown.code, grown.stderr).toBe(0);
    expect(grown.stdout).toMatch(/^ {2}3 records: 1 to send, 2 already answered, 0 bad$/m);
  });

  it('--limit 5 -o FILE with a bad byte past the limit: refused as the run refuses it (the whole file is checked); without -o both read 5', async () => {
    const input = path.join(dir, 'late-bad.txt');
    const lines = Array.from({ length: 3000 }, (_, i) => `line ${i + 1}\n`).join('');
    fs.writeFileSync(input, Buffer.concat([Buffer.from(lines), Buffer.from([0x61, 0xe9, 0x0a]), Buffer.from('last\n')]));
    const out = path.join(dir, 'late-bad.jsonl');
    const args = [input, '--mock', '--no-cache', '--limit', '5'];
    const dry = await runInWorker([...args, '-o', out, '--dry-run']);
    const run = await runCli([...args, '-o', out, '-q']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/^llm-batch: .*late-bad\.txt:3001: not valid UTF-8 \(byte 0xE9\)/);
    expect(dry.code, dry.stdout).toBe(2);
    expect(dry.stderr).toBe(run.stderr);
    expect(dry.stdout).toBe('');
    expect(fs.existsSync(out)).toBe(false);
    const dryToStdout = await runInWorker([...args, '--dry-run']);
    expect(dryToStdout.code, dryToStdout.stderr).toBe(0);
    expect(dryToStdout.stdout).toMatch(/^ {2}5 records: 5 to send, 0 bad$/m);
    expect((await runCli([...args, '-q'])).code).toBe(0);
    // Stdin redirected from that file (`- < late-bad.txt`) with -o FILE: the same, said of <stdin>.
    const shell = `$LLM - --input-format txt --mock --no-cache --limit 5 -o late-bad.jsonl`;
    const dryStdin = await runShell(`${shell} --dry-run < late-bad.txt`, dir);
    const runStdin = await runShell(`${shell} -q < late-bad.txt`, dir);
    expect(runStdin.code, runStdin.stderr).toBe(2);
    expect(runStdin.stderr).toMatch(/^llm-batch: <stdin>:3001: not valid UTF-8 \(byte 0xE9\)/);
    expect(dryStdin.code, dryStdin.stdout).toBe(2);
    expect(dryStdin.stderr).toBe(runStdin.stderr);
    expect(fs.existsSync(out)).toBe(false);
  });
});
