import { openFileLimit } from '../util/open-file-limit.js';

/**
 * The concurrency the descriptor limit allows: each request in flight holds a socket, and the run
 * needs some more: stdio, input, output, lock, and node's own (~25 on node 24: pipes, epoll, eventfd
 * and io_uring descriptors of its threads), then the response cache's (lmdb's package files and
 * native module while it loads at the first write, then its data and lock files). A quarter of the
 * limit plus 16 is kept free, and never fewer than 48: under `ulimit -n 64` 32 sockets left lmdb's
 * load failing with EMFILE and, now and then, the process dying of a signal with a third of its rows
 * unwritten. Up to 16 requests in flight nothing is probed: any limit of 64 or more allows them.
 * (Probed from 48 before: under `ulimit -n 64`, -c 33-47 took every descriptor, and the response
 * cache found none to open its store with.)
 */
export function concurrencyWithinFdLimit(concurrency: number, limit: () => number | undefined = openFileLimit): { concurrency: number; limit?: number } {
  if (concurrency <= 16) return { concurrency };
  const max = limit();
  if (max === undefined) return { concurrency };
  const allowed = Math.max(1, Math.min(Math.floor((max * 3) / 4) - 16, max - 48));
  return concurrency > allowed ? { concurrency: allowed, limit: max } : { concurrency };
}

/** The smallest `ulimit -n` under which {@link concurrencyWithinFdLimit} keeps all of `concurrency`. */
export function fdLimitFor(concurrency: number): number {
  return Math.max(Math.ceil(((concurrency + 16) * 4) / 3), concurrency + 48);
}
