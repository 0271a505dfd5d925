import type { PromptRecord } from '../types.js';

/** One of N shards, 1-based as users write it (`--shard 2/8`). */
export interface Shard {
  index: number;
  count: number;
}

/**
 * FNV-1a (32 bit) over the id's UTF-8 bytes: stable across machines, Node versions and runs, and
 * cheap enough for millions of ids. Documented in the README, so other tools can split alike.
 */
export function idHash(id: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(id, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function inShard(id: string, shard: Shard): boolean {
  return idHash(id) % shard.count === shard.index - 1;
}

/** How many records went to the other shards: a shard that kept none of a non-empty input is done, not empty. */
export interface ShardTally {
  others: number;
}

/** The records of one shard; every shard reads the whole input and keeps its own. */
export async function* shardRecords(records: AsyncIterable<PromptRecord>, shard: Shard, tally?: ShardTally): AsyncGenerator<PromptRecord> {
  for await (const record of records) {
    if (inShard(record.id, shard)) yield record;
    else if (tally) tally.others++;
  }
}

/** `i/N` with 1 <= i <= N; the message names what was wrong. */
export function parseShard(value: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw new Error(`expected i/N, e.g. 2/8 (got ${JSON.stringify(value)})`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new Error(`i must be from 1 to N (got ${index}/${count})`);
  return { index, count };
}
