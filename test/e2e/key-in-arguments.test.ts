/**
 * The API key typed where a flag's value goes, or in an LLM_BATCH_* variable: refused before anything
 * runs, naming where it was and never the value. A review found it echoed in refusals
 * (`--reasoning-effort must be …, got "sk-…"`), in a --mock run's summary, and stored in the
 * settings file and summary as a model name (`-m "$OPENAI_API_KEY"`). Spawns nothing: the bundle's
 * main in a worker (test/helpers/run-in-worker.ts); `npm run build` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SECRET_KEY, tempDir, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const { dir, cleanup } = tempDir('llm-batch-key-args-');
afterAll(cleanup);

describe('the API key in an argument', () => {
  it.each([
    [['--reasoning-effort', SECRET_KEY], 'argument 8 (after --reasoning-effort)'],
    [['-m', SECRET_KEY], 'argument 8 (after -m)'],
    [[`--id-field=${SECRET_KEY}`], 'the value of --id-field'],
    [['-t', `{{${SECRET_KEY}}}`], 'argument 8 (after -t)'],
    [['--json-schema', path.join(dir, `${SECRET_KEY}.json`)], 'argument 8 (after --json-schema)'],
    // A flag before it that takes no value is not called its owner.
    [['-q', path.join(dir, `in-${SECRET_KEY}.txt`)], 'argument 8 (after -q)'],
  ])('%j: one line naming %s, exit 2, nothing written', async (args, where) => {
    const input = writePrompts(dir, 'p.txt', ['hi']);
    const summary = path.join(dir, 's.json');
    const r = await runInWorker([input, '--mock', '-o', path.join(dir, 'out.jsonl'), '--summary-json', summary, ...args]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(
      `llm-batch: ${where} holds the API key (OPENAI_API_KEY's value): the key goes in OPENAI_API_KEY alone, and llm-batch would repeat an argument in messages, resume commands and its files; nothing was run\n`,
    );
    expect(r.stdout).toBe('');
    expect(fs.existsSync(summary) || fs.existsSync(path.join(dir, 'out.jsonl'))).toBe(false);
  });

  it('in an LLM_BATCH_* variable: named, the same way', async () => {
    const input = writePrompts(dir, 'v.txt', ['hi']);
    const r = await runInWorker([input, '--mock', '--dry-run'], { env: { LLM_BATCH_MODEL: `${SECRET_KEY},gpt-4o-mini` } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^llm-batch: LLM_BATCH_MODEL holds the API key \(OPENAI_API_KEY's value\)/);
    expect(r.stderr + r.stdout).not.toContain(SECRET_KEY);
  });

  it('in --base-url (a gateway that takes it in its path, as README documents): not refused here', async () => {
    const input = writePrompts(dir, 'b.txt', ['hi']);
    for (const args of [['--base-url', `http://127.0.0.1:9/${SECRET_KEY}/v1`], [`--base-url=http://127.0.0.1:9/${SECRET_KEY}/v1`]]) {
      const r = await runInWorker([input, ...args, '--dry-run']);
      expect(r.stderr).not.toMatch(/holds the API key/);
      expect(r.stderr + r.stdout).not.toContain(SECRET_KEY);
    }
  });

  it('a short placeholder key (`ollama`) is not looked for: `-m ollama/llama3` runs', async () => {
    const input = writePrompts(dir, 'o.txt', ['hi']);
    const r = await runInWorker([input, '--mock', '-m', 'ollama/llama3', '--dry-run'], { env: { OPENAI_API_KEY: 'ollama' } });
    expect(r.code, r.stderr).toBe(0);
  });
});
