import { isOpenAs, openAsOne } from '../util/same-file.js';

/**
 * Whether stdout, where the rows go, is appended to the file being read: `llm-batch q.txt >> q.txt`,
 * `llm-batch < q.txt >> q.txt`. Each row read back is one more prompt, paid for, for ever; refused
 * as `cat f >> f` is. Only a regular file (same device and inode): a pipe or a terminal is no loop.
 */
export function stdoutIsInput(input: { kind: 'file'; path: string } | { kind: 'stdin' }, stdinFd: number | undefined, stdoutFd: number | undefined): boolean {
  if (input.kind === 'file') return isOpenAs(input.path, stdoutFd);
  return openAsOne(stdinFd, stdoutFd);
}
