import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { ResultRow } from '../../src/types.js';
import { collect } from './collect.js';
import { removeAtRunEnd } from './run-cli.js';

export { collect };

/** A fresh temp dir per call, removed after the current test (or at the run's end, if its worker is killed). */
export function useTmpDir(): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = removeAtRunEnd(mkdtempSync(join(tmpdir(), 'llm-batch-output-')));
    dirs.push(d);
    return d;
  };
}

export function okRow(id: string, response: string, extra: Partial<ResultRow> = {}): ResultRow {
  return {
    id,
    line: 1,
    prompt: `prompt ${id}`,
    response,
    error: null,
    attempts: 1,
    latency_ms: 120,
    model: 'gpt-4o-mini',
    finish_reason: 'stop',
    usage: { prompt_tokens: 5, completion_tokens: 7 },
    ...extra,
  };
}

export function errRow(id: string, message = 'timed out', extra: Partial<ResultRow> = {}): ResultRow {
  return {
    id,
    line: 2,
    prompt: `prompt ${id}`,
    response: null,
    error: { type: 'timeout', message },
    attempts: 3,
    latency_ms: null,
    model: null,
    finish_reason: null,
    usage: null,
    ...extra,
  };
}
