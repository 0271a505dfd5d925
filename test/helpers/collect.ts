import type { PromptRecord } from '../../src/types.js';

/** Everything an async iterable yields, in order. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** `items` as an async generator, as the readers hand records to the engine. */
export async function* asyncFrom<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/** Record `i` of a plain text input: id `r<i>`, line i + 1, prompt `p<i>`. */
export function promptRecord(i: number, extra: Partial<PromptRecord> = {}): PromptRecord {
  return { id: `r${i}`, line: i + 1, source: 'prompts.txt', prompt: `p${i}`, messages: [{ role: 'user', content: `p${i}` }], params: {}, ...extra };
}
