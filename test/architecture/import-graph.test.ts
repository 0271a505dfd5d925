import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCycles, sourceImports, upwardImports, type ImportEdge } from '../helpers/source-graph.js';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/**
 * The layer diagram. A module may import its own room (folder) and rooms of a LOWER layer only;
 * rooms of one layer do not import each other. `ui` sits above the engine because it shows the
 * engine's vocabulary (BatchEvent, BatchStats); the engine never imports it.
 *
 *   cli, report-page                   4  the command line; the report's page
 *   index.ts                         3.5  the library's API (the CLI's commands chunk carries it: the
 *                                         package's entry re-exports it from there, scripts/bundle.mjs)
 *   ui, report                         3  progress, summaries, answers on a terminal; the HTML report
 *   engine, batch                      2  runBatch: pull, schedule, complete, rows; the Batch API job
 *   schedule, provider, input, output  1  pacing; one attempt; readers; writers
 *   structured                       0.5  JSON Schema rules and checks, used by the body builder,
 *                                         the CSV columns and the engine's re-asks
 *   cache, budget                     1  the answer store and its key; the spending cap
 *   types, errors, util, redact, pricing, finish-reason  0
 */
const LAYER: Record<string, number> = {
  cli: 4,
  'index.ts': 3.5,
  'report-page': 4,
  ui: 3,
  report: 3,
  engine: 2,
  batch: 2,
  schedule: 1,
  provider: 1,
  input: 1,
  output: 1,
  structured: 0.5,
  cache: 1,
  budget: 1,
  'types.ts': 0,
  'errors.ts': 0,
  util: 0,
  'redact.ts': 0,
  'pricing.ts': 0,
  'finish-reason.ts': 0,
};

describe('import graph of src/', () => {
  const edges = sourceImports(SRC);

  it('finds the imports (the check below is not vacuous)', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({ from: 'cli/send-rows.ts', to: 'engine/run-batch.ts', dynamic: false });
    expect(edges).toContainEqual({ from: 'cli/main.ts', to: 'cli/commands.ts', dynamic: true });
  });

  it('every import points down the layers', () => {
    expect(upwardImports(edges, LAYER)).toEqual([]);
  });

  it('has no cycle between rooms or between files', () => {
    expect(importCycles(edges, (f) => (f.includes('/') ? f.slice(0, f.indexOf('/')) : f))).toEqual([]);
    expect(importCycles(edges)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const edge = (from: string, to: string): ImportEdge => ({ from, to, dynamic: false });

  it.each([
    ['an upward import', edge('engine/run-batch.ts', 'cli/config.ts'), /engine \(layer 2\) may not import cli \(layer 4\)/],
    ['a sibling import', edge('provider/completion.ts', 'schedule/rate-headers.ts'), /provider \(layer 1\) may not import schedule \(layer 1\)/],
    ['an unplaced room', edge('nowhere/store.ts', 'types.ts'), /"nowhere" has no place/],
  ])('report %s', (_name, e, message) => {
    expect(upwardImports([e], LAYER)).toEqual([expect.stringMatching(message)]);
  });

  it('allows imports within a room and down', () => {
    expect(upwardImports([edge('cli/a.ts', 'cli/b.ts'), edge('cli/a.ts', 'engine/x.ts'), edge('engine/x.ts', 'types.ts')], LAYER)).toEqual([]);
  });

  it('reports a cycle', () => {
    expect(importCycles([edge('a.ts', 'b.ts'), edge('b.ts', 'c.ts'), edge('c.ts', 'a.ts')])).toEqual(['a.ts → b.ts → c.ts → a.ts']);
  });
});
