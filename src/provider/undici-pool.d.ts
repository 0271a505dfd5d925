// undici's Pool alone (its index loads fetch, WebSocket and the rest: ~45 ms more at start-up).
declare module 'undici/lib/dispatcher/pool.js' {
  import { Pool } from 'undici';
  export default Pool;
}
