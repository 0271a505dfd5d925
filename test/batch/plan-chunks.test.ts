import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planChunks } from '../../src/batch/plan-chunks.js';
import type { PromptRecord, ResultRow } from '../../src/types.js';
import { tempDir } from '../helpers/run-cli.js';
import { asyncFrom as from } from '../helpers/collect.js';

const record = (id: string, prompt: string, model?: string): PromptRecord => ({
  id,
  line: Number(id.replace(/\D/g, '')) || 1,
  source: 'in.txt',
  prompt,
  messages: [{ role: 'user', content: prompt }],
  params: model ? { model } : {},
});

const defaults = { model: 'm1', temperature: undefined, maxTokens: undefined, limitField: 'max_tokens' as const };
let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(() => tmp?.cleanup());

async function plan(records: PromptRecord[], maxLines: number, maxBytes: number) {
  tmp = tempDir('llm-batch-plan-');
  const rows: ResultRow[] = [];
  const chunks = await planChunks(from(records), defaults, { maxLines, maxBytes }, tmp.dir, 1, async (row) => void rows.push(row));
  const lines = (file: string) =>
    fs
      .readFileSync(path.join(tmp!.dir, file), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  return { chunks, rows, lines };
}

describe('planChunks', () => {
  it('one model per chunk, at most maxLines each, numbered in the order they open', async () => {
    const records = [record('1', 'a'), record('2', 'b', 'm2'), record('3', 'c'), record('4', 'd'), record('5', 'e', 'm2')];
    const { chunks, lines } = await plan(records, 2, 1e6);
    expect(chunks.map((c) => [c.n, c.model, c.lines])).toEqual([
      [1, 'm1', 2],
      [2, 'm2', 2],
      [3, 'm1', 1],
    ]);
    expect(lines(chunks[1]!.file).map((l) => l.custom_id)).toEqual(['2', '5']);
    expect(lines('chunk-00001.index.jsonl')).toEqual([
      ['1', 1, 'a'],
      ['3', 3, 'c'],
    ]);
  });

  it('breaks before a line would pass maxBytes; the byte count is the file size', async () => {
    const records = Array.from({ length: 10 }, (_, i) => record(String(i + 1), 'x'.repeat(50)));
    const { chunks } = await plan(records, 100, 400);
    for (const c of chunks) {
      expect(c.bytes).toBeLessThanOrEqual(400);
      expect(fs.statSync(path.join(tmp!.dir, c.file)).size).toBe(c.bytes);
    }
    expect(chunks.reduce((s, c) => s + c.lines, 0)).toBe(10);
  });

  it('a repeated id, a bad record and a line larger than a file become input error rows, never requests', async () => {
    const bad: PromptRecord = { ...record('9', ''), problem: { message: 'in.txt:9: "url" must be /v1/chat/completions', field: 'url' } };
    const records = [record('1', 'a'), record('1', 'again'), bad, record('7', 'y'.repeat(500))];
    const { chunks, rows } = await plan(records, 10, 300);
    expect(chunks.map((c) => c.lines)).toEqual([1]);
    expect(rows.map((r) => [r.id, r.error?.type])).toEqual([
      ['1', 'input'],
      ['9', 'input'],
      ['7', 'input'],
    ]);
    expect(rows[0]!.error!.message).toMatch(/^in\.txt:1: id "1" appears more than once/);
    // The reader's message names its file and line already: said once, as a live row says it.
    expect(rows[1]!.error!.message).toBe('in.txt:9: "url" must be /v1/chat/completions');
    expect(rows[2]!.error!.message).toMatch(/more than a whole batch file may hold \(--batch-max-mb\)/);
  });
});
