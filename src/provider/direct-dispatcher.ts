import type { Socket } from 'node:net';
import buildConnector from 'undici/lib/core/connect.js';
import type { Dispatcher } from 'undici';
import { tripDetachProtector } from './trip-detach-protector.js';
import { maxHeaderSize } from '../util/node-http.js';
import { FreeClientPool } from './free-client-pool.js';

/**
 * Idle sockets close after 4 s, or sooner when the server's `Keep-Alive: timeout=` says so (undici
 * then allows a second less, as node's agent does): a server that drops idle connections unannounced
 * would otherwise reset a reused one now and then.
 */
const IDLE_SOCKET_MS = 4000;

export interface DirectDispatcher {
  dispatcher: Dispatcher;
  /** Destroys every connection, those still opening too (undici's own destroy waits for them). */
  close(): Promise<void>;
}

/**
 * undici's pool of keep-alive connections to one origin, at most `connections` of them, taking a
 * free one from a list (free-client-pool.ts). Its own timeouts are off: the attempt's deadlines
 * (--timeout, --idle-timeout) watch every request from before it connects to its last byte. Only
 * the chat-completions path loads it (deep imports: not undici's fetch and the rest).
 */
export function createDirectDispatcher(origin: string, connections?: number): DirectDispatcher {
  tripDetachProtector();
  const opening = new Set<Socket>();
  const connectSocket = buildConnector({ timeout: 0 });
  const connect: buildConnector.connector = (options, callback) => {
    // Typed void in undici's types; it returns the socket it opens.
    const socket = connectSocket(options, (...args) => {
      opening.delete(socket);
      callback(...args);
    }) as unknown as Socket;
    opening.add(socket);
    return socket;
  };
  const dispatcher = new FreeClientPool(origin, {
    connect,
    // Without a cap the pool opens a connection for a request that comes the moment another's
    // answer ends, before it counts that connection free again: ~490 connects, not 256, in a
    // 20,000-request run at -c 256.
    connections,
    headersTimeout: 0,
    bodyTimeout: 0,
    keepAliveTimeout: IDLE_SOCKET_MS,
    keepAliveMaxTimeout: IDLE_SOCKET_MS,
    // undici's default is node:http's, which it would load for it (scripts/bundle.mjs, lazyHttp).
    maxHeaderSize: maxHeaderSize(),
  });
  return {
    dispatcher,
    async close() {
      for (const socket of opening) socket.destroy();
      await dispatcher.destroy();
    },
  };
}
