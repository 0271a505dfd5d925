/**
 * Validation cost per row for a 10-field schema, in process: what the engine pays for each answer
 * with --json-schema (JSON.parse + the Ajv check compiled once), against the floor (JSON.parse
 * alone) and against compiling the schema for every row (what "compile once" saves).
 * Run alone: `npm run build && npx tsc -p bench && node bench/dist/bench/validation.js`,
 * or as the `validation` scenario of `npm run bench`.
 */
import { performance } from 'node:perf_hooks';
import { sampleValue } from '../src/structured/sample-answer.js';
import { strictify, type JsonSchema } from '../src/structured/strictify.js';
import { compileCheck } from '../src/structured/validate.js';
import type { ScenarioResult } from './harness.js';

export const TEN_FIELDS: JsonSchema = {
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
    category: { type: 'string', enum: ['billing', 'shipping', 'bug', 'account', 'feature_request', 'other'] },
    urgent: { type: 'boolean' },
    summary: { type: 'string' },
    products: { type: 'array', items: { type: 'string' }, maxItems: 5 },
    order_id: { type: 'string', pattern: '^[A-Z]{2}-[0-9]{5}$' },
    received: { type: 'string', format: 'date' },
    contact: { type: 'string', format: 'email' },
    score: { type: 'integer', minimum: 1, maximum: 5 },
    customer: { type: 'object', properties: { name: { type: 'string' }, tier: { type: 'string', enum: ['free', 'pro', 'enterprise'] } } },
  },
  required: ['sentiment', 'category', 'urgent', 'summary', 'products', 'order_id', 'received', 'contact', 'score'],
};

const ROWS = 20_000;
const ROUNDS = 5;
const COMPILE_ROWS = 200;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function runValidationBench(): Promise<ScenarioResult> {
  const strict = strictify(TEN_FIELDS).schema;
  const t0 = performance.now();
  const check = compileCheck(strict, '07');
  const compileMs = performance.now() - t0;
  const answers = Array.from({ length: 1000 }, (_, i) =>
    JSON.stringify(sampleValue(strict, `row ${i}`, (name) => `${name} of ticket ${i}: "quoted", commas, ünïcode`)),
  );
  if (!answers.every((a) => check(a).ok)) throw new Error('bench answers must be valid');

  const perRow = (fn: (text: string) => unknown, rows = ROWS): number => {
    const start = performance.now();
    for (let i = 0; i < rows; i++) fn(answers[i % answers.length]!);
    return ((performance.now() - start) * 1000) / rows;
  };
  // Warm-up: let V8 optimise both paths before timing.
  perRow(check);
  perRow(JSON.parse);
  const heapBefore = process.memoryUsage().heapUsed;
  const checked: number[] = [];
  const parsed: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    checked.push(perRow(check));
    parsed.push(perRow(JSON.parse));
  }
  const heapAfter = process.memoryUsage().heapUsed;
  const perRowCompile = perRow((text) => compileCheck(strict, '07')(text), COMPILE_ROWS);
  const invalid = perRow(() => check(answers[0]!.replace('"urgent":', '"urgent":"no","x":')), 2000);

  const us = (n: number): string => `${n.toFixed(2)} µs`;
  const cost = median(checked);
  const floor = median(parsed);
  return {
    scenario: 'validation',
    notes: [],
    measures: [
      { name: 'compile (once per run)', value: `${compileMs.toFixed(1)} ms` },
      { name: 'parse + validate, per valid row (median of 5 × 20k)', value: us(cost), requirement: '< 20 µs', pass: cost < 20 },
      { name: 'floor: JSON.parse alone, per row', value: `${us(floor)} (check / floor ${(cost / floor).toFixed(2)}×)` },
      { name: 'per invalid row (2 violations, all errors collected)', value: us(invalid) },
      { name: 'reference: compile per row instead of once', value: `${us(perRowCompile)} (${Math.round(perRowCompile / cost)}× the compiled-once cost)` },
      { name: 'heap growth over 100k checks', value: `${((heapAfter - heapBefore) / 1e6).toFixed(1)} MB` },
      { name: 'peak RSS of the bench process', value: `${Math.round(process.resourceUsage().maxRSS / 1024)} MB` },
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runValidationBench();
  for (const m of r.measures) console.log(`${m.name.padEnd(56)} ${m.value}${m.requirement ? `  [${m.requirement}: ${m.pass ? 'PASS' : 'FAIL'}]` : ''}`);
}
