/** The message of anything thrown: an Error's own, or the value as a string. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Anything thrown as an Error, so a promise rejects with something that has a message and a stack. */
export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** The errno code (`ENOENT`, `EPERM`…) of a failed system call, if it is one. */
export const errnoCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;
