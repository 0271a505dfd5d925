/** The o200k prompt-token estimate of --dry-run and --tpm: exact for ordinary text, sliced for long runs. */
import fs from 'node:fs';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { estimateTextTokens, requestTokenEstimator } from '../../src/schedule/estimate-tokens.js';
import { countBySlices } from '../../src/schedule/token-slices.js';

const exact = (text: string): number => countTokens(text, { disallowedSpecial: new Set() });

describe('estimateTextTokens', () => {
  it.each([
    ['English prose and tables (README.md)', 'README.md'],
    ['TypeScript (src/engine/run-batch.ts)', 'src/engine/run-batch.ts'],
    ['JSON (package.json)', 'package.json'],
  ])('is the exact o200k count of %s', (_what, file) => {
    const text = fs.readFileSync(file, 'utf8');
    expect(estimateTextTokens(text)).toBe(exact(text));
  });

  it('is the exact count of CJK prose with its punctuation', () => {
    const text = '这是一个测试句子，没有空格的中文文本。输入很大：每行一个提示！'.repeat(100);
    expect(estimateTextTokens(text)).toBe(exact(text));
  });

  it('counts a long unbroken run in slices, not as one piece (whose BPE is quadratic)', () => {
    // A sequence whose slices' counts differ from its whole count: only slicing gives this figure.
    const dna = Array.from({ length: 4096 }, (_, i) => 'ACGT'[(i * i + 7 * i) % 4]).join('');
    const sliced = countBySlices(dna, exact);
    expect(sliced).not.toBe(exact(dna));
    expect(estimateTextTokens(dna)).toBe(sliced);
    expect(requestTokenEstimator()({ messages: [{ role: 'user', content: dna }] })).toBe(3 + 3 + sliced);
  });
});
