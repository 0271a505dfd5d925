import fs from 'node:fs';

/**
 * What Linux's /proc/self/fdinfo says of descriptor `fd`: its offset and the flags it was opened
 * with (O_RDWR, O_APPEND…). Undefined elsewhere, or when it cannot be read.
 */
export function fdInfo(fd: number): { pos: number; flags: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  } catch {
    return undefined;
  }
  const pos = /^pos:\s*(\d+)$/m.exec(text)?.[1];
  const flags = /^flags:\s*([0-7]+)$/m.exec(text)?.[1];
  if (pos === undefined || flags === undefined) return undefined;
  return { pos: Number(pos), flags: Number.parseInt(flags, 8) };
}
