import Pool from 'undici/lib/dispatcher/pool.js';
import { kAddClient, kClients, kGetDispatcher, kNeedDrain } from 'undici/lib/dispatcher/pool-base.js';
import type { Dispatcher } from 'undici';

type Client = Dispatcher & { [kNeedDrain]?: boolean; destroyed: boolean; closed: boolean; [kFree]?: boolean; [kGone]?: boolean };

/** On a client: in the free list now. */
const kFree = Symbol('free');
/** On a client: dropped by the pool after a connection error, never to be used again. */
const kGone = Symbol('gone');

/**
 * undici's Pool, picking a free connection from a list of those that drained last instead of
 * scanning every client twice per request (once for one, once to tell whether another is free):
 * at -c 100 that was ~100 checks a request and a loop V8 optimized in every run (issue 16). Which
 * free client serves a request is not set by undici either; every other part of the pool is its own.
 */
export class FreeClientPool extends Pool {
  private readonly free: Client[] = [];

  constructor(
    origin: string,
    private readonly options: Pool.Options,
  ) {
    super(origin, options);
  }

  [kGetDispatcher](): Client | undefined {
    const free = this.free;
    while (free.length > 0) {
      const client = free[free.length - 1]!;
      if (!client[kNeedDrain] && !client[kGone] && !client.destroyed && !client.closed) return client;
      free.pop();
      client[kFree] = false;
    }
    // None free: a new connection while there may be more (undici's own way, which scans the busy
    // ones). Made before a request needs it (the pool asks again after each dispatch), it is free.
    const clients = (this as unknown as { [kClients]: Client[] })[kClients];
    const { connections } = this.options;
    if (connections && clients.length >= connections) return undefined;
    const client = (Pool.prototype as unknown as { [kGetDispatcher](this: Pool): Client | undefined })[kGetDispatcher].call(this);
    if (client && !client[kFree]) {
      client[kFree] = true;
      free.push(client);
    }
    return client;
  }

  [kAddClient](client: Client): this {
    (Pool.prototype as unknown as { [kAddClient](this: Pool, client: Client): Pool })[kAddClient].call(this, client);
    // After the pool's own listener, which dispatches what waited to it: still free, it is taken next.
    client.on('drain', () => {
      if (client[kFree] || client[kGone]) return;
      client[kFree] = true;
      this.free.push(client);
    });
    client.on('connectionError', () => {
      client[kGone] = true;
    });
    return this;
  }
}
