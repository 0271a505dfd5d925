/**
 * A path that cannot be looked up, in words a cron mail reader can act on: Node's own messages
 * ("ELOOP: too many symbolic links encountered, stat 'x'") repeat the path and name a syscall.
 */
export function pathProblem(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory';
    case 'ELOOP':
      return 'too many symbolic links (a symlink loop?)';
    case 'ENAMETOOLONG':
      return 'the name is too long (at most 255 bytes a name, 4096 a path)';
    default:
      return e.message;
  }
}
