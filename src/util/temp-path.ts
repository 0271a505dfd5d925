/**
 * The temporary file beside `file` that this process writes before renaming it into place:
 * `FILE.PID.tmp`, the name the atomic writers use, the new-file check probes, and dead-temps.ts
 * recognises as a killed writer's leftover.
 */
export const tempPathOf = (file: string): string => `${file}.${process.pid}.tmp`;
