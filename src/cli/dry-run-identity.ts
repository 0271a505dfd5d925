import fs from 'node:fs';
import type { InputFormat } from '../input/input-options.js';
import { readRunMeta } from '../output/index.js';
import type { CliConfig } from './config.js';
import { csvLayoutFor, withFieldColumns } from './csv-layout-for.js';
import { fingerprintFile } from './input-fingerprint.js';
import { refuseOtherRun } from './resume-skip.js';
import { describeRun } from './run-identity.js';
import { existingOutput, refuseStreamResume, uncollectedRun } from './output-target.js';
import { refuseLiveOverPendingBatches } from './pending-batches.js';
import { isStreamTarget } from './stream-target.js';
import type { StructuredSetup } from './structured-setup.js';

/**
 * With --resume: refuses, as the run will (the same line, exit 2; --force-resume continues), a dry
 * run whose input or settings differ from those the output's `.meta.json` records. Else its "N to
 * send, M already answered" would price a resume that is never sent. Checked when the run checks:
 * an output with rows, or (--batch-api) with batches not collected yet.
 */
export async function refuseOtherRunDry(config: CliConfig, format: InputFormat, structured: StructuredSetup | undefined): Promise<void> {
  if (!config.resume || config.output.kind !== 'file' || config.output.format === 'text') return;
  const output = config.output.path;
  const stat = fs.statSync(output, { throwIfNoEntry: false });
  // A stream (-o /dev/null, a FIFO) has no rows to resume, and no metadata.
  if (stat && !stat.isFile()) return;
  const rows = stat !== undefined && stat.size > 0;
  const uncollected = config.batchApi ? uncollectedRun(output, rows, false) : undefined;
  if (!rows && !uncollected) return;
  const previous = readRunMeta(output);
  if (!previous) return;
  // As the run describes itself (see openRunInput, openOutputTarget). The hash alone: a bad encoding
  // is the scan's to report, as a bad line.
  const input = config.input.kind === 'file' ? await fingerprintFile(config.input.path) : null;
  const layout = await csvLayoutFor(config);
  const csv = withFieldColumns(config, layout, structured);
  await refuseOtherRun(config, output, previous, describeRun(config, input, format, csv, structured?.fingerprint), input, uncollected);
}

/**
 * Refuses, as the run will (the same line, exit 2), a dry run whose output the run would not open:
 * one that has rows, without --resume or --overwrite; a live --resume or --overwrite of one whose
 * --batch-api batches are not collected yet. Else it priced a run that is never sent.
 */
export function refuseOutputDry(config: CliConfig): void {
  if (config.output.kind !== 'file') return;
  if (isStreamTarget(config.output.path)) {
    refuseStreamResume(config, config.output.path);
    return;
  }
  existingOutput(config.output.path, config);
  if (!config.batchApi) refuseLiveOverPendingBatches(config);
}
