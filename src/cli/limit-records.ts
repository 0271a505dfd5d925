/** `--limit N`: the first N records, then the input is closed (nothing more is read). */
export async function* limitRecords<T>(records: AsyncIterable<T>, limit: number): AsyncGenerator<T> {
  if (limit <= 0) return;
  let n = 0;
  for await (const record of records) {
    yield record;
    if (++n >= limit) return;
  }
}
