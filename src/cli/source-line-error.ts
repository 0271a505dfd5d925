import { RunError } from '../errors.js';
import { BadResultLineError } from '../output/index.js';

/** What to do about a bad line in a file the command reads, in that command's words. */
const ADVICE = {
  merge: (file: string) => `Fix or delete that line, or leave ${file} out of the merge.`,
  '--compact': () => 'Fix or delete that line, then compact again.',
} as const;

/**
 * Runs `work`, a `merge` or `--compact` that reads results files: a line of one that is not a row is
 * said for that command ("Cannot merge out-2.jsonl:7: invalid JSON …"), not as a resume's ("Cannot
 * resume from …, or write to a new output file": advice for a run, wrong here).
 */
export async function sayingSourceLines<T>(command: keyof typeof ADVICE, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof BadResultLineError)) throw err;
    const verb = command === 'merge' ? 'merge' : 'compact';
    throw new RunError(`Cannot ${verb} ${err.file}:${err.line}: ${err.reason}. ${ADVICE[command](err.file)}`, err.code);
  }
}
