/**
 * The files a run keeps beside its output, named in one place: the writers of each, and the check
 * that no other file the user names (--summary-json, --report, --trace) lands on one of them.
 */

/** The run's settings, compared on --resume. */
export const metaPath = (output: string): string => `${output}.meta.json`;

/** Held while a run writes the output. */
export const lockPath = (output: string): string => `${output}.lock`;

/** The Batch API run's manifest: its chunks and batches. */
export const manifestPath = (output: string): string => `${output}.batch.json`;
