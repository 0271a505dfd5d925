// undici's Pool alone (its index loads fetch, WebSocket and the rest: ~45 ms more at start-up).
declare module 'undici/lib/dispatcher/pool.js' {
  import { Pool } from 'undici';
  export default Pool;
}

// undici's connector (the socket and TLS set-up), to wrap: its type lives in undici's own types.
declare module 'undici/lib/core/connect.js' {
  import { buildConnector } from 'undici';
  export default buildConnector;
}

// The pool's own keys on it and its clients, to pick a free client without scanning (free-client-pool.ts).
declare module 'undici/lib/dispatcher/pool-base.js' {
  export const kClients: unique symbol;
  export const kNeedDrain: unique symbol;
  export const kAddClient: unique symbol;
  export const kGetDispatcher: unique symbol;
}
