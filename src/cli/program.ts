import { Command, Option } from 'commander';
import {
  httpUrl,
  MIN_WAIT_SECONDS,
  modelList,
  positiveInteger,
  positiveNumber,
  priceFlag,
  schemaFlag,
  seconds,
  shard,
  temperature,
  wholeNumber,
} from './parse-flags.js';
import type { TokenPrice } from '../budget/prices.js';
import { listCommands } from './listed-commands.js';
import { keepProgressInput, progressValue } from './progress-input.js';
import { addHelpSections } from './help-style.js';
import { addInputDataOptions, addModelDataOptions, addOutputDataOptions, type DataFlags } from './data-flags.js';

/** Flags as commander hands them over (before `resolveCliConfig`). */
export interface RawFlags extends DataFlags {
  inputFormat?: 'txt' | 'jsonl' | 'csv' | 'json';
  csvDelimiter?: string;
  template?: string;
  system?: string;
  promptField?: string;
  idField?: string;
  /** Every -m, each split at commas. */
  model?: string[];
  repeat?: number;
  temperature?: number;
  maxTokens?: number;
  baseUrl?: string;
  mock?: boolean;
  concurrency: number;
  rpm?: number;
  tpm?: number;
  timeout: number;
  idleTimeout: number;
  retries: number;
  stream: boolean;
  output?: string;
  format?: 'jsonl' | 'csv' | 'text';
  order: 'completion' | 'input';
  resume?: boolean;
  retryFailed?: boolean;
  forceResume?: boolean;
  overwrite?: boolean;
  compact?: boolean;
  dryRun?: boolean;
  summaryJson?: string;
  report?: string;
  progress?: number | true;
  quiet?: boolean;
  verbose?: boolean;
  trace?: string;
  jsonSchema?: string;
  json?: boolean;
  schemaRetries?: number;
  schemaInPrompt?: boolean;
  batchApi?: boolean;
  batchSize?: number;
  batchMaxMb?: number;
  poll?: number;
  wait?: boolean;
  finishLive?: boolean;
  shard?: { index: number; count: number };
  /** false with --no-cache. */
  cache?: boolean;
  cacheDir?: string;
  maxCost?: number;
  price?: TokenPrice;
  prices?: string;
}

const EXAMPLES = `
Examples:
  Try it offline, no key needed:
    $ llm-batch fixtures/prompts.txt --mock

  A text file, one prompt per line, results to a file:
    $ llm-batch prompts.txt -m gpt-4o-mini -o answers.jsonl

  A CSV with a template over its columns; check it and see the cost first:
    $ llm-batch articles.csv --template 'Summarise in one line: {{title}} {{body}}' --dry-run
    $ llm-batch articles.csv --template 'Summarise in one line: {{title}} {{body}}' -o summaries.csv

  In a pipeline (rows go to stdout as JSONL when it is not a terminal):
    $ cat questions.txt | llm-batch --rpm 500 | jq -r .response

  From cron: errors only (exit code 1 if any prompt failed); the same line resumes a crashed run
  (% is special in crontab, hence \\%):
    15 3 * * * cd /data && llm-batch nightly.jsonl -o "out-$(date +\\%F).jsonl" --resume -q

  See last night's run: one HTML file, everything inline, opens from disk:
    $ llm-batch report out.jsonl -o out.html      (or --report out.html on the run)

  A log line every minute instead of a bar (cron, CI, nohup):
    $ llm-batch big.jsonl -o out.jsonl --progress 60 2>> llm-batch.log

  Extract fields from a CSV into a CSV, one column per schema property:
    $ llm-batch fixtures/tickets.csv --template '{{subject}}: {{body}}' \\
        --json-schema fixtures/ticket-schema.json -o fields.csv

  Any OpenAI-compatible server (Ollama, vLLM, llama.cpp); no key needed:
    $ llm-batch prompts.txt --base-url http://localhost:11434/v1 -m llama3.2

Environment:
  OPENAI_API_KEY     API key (never taken on the command line: it would show in ps and history)
  OPENAI_BASE_URL    default for --base-url
  OPENAI_ORG_ID, OPENAI_PROJECT_ID
                     sent as OpenAI-Organization and OpenAI-Project
  LLM_BATCH_MODEL    default for --model (A,B is two models, as -m A,B)
  LLM_BATCH_CACHE_DIR  default for --cache-dir
  LLM_BATCH_NO_CACHE   1: --no-cache by default (a --cache-dir given beats it)
  HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY
                     an http:// or https:// proxy for the API; NO_PROXY lists hosts
                     (.example.com for subdomains)
  NO_COLOR           no colour (the bar and spinner stay; -q removes them)

Exit codes:
  0 every prompt answered   1 some prompts failed   2 usage, input or auth error, or a stop that
  setting must mend (a proxy refusing, response_format refused, too few file descriptors)
  3 stopped early (quota, budget)   4 stopped early: endpoint unusable (refused, HTML, no stream)
  5 the input held no prompts   70 internal error (a bug: please report it)
  75 try again later: batches still pending (--batch-api --no-wait), or another run holds the
  output's lock   130 interrupted (resume with --resume)   141 stdout closed by its reader (| head)

Response cache: a whole answer is stored under a hash of the request (endpoint and body, without
stream/user/metadata) and its sample index; the same request later is answered from the cache with
no request and no cost (rows say "cached": true). Off with --no-cache, and for --mock unless
--cache-dir is given. Manage it with: llm-batch cache stats | clear | prune --older-than DAYS
`;

/**
 * The command line. Only commander is loaded here, so `--help` and `--version` start fast; the
 * engine, the SDK and the terminal libraries are imported after parsing.
 */
export function createProgram(version: string): Command {
  const program = new Command('llm-batch')
    .description('Run a batch of prompts against OpenAI or any OpenAI-compatible API: paced under rate limits, crash-safe, resumable.')
    .argument('[input]', 'prompts file (.txt one per line, .jsonl, .csv, .json array); "-" or omitted with piped stdin reads stdin')
    .version(version, '-V, --version')
    .helpOption('-h, --help', 'show this help')
    .showHelpAfterError('(run llm-batch --help for usage)')
    .allowExcessArguments(false);
  listCommands(program);
  addHelpSections(program, EXAMPLES);

  program.optionsGroup('Input:');
  program
    .addOption(new Option('--input-format <format>', 'input format, overriding the file extension').choices(['txt', 'jsonl', 'csv', 'json']))
    .option('-t, --template <text|@file>', 'user prompt template with {{field}} placeholders ({{prompt}} for text lines), or @FILE to read it')
    .option('-s, --system <text|@file>', 'system message for every prompt, or @FILE to read it; {{field}} placeholders filled from each CSV/JSONL row')
    .option('--prompt-field <name>', 'CSV/JSONL field holding the prompt (default "prompt", or a CSV\'s only column)')
    .option('--id-field <name>', 'CSV/JSONL field holding the row id (default "id"; else line number + content hash)')
    .option('--csv-delimiter <char>', 'CSV input\'s field separator: one character, or "tab" (default ","; a .tsv input: tab)')
    .option('--shard <i/N>', 'send only shard i of N (1-based; by a stable hash of the id): one job across N machines, joined by llm-batch merge', shard);
  addInputDataOptions(program);

  program.optionsGroup('Model:');
  program
    .option('-m, --model <name>', 'model name; several (-m A -m B or -m A,B) run every prompt on each (default $LLM_BATCH_MODEL or gpt-4o-mini)', modelList)
    .option('--repeat <n>', 'answers per prompt and model (samples 0..N-1; rows carry "sample"); a resume adds only the missing samples', positiveInteger, 1)
    .option('--temperature <n>', 'sampling temperature, 0 to 2', temperature)
    .option('--max-tokens <n>', 'answer length cap in tokens', positiveInteger)
    .option('--base-url <url>', 'OpenAI-compatible API base URL (default $OPENAI_BASE_URL or OpenAI)', httpUrl)
    .option('--mock', 'offline built-in mock provider: no key, no network, deterministic answers');
  addModelDataOptions(program);

  program.optionsGroup('Structured output:');
  program
    .option(
      '--json-schema <file|json>',
      'JSON Schema every answer must match (a file, or @file as -t takes one, or inline JSON starting with {): sent as response_format (strict), answers validated and re-asked, fields as CSV columns',
      schemaFlag,
    )
    .option('--json', "answers must be JSON (JSON mode, no schema); parsed into the row's output")
    .option('--schema-retries <n>', 're-asks after an answer that is not valid JSON or fails the schema (default 2)', wholeNumber)
    .option(
      '--schema-in-prompt',
      "send the schema (or --json's request for JSON) in a system message instead of response_format, for servers without structured outputs (still validated)",
    );

  program.optionsGroup('Pacing and retries:');
  program
    .option('-c, --concurrency <n>', 'requests in flight at once', positiveInteger, 8)
    .option('--rpm <n>', 'requests per minute cap, paced evenly (adaptive to 429s without it)', positiveNumber)
    .option('--tpm <n>', 'tokens per minute cap (prompt tokens + max tokens, corrected by usage)', positiveNumber)
    .option('--timeout <seconds>', 'deadline for one whole attempt, 0.05 to 86400', seconds(MIN_WAIT_SECONDS), 600)
    .option('--idle-timeout <seconds>', "longest wait for a stream's headers or between body chunks, 0.05 to 86400", seconds(MIN_WAIT_SECONDS), 90)
    .option('--retries <n>', 'retries per prompt for 429, 5xx, timeouts and network errors', wholeNumber, 3)
    .option('--stream', 'stream answers as they are written', true)
    .option('--no-stream', 'ask for whole answers instead of streams');

  program.optionsGroup('Output:');
  program
    .option(
      '-o, --output <file>',
      'results file (.jsonl, .csv or .txt by extension; "-" for stdout); without it, answers print on a terminal, JSONL when piped',
    )
    .addOption(new Option('-f, --format <format>', 'result format (default: from -o, else jsonl; text on a terminal)').choices(['jsonl', 'csv', 'text']))
    .addOption(new Option('--order <order>', 'row order: as answers complete, or as in the input').choices(['completion', 'input']).default('completion'))
    .option('--resume', 'append to an existing output, skipping prompts it already answered (network errors, timeouts, 429s and 5xx are run again)')
    .option('--retry-failed', 'with --resume: also re-run prompts whose last row is a permanent error (4xx, bad input, truncated)')
    .option('--force-resume', 'with --resume: accept an input, model or parameters that changed since the output was started')
    .option('--overwrite', 'replace an existing output file')
    .option('--compact', 'read a results file (the input) and write it deduplicated: the last row per id wins')
    .option(
      '--summary-json <file>',
      'write the end-of-run figures as JSON: counts, errors by type, retries, tokens, estimated cost, timing (not with --dry-run or --compact, which write none)',
    )
    .option(
      '--report <file>',
      'when the run ends (also when stopped), write a self-contained HTML report of its results: figures, charts, errors, searchable rows (see llm-batch report --help)',
    )
    .option(
      '--dry-run',
      'read and check the whole input, show the first requests as they would be sent and the estimated tokens and cost; sends nothing, needs no key',
    );
  addOutputDataOptions(program);

  program.optionsGroup('OpenAI Batch API (half price, answers within 24 h):');
  program
    .option('--batch-api', 'send the prompts as Batch API batches and collect the answers into -o (README: "Batch API")')
    .option('--batch-size <n>', "requests per batch (default 50000, OpenAI's limit; Azure takes 100000)", positiveInteger)
    .option('--batch-max-mb <n>', 'largest batch file in MB (default 200; some providers take 100)', positiveNumber)
    .option('--poll <seconds>', 'seconds between status checks, with jitter, 0.05 to 86400 (default 30)', seconds(MIN_WAIT_SECONDS))
    .option('--no-wait', 'submit and collect what is ready, then exit 75 while batches are pending (run again with --resume)')
    .option('--finish-live', 'run the requests an expired or cancelled batch left undone live, in the same command');

  program.optionsGroup('Budget:');
  program
    .option(
      '--max-cost <usd>',
      'stop admitting prompts before this run could spend more than USD (the worst case of each request is reserved before it is sent; requests without --max-tokens are sent with max_tokens 4096); exit 3, --resume continues',
      positiveNumber,
    )
    .option(
      '--price <in/out[/cached]>',
      'USD per million input/output tokens for every model of the run (but those --prices names), e.g. 0.15/0.60 (a third figure prices cached input)',
      priceFlag,
    )
    .option('--prices <file>', 'JSON prices per model: {"model": {"input": 0.15, "output": 0.6, "cached_input": 0.075}}');

  program.optionsGroup('Cache:');
  program
    .option('--no-cache', 'ask every request again, ignoring the response cache, and store nothing in it')
    .option(
      '--cache-dir <dir>',
      'response cache directory (default $LLM_BATCH_CACHE_DIR, else the user cache dir, e.g. ~/.cache/llm-batch); see llm-batch cache --help',
    );

  program.optionsGroup('Display:');
  program
    .option(
      '--progress [seconds]',
      'when stderr is not a terminal (cron, logs): a plain progress line every N seconds, 0.5 to 86400 (default 10); a terminal shows a live bar',
      progressValue,
    )
    .option('-q, --quiet', 'no bar or progress on stderr, and the summary only when a prompt failed (errors still print)')
    .option('-v, --verbose', 'show every request and raw response on stderr, as curl -v does (key redacted; no bar)')
    .option('--trace <file>', 'append every request and raw response to a file (key redacted)');
  keepProgressInput(program);

  return program;
}
