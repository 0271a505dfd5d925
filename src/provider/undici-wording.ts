/**
 * An undici failure in node:http's words, so that rows, codes and the circuit breaker read the same
 * whichever transport a request took (test/provider/lean-chat.test.ts holds both to the SDK path's):
 * a connection the server closed is an ECONNRESET, "socket hang up" before the response and
 * "aborted" in the middle of its body. Other errors (a refused connection, a certificate, a parse
 * error) are node's own already, or carry the same code.
 */
export function nodeWording(err: unknown, midBody: boolean): unknown {
  if ((err as { code?: unknown } | null)?.code !== 'UND_ERR_SOCKET') return err;
  return Object.assign(new Error(midBody ? 'aborted' : 'socket hang up'), { code: 'ECONNRESET' });
}
