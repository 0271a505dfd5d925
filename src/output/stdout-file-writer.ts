import { encoderFor, type RowWriter } from './row-writer.js';
import { rowAppender } from './row-appender.js';
import { headerOnce } from './csv-encode.js';
import { PLAIN_CSV, type CsvLayout } from './csv-layout.js';
import type { OutputFormat } from './output-format.js';
import { errorMessage, toError } from '../util/error-message.js';

/**
 * Rows to a stdout redirected to a regular file (`llm-batch q.txt > rows.jsonl`), `fd` at its end
 * (see rowAppender): written as to `-o`, a full disk's torn row cut off again, so the summary's
 * counts are the rows the file holds. Through process.stdout, a short write near a full disk went
 * unseen: the row counted, torn. The failure is worded as a stream's; close() leaves `fd` open.
 */
export function stdoutFileWriter(fd: number, format: OutputFormat, layout: CsvLayout = PLAIN_CSV): RowWriter {
  const rows = rowAppender(fd, encoderFor(format, layout), 'stdout', (err) => `Cannot write output: ${errorMessage(err)}`, true);
  // As a stream writer: the CSV header with the first row, or at close when there were none.
  const pending = headerOnce(format === 'csv', layout);
  const header = (): void => {
    const line = pending();
    if (line) rows.put([line]);
  };
  const afterHeader =
    <T>(write: (rows: T) => Promise<void>) =>
    (value: T): Promise<void> => {
      try {
        header();
      } catch (err) {
        return Promise.reject(toError(err));
      }
      return write(value);
    };
  return {
    write: afterHeader(rows.write),
    writeMany: afterHeader(rows.writeMany),
    close() {
      try {
        header();
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(toError(err));
      } finally {
        rows.close();
      }
    },
  };
}
