import fs from 'node:fs';
import { createStats } from '../engine/stats.js';
import type { RunError } from '../errors.js';
import { buildSummary, type RunSummary } from '../ui/summary.js';
import type { CliConfig } from './config.js';

/** Set once the run may send: a refusal before then replaces --summary-json with one that says so. */
export interface RunPhase {
  sending: boolean;
}

/** --summary-json of a run refused before anything was sent: its figures are all zero, and it says why. */
export type RefusedSummary = Omit<RunSummary, 'stopped'> & { stopped: 'refused'; error: string; exitCode: number };

/**
 * Replaces --summary-json when the run is refused before anything is sent (lock held, output exists,
 * an input or key that will not do). A cron wrapper's `jq .failed s.json` then reads this invocation,
 * not yesterday's figures, and `.stopped`, `.error` and `.exitCode` say what happened. Replacing is
 * safe: the path passed the same checks as at the end of a run (an earlier summary, or a new file),
 * and a refusal about the path itself fails here too, silently: its own line on stderr said it.
 */
export function writeRefusedSummary(config: CliConfig, err: RunError): void {
  if (!config.summaryJson) return;
  const apiKey = config.provider.kind === 'openai' ? config.provider.apiKey : undefined;
  const error = apiKey && apiKey.length >= 4 ? err.message.split(apiKey).join('[redacted]') : err.message;
  const summary: RefusedSummary = {
    ...buildSummary(createStats(), performance.now(), undefined, null, config.model),
    input: config.input.kind === 'file' ? config.input.path : null,
    stopped: 'refused',
    error,
    exitCode: err.exitCode,
  };
  try {
    fs.writeFileSync(config.summaryJson, `${JSON.stringify(summary, null, 2)}\n`);
  } catch {
    // The refusal is the news; a summary that cannot be written (the reason, or a full disk) adds nothing.
  }
}
