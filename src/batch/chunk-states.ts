/**
 * What a chunk's fields say of where its batch stands, apart from manifest.ts so that the manifest's
 * check, which manifest.ts imports, reads them the same way.
 */

/**
 * A chunk's statuses while its batch is not on the server: not yet (built, uploaded), or no longer
 * (token_limit: refused for the enqueued-token limit, made again later).
 */
export const LOCAL_STATUSES: ReadonlySet<string> = new Set(['built', 'uploaded', 'token_limit']);

/** A chunk this or a later run still has work for: not collected, nor closed with a note (refused, stopped). */
export function isOpen(chunk: { collected?: boolean; status: string; note?: string }): boolean {
  return !chunk.collected && !(chunk.status === 'failed' && chunk.note !== undefined);
}
