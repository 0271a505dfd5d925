import type { AnswerPartColumn } from '../output/csv-columns.js';
import type { CliConfig } from './config.js';
import { inputReadAhead } from './input-read-ahead.js';
import { openFileInput } from './open-input.js';

/** A JSONL row's (or a Batch API line's body's) own `tools` / `logprobs` key. */
const PER_ROW_KEY = /"(tools|logprobs)"\s*:/g;

/**
 * The CSV output's `tool_calls` / `logprobs` columns: present when the run asks for them, so that
 * an ordinary run's CSV keeps its columns. Asked for by `--param tools=…` / `--param logprobs=…`,
 * or by a JSONL/JSON input file with such a key on any row (one read of the file, stopped at the
 * first of each). Stdin and pipes (`<(…)`, a FIFO) cannot be read twice: their rows' own
 * parameters need the `--param`.
 */
export async function answerColumnsFor(config: CliConfig): Promise<AnswerPartColumn[]> {
  const params = config.data.params;
  const wanted = new Set<string>();
  if (params['tools'] !== undefined) wanted.add('tools');
  if (params['logprobs'] !== undefined && params['logprobs'] !== false) wanted.add('logprobs');
  const format = config.inputFormat;
  const perRow = format === 'jsonl' || format === 'json' || format === 'auto';
  if (wanted.size < 2 && perRow && config.input.kind === 'file' && (await inputReadAhead(config)) === 'file') await scanKeys(config.input.path, config, wanted);
  const columns: AnswerPartColumn[] = [];
  if (wanted.has('tools')) columns.push('tool_calls');
  if (wanted.has('logprobs')) columns.push('logprobs');
  return columns;
}

/**
 * Adds the per-row keys found in the file to `found`; a key split across two reads is found by the
 * overlap. The file is opened and decoded as the run's input is: read as its raw bytes, a UTF-16
 * file's keys never matched, and its tool calls were left out of the CSV.
 */
async function scanKeys(file: string, config: CliConfig, found: Set<string>): Promise<void> {
  let carry = '';
  let input: Awaited<ReturnType<typeof openFileInput>> | undefined;
  try {
    input = await openFileInput(config, file);
    for await (const chunk of input.stream) {
      const text = carry + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
      for (const match of text.matchAll(PER_ROW_KEY)) found.add(match[1]!);
      if (found.size === 2) return;
      carry = text.slice(-24);
    }
  } catch {
    // Unreadable here is unreadable for the run too, which says so in its own words.
  } finally {
    await input?.close();
  }
}
