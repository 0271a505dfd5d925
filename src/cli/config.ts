import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { keyInFileError } from './key-in-arguments.js';
import { detectFormat } from '../input/detect-format.js';
import { COMPRESSED } from '../input/compressed.js';
import { braceProblem, templateFields, templateProblem } from '../input/template.js';
import { fileNameHint, flagLabel, flagText } from './flag-file.js';
import { usableDelimiter, type InputFormat } from '../input/input-options.js';
import { formatFromPath, type OutputFormat } from '../output/output-format.js';
import { resultsFileFormat, storedResultsFormat } from '../output/results-format.js';
import type { RawFlags } from './program.js';
import { outputSideFiles as sideFilesOf } from '../output/side-paths.js';
import { resolveDataConfig, type DataConfig } from './data-config.js';
import { cacheDirFlagProblem, cacheDirSource, NoHomeError, resolveCacheDir, type CacheDirSource } from '../cache/cache-dir.js';
import type { TokenPrice } from '../budget/prices.js';
import { LEGACY_STORE_FILE, STORE_FILE } from '../cache/store-files.js';
import { isOpenAs, oneStream, readsDescriptor, sameFile } from '../util/same-file.js';
import { createRedactor } from '../redact.js';
import { checkSummaryTarget } from './summary-target.js';
import { checkBatchStateTarget } from './batch-state-target.js';
import { isRowsStdout } from './rows-stdout.js';
import { isClosedDescriptor } from './stdout-closed.js';
import { checkWorkingDir } from './working-dir.js';
import { stdoutIsInput } from './stdout-is-input.js';
import { STDOUT_NAMES } from './std-stream-names.js';
import { maskedBaseUrl } from './masked-base-url.js';
import { isHttpUrl, splitModelNames, baseUrlForm } from './parse-flags.js';
import { isAzureHost } from '../provider/openai-url.js';
import { othersCanWrite } from '../util/others-can-write.js';
import { checkApiKey, checkHeaderVariables } from './check-api-key.js';
import { shellQuote } from './shell-quote.js';

/** Everything a run needs, resolved from flags, environment and terminal facts; no optional guesswork left. */
export interface CliConfig {
  /** `closed`: stdin is the /dev/null node opens for a closed descriptor (`llm-batch <&-`), said as such when it holds no prompts. */
  input: { kind: 'file'; path: string } | { kind: 'stdin'; closed?: true };
  /** `auto` (stdin, or a file without an extension, and no --input-format): JSONL if the first non-blank line is a JSON object, else text. */
  inputFormat: InputFormat | 'auto';
  template: string | undefined;
  system: string | undefined;
  promptField: string | undefined;
  idField: string | undefined;
  /** A CSV input's field separator, when not a comma: --csv-delimiter, or a tab for a `.tsv` file. */
  csvDelimiter: string | undefined;
  /** The first of `models`: the run's model in its metadata and for rows that name none. */
  model: string;
  /** Every model each prompt runs on (one unless -m was given several). */
  models: string[];
  /** Answers per prompt and model (--repeat). */
  repeat: number;
  temperature: number | undefined;
  maxTokens: number | undefined;
  /** `baseURL` without trailing slashes, from --base-url and OPENAI_BASE_URL alike (baseUrlForm). */
  provider:
    | { kind: 'mock' }
    | {
        kind: 'openai';
        baseURL: string | undefined;
        apiKey: string | undefined;
        /** OPENAI_ORG_ID and OPENAI_PROJECT_ID, as the openai SDK reads them (the library reads neither). */
        organization?: string | undefined;
        project?: string | undefined;
      };
  concurrency: number;
  rpm: number | undefined;
  tpm: number | undefined;
  timeoutMs: number;
  idleTimeoutMs: number;
  retries: number;
  stream: boolean;
  /** `terminal`: answers printed for people (stdout is a TTY and no -o). */
  output: { kind: 'file'; path: string; format: OutputFormat } | { kind: 'stdout'; format: OutputFormat } | { kind: 'terminal' };
  order: 'completion' | 'input';
  resume: boolean;
  retryFailed: boolean;
  forceResume: boolean;
  overwrite: boolean;
  compact: boolean;
  dryRun: boolean;
  summaryJson: string | undefined;
  /** `--report`: the HTML report written when the run ends. */
  report: string | undefined;
  /** Seconds between plain progress lines when stderr is not a terminal; undefined = none. */
  progressEverySec: number | undefined;
  quiet: boolean;
  /** `-v`: requests and raw responses on stderr; `--trace FILE`: appended to FILE. Credentials redacted. */
  trace: { kind: 'stderr' } | { kind: 'file'; path: string } | undefined;
  /**
   * `--json-schema` (a file or inline JSON) or `--json`; undefined for free-text answers. `inPrompt`
   * (--schema-in-prompt): no response_format, the schema or JSON mode's instruction in a system message.
   */
  structured: { kind: 'schema'; source: string; inPrompt: boolean; retries: number } | { kind: 'json'; inPrompt: boolean; retries: number } | undefined;
  /** --shard i/N: only the records whose id hashes to shard i. */
  shard: { index: number; count: number } | undefined;
  /** Set with --batch-api: the prompts go through the OpenAI Batch API instead of live requests. */
  batchApi: BatchApiConfig | undefined;
  /**
   * The response cache, or undefined when off (--no-cache; --mock without --cache-dir). `explicit`:
   * the user chose the directory, so failing to open it is an error rather than a warning; `chosenBy`
   * names how (the flag or the variable), as the error says it. `unusable`: why the default directory
   * could not even be named (no home); the run goes on without the cache after one line saying so.
   */
  cache: { dir: string; explicit: boolean; chosenBy?: CacheDirSource; unusable?: string } | undefined;
  /** --max-cost in USD; undefined without it. */
  maxCost: number | undefined;
  /** --price for every model, and/or the --prices file (read when the run starts). */
  price: TokenPrice | undefined;
  pricesFile: string | undefined;
  /** The user's arguments, to print an exact resume command. */
  argv: readonly string[];
  /** Encoding, --limit, --keep-fields, CSV escaping, truncation policy, extra request parameters. */
  data: DataConfig;
}

export interface BatchApiConfig {
  /** Requests per batch. */
  batchSize: number;
  /** Bytes per uploaded file. */
  maxBytes: number;
  pollMs: number;
  /** Wait for every batch, or exit 75 while some are pending (--no-wait). */
  wait: boolean;
  finishLive: boolean;
}

export interface Environment {
  env: NodeJS.ProcessEnv;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  /** The file descriptor behind stdout, when there is one: a side file must not be it. */
  stdoutFd?: number;
  /** The file descriptor behind stdin, when there is one: the output must not be the file it reads. */
  stdinFd?: number;
}

/** Whether the run's rows go to a CSV (a file or stdout): its layout, its cells and its ids follow. */
export const writesCsv = (config: Pick<CliConfig, 'output'>): boolean => config.output.kind !== 'terminal' && config.output.format === 'csv';

export const DEFAULT_MODEL = 'gpt-4o-mini';

/**
 * The CSV input's field separator: --csv-delimiter (one character, or `tab`; not a quote or a line
 * break, which CSV gives other meanings), else a tab for a `.tsv` file, else undefined (a comma).
 */
function csvDelimiterOf(given: string | undefined, input: CliConfig['input']): string | undefined {
  if (given === undefined) return input.kind === 'file' && path.extname(input.path).toLowerCase() === '.tsv' ? '\t' : undefined;
  const char = given === 'tab' || given === '\\t' ? '\t' : given;
  if (!usableDelimiter(char)) {
    throw new UsageError(`--csv-delimiter must be one character other than a quote or a line break, or "tab", got ${JSON.stringify(given)}`);
  }
  return char === ',' ? undefined : char;
}

/**
 * The input format an extension names. A file without one (`/dev/fd/63`, `prompts`) is sniffed
 * like stdin; any other extension is refused: reading a spreadsheet or a `.md` as lines of text
 * would send (and bill) prompts nobody meant.
 */
function inputFormatOf(file: string): InputFormat | 'auto' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '') return 'auto';
  const format = detectFormat(file);
  if (format) return format;
  const packed = COMPRESSED[ext];
  if (packed) {
    // `q.jsonl.gz`: the format is the name's inner extension, which a pipe no longer carries.
    const innerName = file.slice(0, -ext.length);
    const inner = detectFormat(innerName);
    // A .tsv's tab, which the name told a file and a pipe no longer does.
    const tab = inner === 'csv' && path.extname(innerName).toLowerCase() === '.tsv' ? ' --csv-delimiter tab' : '';
    throw new UsageError(
      `${file}: ${packed.kind} (by its name), not prompts: decompress it first (e.g. ${packed.cat} ${shellQuote(file)} | llm-batch${inner ? ` --input-format ${inner}${tab}` : ''})`,
    );
  }
  throw new UsageError(
    `cannot tell the format of ${file} from "${ext}": llm-batch reads .txt, .jsonl, .csv (.tsv) and .json; pass --input-format txt|jsonl|csv|json if it is one of those`,
  );
}

/** The output format an extension names; `.json`, `.tsv` and the like are refused rather than quietly written as JSONL. */
function outputFormatOf(file: string): OutputFormat {
  const ext = path.extname(file).toLowerCase();
  const format = formatFromPath(file);
  if (format) return format;
  if (ext === '' || file.startsWith('/dev/')) return 'jsonl';
  const hint = ext === '.json' ? ' (a JSON array cannot be appended to crash-safely: use .jsonl, one object per line)' : '';
  throw new UsageError(
    `-o ${file}: llm-batch writes .jsonl, .csv or .txt, not "${ext}"${hint}; rename the file, or pass -f jsonl|csv|text to write that format under this name`,
  );
}

const FORMAT_NAMES: Readonly<Record<OutputFormat, string>> = { jsonl: 'JSONL', csv: 'CSV', text: 'text' };

/**
 * The format a resumed output is continued in: the one it holds (its metadata, or its first bytes),
 * whatever its name says, so `-o r.csv -f jsonl` resumes as `-o r.csv --resume`. Undefined when the
 * file holds nothing that tells (it is new, empty, or not ours: -f or the name decide, and the
 * reader says what is wrong). A -f naming another format is refused: rows of one cannot be
 * appended to the other. A text output is returned as such, to be refused as one.
 */
function resumedFormat(file: string, given: OutputFormat | undefined): OutputFormat | undefined {
  const stored = storedResultsFormat(file);
  if (stored === undefined || stored === 'text' || given === undefined || given === stored) return stored;
  throw new UsageError(
    `--resume -f ${given}: ${file} holds ${FORMAT_NAMES[stored]} rows, and a resume continues a file in its own format; drop -f ${given} (or pass -f ${stored})`,
  );
}

function resolveInput(inputArg: string | undefined, stdinIsTTY: boolean): CliConfig['input'] {
  // `llm-batch "$INPUT"` with the variable unset: "cannot read input file : no such file" said little.
  if (inputArg === '') throw new UsageError('the input file name is empty (an unset variable?): give a prompts file, or - for stdin');
  if (inputArg !== undefined && inputArg !== '-') return { kind: 'file', path: inputArg };
  if (inputArg === undefined && stdinIsTTY) {
    throw new UsageError('no input: give a prompts file (e.g. llm-batch prompts.txt) or pipe prompts on stdin; see --help');
  }
  return { kind: 'stdin' };
}

function resolveOutput(input: CliConfig['input'], flags: RawFlags, environment: Environment): CliConfig['output'] {
  const { stdoutIsTTY, stdinFd } = environment;
  // `-o "$OUT"` with OUT unset: said as such, not as a file that cannot be made in the parent folder.
  if (flags.output !== undefined && flags.output.trim() === '') throw new UsageError('--output needs a file path ("-" for stdout); it was empty');
  if (flags.output !== undefined && flags.output !== '-') {
    const format = (flags.resume ? resumedFormat(flags.output, flags.format) : undefined) ?? flags.format ?? outputFormatOf(flags.output);
    // By name, and by what is on disk: a symlink or hard link to the input would be emptied.
    if (input.kind === 'file' && sameFile(input.path, flags.output)) {
      throw new UsageError(`--output ${flags.output} is the input file: choose another path (the input would be overwritten)`);
    }
    // `-o out.jsonl < out.jsonl`: emptied by --overwrite, or (--resume) every row written is read
    // back as one more prompt, for ever.
    if (input.kind === 'stdin' && isOpenAs(flags.output, stdinFd)) {
      throw new UsageError(`--output ${flags.output} is the file on standard input: choose another path (the input would be overwritten)`);
    }
    const read = flagFiles(flags).find(([, file]) => file !== undefined && sameFile(file, flags.output!));
    if (read) throw new UsageError(`--output ${flags.output} is the ${read[0]} file: choose another path (it would be overwritten)`);
    if (STDOUT_NAMES.test(path.resolve(flags.output))) refuseClosedStdout(flags, environment.stdoutFd);
    return { kind: 'file', path: flags.output, format };
  }
  if (flags.output === undefined && stdoutIsTTY && !flags.format) return { kind: 'terminal' };
  refuseClosedStdout(flags, environment.stdoutFd);
  if (stdoutIsInput(input, stdinFd, environment.stdoutFd)) {
    const what = input.kind === 'file' ? `the input file ${input.path}` : 'the file on standard input';
    throw new UsageError(`standard output is ${what}: redirect it to another file (the rows written would be read back as input)`);
  }
  return { kind: 'stdout', format: flags.format ?? 'jsonl' };
}

/** Rows to a closed stdout (`>&-`) would be paid for and lost: refused before anything is sent (a dry run sends nothing). */
function refuseClosedStdout(flags: RawFlags, stdoutFd: number | undefined): void {
  if (!flags.dryRun && isClosedDescriptor(stdoutFd)) {
    throw new UsageError(
      `standard output is closed (>&-, or a daemon's /dev/null opened read-write): the rows would be lost; redirect it (> rows.jsonl, or > /dev/null to discard them) or give -o FILE`,
    );
  }
}

/**
 * Which of the files the run already names `file` is (`--summary-json` or `--report` may be none of
 * them), or undefined: by name or on disk (a symlink or hard link). `-` is no file: while the result
 * rows go to stdout it is theirs, and else `/dev/stdout` names it (`--trace -` is made that before).
 */
function clashingFile(flag: string, file: string, named: ReadonlyArray<[string, string | undefined]>, stdoutFree = false): string | undefined {
  if (file.trim() === '') throw new UsageError(`${flag} needs a file path; it was empty`);
  if (file === '-')
    throw new UsageError(`${flag} needs a file path ${stdoutFree ? '("-" is none: for stdout, name /dev/stdout)' : '(stdout is for result rows)'}`);
  return named.find(([, other]) => other !== undefined && sameFile(file, other))?.[0];
}

/** Whether the result rows go to stdout: `-o -`, a pipe, the terminal, or `-o /dev/stdout`. */
const rowsOnStdout = (output: CliConfig['output']): boolean => output.kind !== 'file' || STDOUT_NAMES.test(path.resolve(output.path));

/** `--trace -` while the rows go elsewhere (`-o FILE`, `-o /dev/null`) is stdout, as `--trace /dev/stdout` is. */
const tracePath = (trace: string | undefined, output: CliConfig['output']): string | undefined =>
  trace === '-' && !rowsOnStdout(output) ? '/dev/stdout' : trace;

const filePath = (io: CliConfig['input'] | CliConfig['output']) => (io.kind === 'file' ? io.path : undefined);

/** The files the run keeps beside its output: it writes them, so none may be the input. */
function outputSideFiles(output: CliConfig['output']): Array<[string, string]> {
  const out = filePath(output);
  return out === undefined ? [] : sideFilesOf(out);
}

/**
 * `-v` / `--trace FILE` of `status` and `cancel` as a run resolves them; the file may not be the
 * results file or one beside it, which a trace appended to would break.
 */
export function resolveOutputTrace(output: string, flags: { verbose?: boolean; trace?: string }): CliConfig['trace'] {
  if (flags.trace === undefined) return flags.verbose ? { kind: 'stderr' } : undefined;
  const out: CliConfig['output'] = { kind: 'file', path: output, format: 'jsonl' };
  const clash = clashingFile('--trace', flags.trace, [
    ['output', output],
    ...outputSideFiles(out).map(([what, file]): [string, string] => [`output’s ${what}`, file]),
  ]);
  if (clash) throw new UsageError(`--trace ${flags.trace} is the ${clash} file: choose another path`);
  return { kind: 'file', path: flags.trace };
}

/** The file `-t @FILE` / `-s @FILE` reads, or undefined for text given as is. */
const atFile = (value: string | undefined): string | undefined => (value?.startsWith('@') ? value.slice(1) || undefined : undefined);

/** The response cache's store files, which the run has open: a side file appended to one breaks the store. */
function cacheFiles(cache: CliConfig['cache']): Array<[string, string]> {
  if (!cache || cache.unusable) return [];
  const store = path.join(cache.dir, STORE_FILE);
  const legacy = path.join(cache.dir, LEGACY_STORE_FILE);
  return [
    ['cache store', store],
    ['cache store’s lock', `${store}-lock`],
    ['older cache store', legacy],
    ['older cache store’s lock', `${legacy}-lock`],
  ];
}

/** The files flags name for the run to read: neither the output nor a side file may be one. */
export function flagFiles(flags: RawFlags): Array<[string, string | undefined]> {
  const schema = flags.jsonSchema?.trim().startsWith('{') ? undefined : flags.jsonSchema;
  return [
    ['--template', atFile(flags.template)],
    ['--system', atFile(flags.system)],
    ['--json-schema', schema],
    ['--prices', flags.prices],
  ];
}

/** The files a run reads or writes that no side file (--summary-json, --report, --trace) may be. */
function runFiles(input: CliConfig['input'], output: CliConfig['output'], flags: RawFlags, cache: CliConfig['cache']): Array<[string, string | undefined]> {
  return [
    ['input', filePath(input)],
    ...flagFiles(flags),
    ['output', filePath(output)],
    // A resume reads these: a side file written over one of them breaks the next --resume.
    ...outputSideFiles(output).map(([what, file]): [string, string] => [`output’s ${what}`, file]),
    ...cacheFiles(cache),
  ];
}

/**
 * An input named like a file the run keeps beside its output (`out.jsonl.meta.json`,
 * `out.jsonl.lock`) would be overwritten by the run settings, or taken for a stale lock.
 */
function checkInputIsNoSideFile(input: CliConfig['input'], output: CliConfig['output'], flags: RawFlags): void {
  if (input.kind !== 'file' || flags.compact) return; // --compact writes no side files
  const clash = outputSideFiles(output).find(([, file]) => sameFile(input.path, file));
  if (clash) {
    throw new UsageError(
      `the input ${input.path} is the ${clash[0]} file of --output ${filePath(output)}, which the run writes: choose another output path (or rename the input)`,
    );
  }
}

/**
 * --summary-json, --report and --trace each name a file of their own: not the input (--trace would
 * append to the prompts), not the output or the files beside it, not another side file.
 */
function checkSideFiles(input: CliConfig['input'], output: CliConfig['output'], flags: RawFlags, environment: Environment, cache: CliConfig['cache']): void {
  checkInputIsNoSideFile(input, output, flags);
  const named = runFiles(input, output, flags, cache);
  for (const [flag, file] of [
    ['--summary-json', flags.summaryJson],
    ['--report', flags.report],
    ['--trace', tracePath(flags.trace, output)],
  ] as const) {
    if (file === undefined) continue;
    const clash = clashingFile(flag, file, named, !rowsOnStdout(output));
    if (clash) throw new UsageError(`${flag} ${file} is the ${clash} file: choose another path`);
    // `--trace q.txt < q.txt`: each trace line read back as a prompt; the summary or report would replace the prompts.
    if (input.kind === 'stdin' && isOpenAs(file, environment.stdinFd))
      throw new UsageError(`${flag} ${file} is the file on standard input: choose another path`);
    if (isRowsStdout(file, output, environment.stdoutFd))
      throw new UsageError(`${flag} ${file} is stdout, where the result rows go: choose a file path (stdout is for result rows)`);
    named.push([flag, file]);
  }
  if (flags.dryRun || flags.compact) {
    const mode = flags.dryRun ? '--dry-run' : '--compact';
    if (flags.report !== undefined) throw new UsageError(`--report goes with a run, not ${mode} (for a results file: llm-batch report FILE)`);
    // Not ignored: a wrapper that reads the file after `llm-batch … --dry-run --summary-json s.json`
    // would take an earlier run's figures for this one's.
    if (flags.summaryJson !== undefined) throw new UsageError(`--summary-json goes with a run, not ${mode}, which writes no summary`);
    return;
  }
  if (flags.summaryJson !== undefined) checkSummaryTarget(flags.summaryJson, flags.overwrite ?? false);
}

/** A base URL as a run, `status` and `cancel` refuse it: credentials or a query in it, or an endpoint's path. */
export function refuseBaseUrl(baseURL: string, from: string, apiKey: string | undefined): void {
  refuseCredentials(baseURL, from, apiKey);
  refuseEndpointPath(baseURL, from);
}

/**
 * A base URL with `user:password@` or `TOKEN@`: nothing sends them (the key goes in a Bearer header),
 * and the URL is echoed in resume commands, the run settings file and traces. A query string or
 * fragment (`?api-key=…`) likewise, and `/chat/completions` is appended after it, so it would not
 * even reach the server as a query. Refused; the message shows neither the userinfo nor the query,
 * and passes the redactor in case the key sits elsewhere in the URL.
 */
function refuseCredentials(baseURL: string, from: string, apiKey: string | undefined): void {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    return; // --base-url is checked when parsed, OPENAI_BASE_URL by envBaseUrl
  }
  const userinfo = url.username !== '' || url.password !== '' || /^[^/]*\/\/[^/?#]*@/.test(baseURL);
  // `?` or `#`, whichever comes first: a fragment alone is shown as one, not as a query never typed.
  const query = /[?#]/.exec(baseURL)?.[0];
  if (!userinfo && !query) return;
  const shown = `${url.protocol}//${userinfo ? '***@' : ''}${url.host}${url.pathname === '/' ? '' : url.pathname}${query ? `${query}***` : ''}`;
  const why = userinfo
    ? 'has credentials in it: they are not sent (the API key goes in OPENAI_API_KEY) and would be printed in resume commands and traces; remove them'
    : isAzureHost(url.hostname)
      ? // A deployment's URL as Azure's portal shows it (`…/deployments/NAME/chat/completions?api-version=…`):
        // removing the query alone leaves a URL that does not work either.
        `has a query string (an api-version?): Azure OpenAI's v1 API takes none; pass --base-url ${url.protocol}//${url.host}/openai/v1 and the deployment's name as -m (the API key goes in OPENAI_API_KEY)`
      : 'has a query string or fragment: llm-batch appends /chat/completions to the base URL, so it would not be sent as one, and the URL is printed in resume commands and the run settings file; remove it (the API key goes in OPENAI_API_KEY)';
  throw new UsageError(createRedactor([apiKey])(`${from} ${shown} ${why}`));
}

/**
 * A base URL that names an endpoint rather than the API's root: one ending in /chat/completions, as
 * providers' docs show the whole URL (llm-batch appends it: every request went to
 * …/chat/completions/chat/completions and got a 404), or an Azure deployment's classic path or a
 * Foundry resource's model inference endpoint (/models), which take an api-version llm-batch does
 * not send. Refused before anything is written, naming the root.
 */
function refuseEndpointPath(baseURL: string, from: string): void {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    return;
  }
  const path = url.pathname.replace(/\/+$/, '');
  const azureHost = isAzureHost(url.hostname);
  const deployment = azureHost && /\/openai\/deployments(\/|$)/i.test(path);
  const inference = azureHost && /^\/models(\/chat\/completions)?$/i.test(path);
  const azure = deployment || inference;
  if (!azure && !/\/chat\/completions$/i.test(path)) return;
  const root = azure ? `${url.protocol}//${url.host}/openai/v1` : `${url.protocol}//${url.host}${path.slice(0, -'/chat/completions'.length)}`;
  const why = azure
    ? `is ${deployment ? "an Azure deployment's path" : "Azure's model inference endpoint"}, which wants an api-version: Azure OpenAI's v1 API takes none; pass --base-url ${root} and the deployment's name as -m`
    : `ends in /chat/completions, which llm-batch appends itself (its requests would go to …/chat/completions/chat/completions): pass --base-url ${root}`;
  throw new UsageError(`${from} ${url.protocol}//${url.host}${path} ${why}`);
}

/**
 * OPENAI_BASE_URL, held to what --base-url is (an http:// or https:// URL) before anything is
 * written: a value such as `mock` or `localhost:8000/v1` would otherwise reach the HTTP client and
 * end the run in an internal error, after its OUT.meta.json recorded it. Empty or blank is unset,
 * as with OPENAI_API_KEY. The refusal shows the value without userinfo or query, and redacted.
 */
export function envBaseUrl(env: NodeJS.ProcessEnv, apiKey: string | undefined): string | undefined {
  const value = env.OPENAI_BASE_URL?.trim();
  if (!value) return undefined;
  if (isHttpUrl(value)) return baseUrlForm(value);
  const shown = maskedBaseUrl(value, apiKey);
  const hint = value.toLowerCase() === 'mock' ? ' (for the offline mock provider, pass --mock)' : '';
  throw new UsageError(`OPENAI_BASE_URL ${JSON.stringify(shown)}: expected an http:// or https:// URL, e.g. http://localhost:11434/v1${hint}`);
}

/** The refusal of --resume into a text output, with what does work: text keeps no rows to read back. */
function textResume(file: string): string {
  let started = false;
  try {
    started = fs.statSync(file, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    // a path that cannot be looked up: the output check says why, once --resume is dropped
  }
  const instead = started ? `--overwrite in place of --resume to start ${file} again` : 'no --resume';
  return `--resume needs a .jsonl or .csv output, not text (${file}): a text output keeps no rows to read back. Run with -o FILE.jsonl or FILE.csv (which --resume can continue), or with ${instead}`;
}

/** Flags that only make sense together, or not at all together. */
function checkFlagCombinations(input: CliConfig['input'], output: CliConfig['output'], flags: RawFlags): void {
  if (flags.retryFailed && !flags.resume) throw new UsageError('--retry-failed goes with --resume');
  if (flags.forceResume && !flags.resume) throw new UsageError('--force-resume goes with --resume');
  if (flags.resume && flags.overwrite) throw new UsageError('--resume and --overwrite contradict each other: pick one');
  // -v printed every request while -q promised nothing but errors: one of them was not what was meant.
  if (flags.quiet && flags.verbose)
    throw new UsageError('-q (--quiet) and -v (--verbose) contradict each other: pick one (--trace FILE keeps the requests apart from a quiet run)');
  // -q dropped the lines --progress asked for: a cron line given --progress 60 for its log logged nothing.
  if (flags.quiet && flags.progress !== undefined)
    throw new UsageError(
      '-q (--quiet) and --progress contradict each other: pick one (--progress without -q logs a progress line every N seconds, errors and the summary)',
    );
  if (flags.resume && output.kind !== 'file') throw new UsageError('--resume needs an output file: add -o results.jsonl');
  if (flags.resume && output.kind === 'file' && output.format === 'text') throw new UsageError(textResume(output.path));
  // What the file holds, not its name: `-o r.json -f jsonl` wrote JSONL that compacts as any other.
  if (flags.compact && input.kind === 'file') {
    const format = resultsFileFormat(input.path);
    if (format !== 'jsonl' && format !== 'csv')
      throw new UsageError(
        `--compact reads a results file (.jsonl or .csv), got ${input.path}${storedResultsFormat(input.path) === 'text' ? ': a text output cannot be read back' : ''}`,
      );
  }
}

/** OPENAI_ORG_ID and OPENAI_PROJECT_ID, blank as unset: the CLI sends them, the library reads no variable. */
export function projectOf(env: NodeJS.ProcessEnv): { organization: string | undefined; project: string | undefined } {
  return { organization: env.OPENAI_ORG_ID?.trim() || undefined, project: env.OPENAI_PROJECT_ID?.trim() || undefined };
}

export function resolveCliConfig(inputArg: string | undefined, flags: RawFlags, environment: Environment, argv: readonly string[]): CliConfig {
  const { env } = environment;
  checkWorkingDir();
  const given = resolveInput(inputArg, environment.stdinIsTTY);
  const input: CliConfig['input'] = given.kind === 'stdin' && isClosedDescriptor(environment.stdinFd) ? { kind: 'stdin', closed: true } : given;
  // A separator given says the input is CSV: stdin and a file without an extension are not sniffed then.
  const named = flags.inputFormat ?? (input.kind === 'file' && !flags.compact ? inputFormatOf(input.path) : 'auto');
  const inputFormat = named === 'auto' && flags.csvDelimiter !== undefined ? 'csv' : named;
  if (flags.csvDelimiter !== undefined && inputFormat !== 'csv')
    throw new UsageError(`--csv-delimiter goes with a CSV input, not ${inputFormat === 'auto' ? 'this one' : inputFormat}`);
  const csvDelimiter = inputFormat === 'csv' ? csvDelimiterOf(flags.csvDelimiter, input) : undefined;
  const output = resolveOutput(input, flags, environment);
  const cache = resolveCache(flags, env);
  checkSideFiles(input, output, flags, environment, cache);
  checkFlagCombinations(input, output, flags);
  for (const [flag, value, what] of [
    ['--template', flags.template, 'template'],
    ['--system', flags.system, 'system message'],
  ] as const) {
    // Read first, the flag took every prompt: "no prompts on stdin", or a template "with no {{field}}".
    if (!value?.startsWith('@')) continue;
    const file = value.slice(1);
    if (input.kind === 'stdin' ? readsDescriptor(file, environment.stdinFd) : oneStream(file, input.path)) {
      const source = input.kind === 'stdin' ? 'standard input' : `${input.path}, the input`;
      throw new UsageError(`${flag} ${value} reads ${source}, where the prompts come from: give the ${what} or the prompts as a file`);
    }
  }
  const template = flagText('--template', flags.template);
  const system = flagText('--system', flags.system);
  // As the key typed in an argument is refused (key-in-arguments.ts): a file's text is repeated as well,
  // in OUT.meta.json to start with.
  for (const [flag, text, given] of [
    ['--template', template, flags.template],
    ['--system', system, flags.system],
  ] as const) {
    const refused = given?.startsWith('@')
      ? keyInFileError(text, env, `${flag} ${given}`, "its text in the run's settings file and requests' traces")
      : undefined;
    if (refused) throw refused;
  }
  // A typo in the braces sends the same literal prompt on every row, paid for each time.
  const badTemplate = template === undefined ? undefined : templateProblem(template);
  if (badTemplate) {
    // `-t prompt.tmpl`: the file's name is no template; say how to read the file instead.
    const file = fileNameHint('--template', template!);
    throw new UsageError(file ? `--template "${template}" has no {{field}} placeholder${file}` : `${flagLabel('--template', flags.template)} ${badTemplate}`);
  }
  // An unset variable (`-s "$SYSTEM_PROMPT"` in cron) would send an empty system message on every request.
  if (system !== undefined && system.trim() === '') {
    throw new UsageError(
      `${flagLabel('--system', flags.system)} is ${system === '' ? 'empty' : 'blank'}, so every request would send an empty system message${flags.system?.startsWith('@') ? '' : ' (an unset variable?)'}: give it text, or leave --system out`,
    );
  }
  // --system is filled from each row as a template is: a typo in its braces would be sent as is.
  const badSystem = system === undefined ? undefined : braceProblem(system);
  if (badSystem) throw new UsageError(`${flagLabel('--system', flags.system)} ${badSystem}`);
  // `-s system.txt` would send the file's name as the system message on every request.
  const systemFile = system === undefined || templateFields(system).length > 0 ? '' : fileNameHint('--system', system);
  if (systemFile) throw new UsageError(`--system would send the text "${system}"${systemFile}`);

  if (flags.json && flags.jsonSchema !== undefined) throw new UsageError('--json and --json-schema: pick one (--json-schema already asks for JSON)');
  if (flags.schemaInPrompt && flags.jsonSchema === undefined && !flags.json) throw new UsageError('--schema-in-prompt goes with --json-schema or --json');
  if (flags.schemaRetries !== undefined && flags.jsonSchema === undefined && !flags.json)
    throw new UsageError('--schema-retries goes with --json-schema or --json');
  if (flags.jsonSchema !== undefined && flags.jsonSchema.trim() === '') throw new UsageError('--json-schema needs a schema file or inline JSON');
  const structured: CliConfig['structured'] =
    flags.jsonSchema !== undefined
      ? { kind: 'schema', source: flags.jsonSchema, inPrompt: flags.schemaInPrompt ?? false, retries: flags.schemaRetries ?? 2 }
      : flags.json
        ? { kind: 'json', inPrompt: flags.schemaInPrompt ?? false, retries: flags.schemaRetries ?? 2 }
        : undefined;
  // These send response_format themselves, which would silently replace the --param's.
  if (structured && !structured.inPrompt && flags.param?.some(([key]) => key === 'response_format')) {
    const by =
      structured.kind === 'json' ? '--json (add --schema-in-prompt to send yours)' : '--json-schema (add --schema-in-prompt to send yours beside the schema)';
    throw new UsageError(`--param response_format: set by ${by}`);
  }
  const batchApi = resolveBatchApi(flags, output);

  const models = [...new Set(flags.model ?? envModels(env.LLM_BATCH_MODEL) ?? [flags.mock ? 'mock-model' : DEFAULT_MODEL])];
  const apiKey = env.OPENAI_API_KEY?.trim() || undefined;
  // Under --mock no server is asked: OPENAI_BASE_URL is not read.
  const baseURL = flags.baseUrl ?? (flags.mock ? undefined : envBaseUrl(env, apiKey));
  if (baseURL !== undefined) refuseBaseUrl(baseURL, flags.baseUrl !== undefined ? '--base-url' : 'OPENAI_BASE_URL', apiKey);
  const provider: CliConfig['provider'] = flags.mock ? { kind: 'mock' } : { kind: 'openai', baseURL, apiKey, ...projectOf(env) };

  return {
    input,
    inputFormat,
    template,
    system,
    promptField: flags.promptField,
    idField: flags.idField,
    csvDelimiter,
    model: models[0]!,
    models,
    repeat: flags.repeat ?? 1,
    temperature: flags.temperature,
    maxTokens: flags.maxTokens,
    provider,
    concurrency: flags.concurrency,
    rpm: flags.rpm,
    tpm: flags.tpm,
    timeoutMs: flags.timeout * 1000,
    idleTimeoutMs: flags.idleTimeout * 1000,
    retries: flags.retries,
    stream: flags.stream,
    output,
    order: flags.order,
    resume: flags.resume ?? false,
    retryFailed: flags.retryFailed ?? false,
    forceResume: flags.forceResume ?? false,
    overwrite: flags.overwrite ?? false,
    compact: flags.compact ?? false,
    dryRun: flags.dryRun ?? false,
    summaryJson: flags.summaryJson,
    report: flags.report,
    progressEverySec: flags.progress === undefined ? undefined : flags.progress === true ? 10 : flags.progress,
    quiet: flags.quiet ?? false,
    trace: flags.trace !== undefined ? { kind: 'file', path: tracePath(flags.trace, output)! } : flags.verbose ? { kind: 'stderr' } : undefined,
    structured,
    batchApi,
    shard: flags.shard,
    cache,
    maxCost: flags.maxCost,
    price: flags.price,
    pricesFile: flags.prices,
    argv,
    data: resolveDataConfig(flags),
  };
}

function resolveBatchApi(flags: RawFlags, output: CliConfig['output']): BatchApiConfig | undefined {
  if (!flags.batchApi) {
    const stray =
      flags.batchSize !== undefined
        ? '--batch-size'
        : flags.batchMaxMb !== undefined
          ? '--batch-max-mb'
          : flags.poll !== undefined
            ? '--poll'
            : flags.wait === false
              ? '--no-wait'
              : flags.finishLive
                ? '--finish-live'
                : undefined;
    if (stray) throw new UsageError(`${stray} goes with --batch-api`);
    return undefined;
  }
  if (!flags.dryRun && (output.kind !== 'file' || output.format === 'text')) {
    throw new UsageError("--batch-api needs -o with a .jsonl or .csv file: the batches' state is kept next to it, and answers arrive in any order");
  }
  if (!flags.dryRun && output.kind === 'file') checkBatchStateTarget(output.path);
  if (flags.maxCost !== undefined && flags.finishLive) {
    // Lines reserved at the Batch price would run live at twice that: the cap could not hold.
    throw new UsageError('--max-cost does not work with --finish-live yet: drop --finish-live (unfinished lines then go out in a new batch, within the cap)');
  }
  if (flags.mock && flags.wait === false) {
    throw new UsageError('--no-wait needs a real server: the batches of --mock live in this process only');
  }
  return {
    batchSize: flags.batchSize ?? 50_000,
    maxBytes: Math.floor((flags.batchMaxMb ?? 200) * 1_000_000),
    // --mock answers a batch in about a second: poll it often.
    pollMs: (flags.poll ?? (flags.mock ? 0.3 : 30)) * 1000,
    wait: flags.wait ?? true,
    finishLive: flags.finishLive ?? false,
  };
}

function resolveCache(flags: RawFlags, env: NodeJS.ProcessEnv): CliConfig['cache'] {
  const empty = cacheDirFlagProblem(flags.cacheDir, ', or use --no-cache');
  if (empty) throw new UsageError(empty);
  if (flags.cache === false) return undefined;
  // The built-in mock answers instantly and for free: caching it only fills the disk.
  if (flags.mock && flags.cacheDir === undefined) return undefined;
  // The environment's --no-cache, for a machine or a job that never keeps answers; a --cache-dir on
  // the command line is a choice made for this run, and beats it.
  if (flags.cacheDir === undefined && noCacheFromEnv(env)) return undefined;
  const chosenBy = cacheDirSource(flags.cacheDir, env);
  try {
    const dir = resolveCacheDir(flags.cacheDir, env);
    // The default place only: a directory named by --cache-dir or LLM_BATCH_CACHE_DIR (a team's shared
    // cache) is the user's choice of whom to trust.
    const unsafe = chosenBy === undefined ? othersCanWrite(dir) : undefined;
    if (unsafe) return { dir: '', explicit: false, unusable: `the default cache directory ${dir} could be changed by another user (${unsafe})` };
    return { dir, explicit: chosenBy !== undefined, ...(chosenBy ? { chosenBy } : {}) };
  } catch (err) {
    if (err instanceof NoHomeError) return { dir: '', explicit: false, unusable: err.message };
    throw err;
  }
}

/** LLM_BATCH_NO_CACHE set to anything but empty, 0, false or no. */
const noCacheFromEnv = (env: NodeJS.ProcessEnv): boolean => !['', '0', 'false', 'no'].includes((env.LLM_BATCH_NO_CACHE ?? '').trim().toLowerCase());

/** The API key a run sends with: none for --mock. */
export const apiKeyOf = (config: CliConfig): string | undefined => (config.provider.kind === 'openai' ? config.provider.apiKey : undefined);

/** The input file a summary names, null for stdin. */
export const inputFileOf = (config: CliConfig): string | null => (config.input.kind === 'file' ? config.input.path : null);

/** The key check, kept apart so `--dry-run` and `--compact` can skip it; also the other header variables. */
export function requireKey(config: CliConfig, env: NodeJS.ProcessEnv): void {
  const p = config.provider;
  if (p.kind === 'openai') checkApiKey(p.apiKey, 'OPENAI_API_KEY');
  if (p.kind === 'openai') checkHeaderVariables(env);
  if (p.kind === 'openai' && !p.apiKey && !p.baseURL) {
    throw new UsageError(
      'OPENAI_API_KEY is not set: export it, or try offline with --mock (a local server given by --base-url or OPENAI_BASE_URL may need no key)',
    );
  }
}

/** LLM_BATCH_MODEL=A,B is two models, as `-m A,B` is (a cron line moving -m into the environment); blank is unset. */
function envModels(value: string | undefined): string[] | undefined {
  if (!value?.trim()) return undefined;
  const names = splitModelNames(value);
  if (!names) throw new UsageError(`LLM_BATCH_MODEL ${JSON.stringify(value)}: expected model names separated by commas, e.g. gpt-4o-mini,gpt-4.1-nano`);
  return names;
}
