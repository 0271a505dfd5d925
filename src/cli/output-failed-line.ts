/**
 * The line an output that failed ends a run with: its message and, when a command follows, what is
 * kept and what to do. A message that names --resume already says so itself (an output removed or
 * moved away during the run, see fileMovedAway; a resume's compaction that failed, see
 * closeOutputTarget): a full disk's advice after it would be wrong.
 */
export function outputFailedLine(message: string, withCommand: boolean, then = 'finish the rest'): string {
  if (!withCommand || message.includes('--resume')) return message;
  return `${message}; every row written before it is kept: ${remedyFor(message)}, then ${then} with the command below`;
}

/** What lets the file grow again: room on the disk, or, for a file past `ulimit -f` (EFBIG), a higher limit. */
function remedyFor(message: string): string {
  return /\bEFBIG\b|file too large/i.test(message) ? 'raise the file size limit (ulimit -f)' : 'make room';
}
