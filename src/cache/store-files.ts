/**
 * The store's file names, apart from the store: a run's flag checks name them (a side file may not
 * be one) without loading the store's code.
 */

/** The database file's name: a new layout gets a new name rather than misreading an old file. */
export const STORE_FILE = 'answers-v2.lmdb';
/**
 * The layout before: 32-byte keys, each answer a msgpack map with its field names. Still read (a
 * lookup that misses the current file tries it), pruned and cleared, never written: an upgrade
 * keeps the answers it had, and an older llm-batch sharing the directory keeps its own file.
 */
export const LEGACY_STORE_FILE = 'answers-v1.lmdb';
