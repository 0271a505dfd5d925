/**
 * The line an output that failed ends a run with: its message and, when a command follows, what is
 * kept and what to do. A message that names --resume already says so itself (an output removed or
 * moved away during the run, see fileMovedAway; a resume's compaction that failed, see
 * closeOutputTarget): a full disk's advice after it would be wrong.
 */
export function outputFailedLine(message: string, withCommand: boolean, then = 'finish the rest'): string {
  if (!withCommand || message.includes('--resume')) return message;
  return `${message}; every row written before it is kept: make room, then ${then} with the command below`;
}
