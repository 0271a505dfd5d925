import { UsageError } from '../errors.js';
import { errnoCode, errorMessage } from '../util/error-message.js';

/**
 * Why the working directory cannot be named, or undefined when it can: removed while the shell was
 * in it (`rm -rf` of a build folder, a CI workspace cleaned), or deeper than the system's longest
 * path. Relative paths are resolved against it everywhere (the output, its side files, a resume's
 * command), and each such step failed as an internal error with a stack trace.
 */
export function workingDirProblem(): string | undefined {
  try {
    process.cwd();
    return undefined;
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') return 'the working directory is gone (removed while this shell was in it): cd to one that exists and run again';
    if (code === 'ERANGE' || code === 'ENAMETOOLONG') {
      return "the working directory's path is too long for this system (over PATH_MAX): cd to one with a shorter path and run again";
    }
    return `the working directory cannot be named (${errorMessage(err)}): cd to another and run again`;
  }
}

/** Refuses a run whose working directory cannot be named (see workingDirProblem): once, before anything is sent. */
export function checkWorkingDir(): void {
  const problem = workingDirProblem();
  if (problem !== undefined) throw new UsageError(problem);
}
