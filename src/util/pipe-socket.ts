import fs from 'node:fs';
import type { Socket } from 'node:net';

/**
 * Opens a FIFO (or a pipe named by /dev/fd/N) without waiting for its other end: O_NONBLOCK. A
 * blocking open, or a read or write through fs, would hold a thread of libuv's pool until the other
 * end acts, and nothing can free it: not a signal, not even process.exit (libuv joins its threads
 * at exit). Writing, ENXIO while nobody reads it; `undefined` then. Other errors are thrown.
 */
export function openPipe(file: string, side: 'read' | 'write'): number | undefined {
  const flags = side === 'read' ? fs.constants.O_RDONLY : fs.constants.O_WRONLY | fs.constants.O_APPEND;
  try {
    return fs.openSync(file, flags | fs.constants.O_NONBLOCK);
  } catch (err) {
    if (side === 'write' && (err as NodeJS.ErrnoException).code === 'ENXIO') return undefined;
    throw err;
  }
}

/**
 * A descriptor from {@link openPipe} as a socket, as Node reads and writes a pipe: on the event
 * loop, so destroying it ends a read or write that waits on the other end. Read, a FIFO whose writer
 * has not come yet waits for it (Linux reports no hang-up before a first writer). node:net is loaded
 * only now: a run refused before it sends needs none.
 */
export async function pipeSocket(fd: number, side: 'read' | 'write'): Promise<Socket> {
  const { Socket } = await import('node:net');
  return new Socket({ fd, readable: side === 'read', writable: side === 'write' });
}
