/**
 * A chunk's statuses while its batch is not on the server: not yet (built, uploaded), or no longer
 * (token_limit: refused for the enqueued-token limit, made again later). Apart from manifest.ts so
 * that the manifest's check, which manifest.ts imports, reads the same set.
 */
export const LOCAL_STATUSES: ReadonlySet<string> = new Set(['built', 'uploaded', 'token_limit']);
