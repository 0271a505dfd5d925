import { createHash } from 'node:crypto';
import { BUDGET_DEFAULT_MAX_TOKENS, unpricedMessage } from '../budget/run-budget.js';
import { mediaTally, mediaTokens, predictedText, predictionTokenBound, requestTokenBound, type MediaTally } from '../budget/worst-case.js';
import { writesCsv, type CliConfig } from './config.js';
import type { CliIo } from './io.js';
import { inputOptionsFor, openInput, type OpenedInput } from './open-input.js';
import { limitRecords } from './limit-records.js';
import { ExitCode } from '../errors.js';
import { DEFAULT_COMPLETION_TOKENS } from '../engine/batch-options.js';
import { cacheBody, toCompletionRequest, wireBody } from '../provider/request-body.js';
import { runLimitField } from './chat-base-url.js';
import { placeOf, readRecords } from '../input/index.js';
import { shardRecords, type ShardTally } from '../input/shard.js';
import { BATCH_PRICE_FACTOR, batchDryRun, type BatchDryRun } from './batch-dry-run.js';
import { PRICES_AS_OF } from '../pricing.js';
import { billedUsd, createPriceLookup, pricedByGiven, worstCasePico, type PriceLookup, type TokenPrice } from '../budget/prices.js';
import { picoToUsd, toPico, toUsd, type Picodollars } from '../budget/spend-cap.js';
import { worstCaseAdvice, type RefusedWorstCase } from './cost-advice.js';
import { budgetPrices, runPrices } from './open-budget.js';
import type { StructuredRequest } from '../structured/types.js';
import type { ChatMessage, PromptRecord } from '../types.js';
import type { StructuredSetup } from './structured-setup.js';
import { capUsd, count, exactUsd, usd } from '../ui/number-format.js';
import { jsonForDisplay, sanitize, sanitizeName } from '../util/sanitize.js';
import { contextWindowOf } from './context-windows.js';
import { createRedactor } from '../redact.js';
import { clipForDisplay, MAX_SHOWN_CHARS } from './clip-body.js';
import { openCache } from './open-cache.js';
import { answeredCheck } from './dry-run-answered.js';
import { refuseOtherRunDry, refuseOutputDry } from './dry-run-identity.js';
import { csvLayoutFor, withFieldColumns } from './csv-layout-for.js';
import { fingerprint } from './run-identity.js';
import { checkStdinFile } from './check-stdin-file.js';
import { pendingCheck } from './dry-run-pending.js';
import { isInteractive, useColor } from './display-mode.js';
import type { AnswerCache } from '../engine/answer-cache.js';
import { isMatrix } from '../input/expand-matrix.js';
import { judgeAnswer } from '../structured/judge-answer.js';
import { usableHit } from '../engine/build-row.js';
import type { StructuredOutput } from '../structured/types.js';
import { OPENAI_V1 } from '../provider/openai-url.js';
import { tooLargeForTpm } from '../engine/too-large-for-tpm.js';
import { noPromptsMessage } from './empty-input.js';

/** Answer length assumed for records with no max_tokens (the engine's TPM estimate uses the same). */
export const DEFAULT_ANSWER_TOKENS = DEFAULT_COMPLETION_TOKENS;
const SHOW_REQUESTS = 3;
const SHOW_BAD = 20;
const SHOW_TOO_LONG = 20;

/** The JSON body the run would POST for this record: the very function the provider uses. */
export function requestBody(
  record: PromptRecord,
  config: Pick<CliConfig, 'model' | 'temperature' | 'maxTokens' | 'stream' | 'provider'> & { data?: Pick<CliConfig['data'], 'params'>; maxCost?: number },
  structured?: StructuredRequest,
  /** The body the response cache keys the answer by (without --max-cost's own cap), not the one sent. */
  forCache = false,
): Record<string, unknown> {
  const limitField = runLimitField(config);
  // As the run: max_tokens 4096 under --max-cost when none is set.
  const budgetMaxTokens = config.maxCost !== undefined ? BUDGET_DEFAULT_MAX_TOKENS : undefined;
  const request = toCompletionRequest(record, { ...config, budgetMaxTokens, extraBody: config.data?.params, structured });
  return forCache ? cacheBody(request, limitField) : wireBody(request, limitField);
}

/** $2.50, or $0.075 for a halved price: no digit lost. */
const perMillion = (x: number) => (Math.round(x * 100) === x * 100 ? x.toFixed(2) : String(Number(x.toFixed(4))));

interface ModelTotals {
  requests: number;
  promptTokens: number;
  answerTokens: number;
  /** Requests with no max_tokens, counted at DEFAULT_ANSWER_TOKENS. */
  assumed: number;
  /** Of `answerTokens`: Predicted Outputs' tokens, billed as answer tokens when the answer does not use them. */
  predicted: number;
  /** Non-text parts: images counted at their worst case for the model, and parts nothing bounds (left out). */
  media: MediaTally;
}

/**
 * A spinner on a terminal's stderr while a large input is read, shown only if reading takes a while.
 * Loads ora only then.
 */
function readingSpinner(config: CliConfig, io: CliIo, text: () => string): () => void {
  if (config.quiet || !isInteractive(io, io.stderr)) return () => {};
  let stopped = false;
  let spinner: import('ora').Ora | undefined;
  let updater: NodeJS.Timeout | undefined;
  const delay = setTimeout(() => {
    void import('ora').then(({ default: ora }) => {
      if (stopped) return;
      spinner = ora({
        stream: io.stderr,
        text: text(),
        color: useColor(io, io.stderr) ? 'cyan' : false,
        hideCursor: false,
        discardStdin: false,
        isEnabled: true,
      }).start();
      updater = setInterval(() => spinner && (spinner.text = text()), 100);
      updater.unref();
    });
  }, 200);
  delay.unref();
  return () => {
    stopped = true;
    clearTimeout(delay);
    clearInterval(updater);
    spinner?.stop();
  };
}

/** The worst cases --max-cost would reserve, to say before a run what its cap lets through. */
interface CapScan {
  capPico: Picodollars;
  /** The largest request's worst case, and its model. */
  largest?: RefusedWorstCase & { pico: Picodollars; model: string };
  /** The smallest one: above the cap, the run sends nothing. */
  leastPico: Picodollars;
  /** Requests whose worst case alone is above the cap: the run never sends them. */
  over: number;
  totalPico: Picodollars;
}

interface DryRunScan {
  records: number;
  badCount: number;
  /** The first SHOW_BAD problems. */
  bad: string[];
  /** The first request of each of the first SHOW_REQUESTS sendable records. */
  first: PromptRecord[];
  byModel: Map<string, ModelTotals>;
  /** Prompts that cannot fit their model's context window (a known OpenAI model's). */
  tooLongCount: number;
  /** The first SHOW_TOO_LONG of them, one line each. */
  tooLong: string[];
  /** Requests in all (records × models × samples), and how many of them the response cache answers. */
  requests: number;
  cached: number;
  /** With --resume: requests the output already answers (the run skips them). */
  answered: number;
  /** With --batch-api --resume: requests in submitted batches not collected yet (the run collects them). */
  pending: number;
  /**
   * Good records the run sends nothing for: all their requests are answered in the output, some wait
   * in a submitted batch, or (the rest) some come from the response cache.
   */
  answeredRecords: number;
  waitingRecords: number;
  cachedRecords: number;
  /** Under --max-cost: the requests' worst cases as the budget reserves them (see CapScan). */
  cap?: CapScan;
  /** --shard: the records left to other shards. */
  shardTally: ShardTally;
}

/** Reads the whole input once (streaming), keeping counts, the first records and the first problems. */
async function scanInput(
  config: CliConfig,
  io: CliIo,
  input: OpenedInput,
  structured: StructuredSetup | undefined,
  batch: BatchDryRun | undefined,
  cached?: (record: PromptRecord) => boolean,
  answered?: (record: PromptRecord) => boolean,
  pending?: (record: PromptRecord) => boolean,
  /** --max-cost's prices: a record naming a model with none is an `input` row in the run, so bad here. */
  budgetLookup?: PriceLookup,
): Promise<DryRunScan> {
  const { requestTokenEstimator, estimateTextTokens } = await import('../schedule/estimate-tokens.js');
  // Counted as the engine's TPM estimate counts a request (each schema or tools list encoded once):
  // its messages, the run's schema or a row's own (or --param's) response_format, and its tools,
  // which the provider bills as prompt too, as --max-cost counts them.
  const estimate = requestTokenEstimator();
  const format = structured?.structured.responseFormat;
  const runExtra = config.data?.params;
  const extraOf = (record: PromptRecord, key: string): unknown => record.extraBody?.[key] ?? runExtra?.[key];
  const promptTokensOf = (record: PromptRecord): number =>
    estimate({ messages: messagesOf(record), response_format: format ?? extraOf(record, 'response_format'), tools: extraOf(record, 'tools') });
  // A prediction (Predicted Outputs) the answer does not use is billed as answer tokens, as --max-cost reserves it.
  const predictedTokensOf = (record: PromptRecord): number => estimateTextTokens(predictedText(extraOf(record, 'prediction')));
  // What --max-cost reserves is no estimate but a bound (UTF-8 bytes, see promptTokenBound): a cap
  // the tokenizer's count fitted was refused by the run (exit 3) that the dry run said nothing of.
  const reservedTokensOf = (record: PromptRecord, model: string): number =>
    requestTokenBound({
      model,
      messages: messagesOf(record),
      response_format: format ?? extraOf(record, 'response_format'),
      tools: extraOf(record, 'tools'),
      functions: extraOf(record, 'functions'),
    });
  const reservedPredictionOf = (record: PromptRecord): number => predictionTokenBound(extraOf(record, 'prediction'));
  const messagesOf = (record: PromptRecord): ChatMessage[] =>
    structured ? toCompletionRequest(record, { ...config, structured: structured.structured }).messages : record.messages;
  const scan: DryRunScan = {
    records: 0,
    badCount: 0,
    bad: [],
    first: [],
    byModel: new Map(),
    tooLongCount: 0,
    tooLong: [],
    requests: 0,
    cached: 0,
    answered: 0,
    pending: 0,
    answeredRecords: 0,
    waitingRecords: 0,
    cachedRecords: 0,
    shardTally: { others: 0 },
  };
  if (config.maxCost !== undefined && budgetLookup) scan.cap = { capPico: toPico(config.maxCost), leastPico: Number.POSITIVE_INFINITY, over: 0, totalPico: 0 };
  const matrix = isMatrix({ models: config.models, repeat: config.repeat });
  const stopSpinner = readingSpinner(config, io, () => `reading ${sanitizeName(input.source)}… ${count(scan.records)} records`);
  try {
    const all = readRecords(input.stream, inputOptionsFor(config, input));
    const mine = config.shard ? shardRecords(all, config.shard, scan.shardTally) : all;
    for await (const record of config.data.limit === undefined ? mine : limitRecords(mine, config.data.limit)) {
      scan.records++;
      if (record.problem) {
        scan.badCount++;
        if (scan.bad.length < SHOW_BAD) scan.bad.push(record.problem.message);
        continue;
      }
      // Only records that would be sent are shown: one answered from the cache sends nothing. Shown
      // is its first request as the run expands it (-m A,B, --repeat): a Batch line's custom_id names the model and sample.
      let sent: PromptRecord | undefined;
      // Whether any waits in a batch, or comes from the cache: a record with none to send is counted by why.
      let waits = false;
      let fromCache = false;
      // The run's models are priced before the input is read (budgetPrices); a record's own may not be.
      const unpriced =
        budgetLookup && record.params.model !== undefined && !budgetLookup(record.params.model) ? unpricedMessage(record.params.model) : undefined;
      let refused = false;
      // Every model (-m A,B) and sample (--repeat) is a request of its own, as the run expands them.
      const models = record.params.model !== undefined ? [record.params.model] : config.models;
      const maxTokens = record.params.max_tokens ?? config.maxTokens ?? (config.maxCost !== undefined ? BUDGET_DEFAULT_MAX_TOKENS : undefined);
      // The text once; images per model, at that model's worst case (mediaTokens).
      const textTokens = promptTokensOf(record);
      const predicted = predictedTokensOf(record);
      // As the live run: a request needing more tokens than --tpm allows in a minute is an `input` row,
      // never sent (a --batch-api run paces nothing: the lines all go in its batches).
      const needs = textTokens + (maxTokens ?? 0);
      const overTpm =
        config.tpm && !batch && needs > config.tpm
          ? tooLargeForTpm(
              needs,
              { model: record.params.model ?? '', max_tokens: maxTokens },
              { perMinute: config.tpm, source: 'tpm' },
              { named: record.params.model !== undefined, sentBefore: false },
            )
          : undefined;
      const refusal = overTpm ?? unpriced;
      for (const model of models) {
        const totals = scan.byModel.get(model) ?? { requests: 0, promptTokens: 0, answerTokens: 0, assumed: 0, predicted: 0, media: mediaTally() };
        const media = mediaTally();
        const promptTokens = textTokens + mediaTokens(record.messages, model, media, 0);
        for (let sample = 0; sample < config.repeat; sample++) {
          const request = matrix ? { ...record, params: { ...record.params, model }, sample } : record;
          // One the output already has is not sent again by --resume.
          if (answered?.(request)) {
            scan.answered++;
            continue;
          }
          // Nor one a submitted batch will answer: the resume collects it.
          if (pending?.(request)) {
            scan.pending++;
            waits = true;
            continue;
          }
          // An answer the cache holds is no request and no cost.
          if (cached?.(request)) {
            scan.cached++;
            fromCache = true;
            continue;
          }
          // As the run: an `input` row when it would be sent, not a request.
          if (refusal) {
            refused = true;
            continue;
          }
          batch?.add(request);
          sent ??= request;
          totals.requests++;
          totals.promptTokens += promptTokens;
          totals.media.bounded += media.bounded;
          totals.media.unbounded += media.unbounded;
          totals.media.kind ??= media.kind;
          totals.answerTokens += (maxTokens ?? DEFAULT_ANSWER_TOKENS) + predicted;
          totals.predicted += predicted;
          if (maxTokens === undefined) totals.assumed++;
          if (scan.cap)
            capRequest(
              scan.cap,
              budgetLookup!(model),
              model,
              reservedTokensOf(record, model),
              maxTokens ?? BUDGET_DEFAULT_MAX_TOKENS,
              reservedPredictionOf(record),
              batch !== undefined,
            );
        }
        if (totals.requests > 0) scan.byModel.set(model, totals);
        // Only what surely cannot fit: the prompt's text (an image's worst case is not sure), plus max_tokens when one is set.
        const window = contextWindowOf(model);
        if (window && textTokens + (maxTokens ?? 0) > window.tokens) {
          scan.tooLongCount++;
          if (scan.tooLong.length < SHOW_TOO_LONG) {
            scan.tooLong.push(
              `  ${placeOf(record)} (id ${record.id}): ${count(textTokens)} prompt tokens${maxTokens ? ` + max_tokens ${count(maxTokens)}` : ''} > ${count(window.tokens)} (${window.model})`,
            );
          }
        }
      }
      if (refused) {
        scan.badCount++;
        if (scan.bad.length < SHOW_BAD) scan.bad.push(`${placeOf(record)}: ${refusal}`);
        continue;
      }
      if (sent && scan.first.length < SHOW_REQUESTS) scan.first.push(sent);
      // No request left to send (`sent` is the first one, if any): the record is not one to send.
      if (!sent) {
        if (waits) scan.waitingRecords++;
        else if (fromCache) scan.cachedRecords++;
        else scan.answeredRecords++;
      }
    }
  } finally {
    stopSpinner();
    await input.close();
  }
  return scan;
}

/**
 * Whether the cache holds the answer to a request, keyed by the body the run would send; or, in a
 * live run, will: a request repeated in the input is asked once, and its repeats wait for that
 * answer and take it from the cache (the run's summary counts them "from cache").
 */
function cachedCheck(config: CliConfig, cache: AnswerCache, batch: BatchDryRun | undefined, structured?: StructuredOutput): (record: PromptRecord) => boolean {
  // A fingerprint of each request counted as sent: 16 bytes of its body's hash, not the body.
  const asked = batch ? undefined : new Set<string>();
  return (record) => {
    const body = batch ? batch.body(record) : requestBody(record, config, structured, true);
    const found = cache.getByBody(body, record.sample ?? 0);
    // As the run: under --fail-truncated a cut answer is asked again (and paid for), and a structured
    // answer counts only if it passes the check again.
    const hit = found && usableHit(found, config.data.failTruncated) ? found : undefined;
    if (hit !== undefined && (!structured || judgeAnswer(hit.text, hit.finishReason, structured.check).ok)) return true;
    if (!asked) return false;
    const key = createHash('sha256')
      .update(`${record.sample ?? 0}:${JSON.stringify(body)}`)
      .digest('base64')
      .slice(0, 22);
    if (asked.has(key)) return true;
    asked.add(key);
    return false;
  };
}

/** The first requests, as they would be sent. */
function requestLines(config: CliConfig, first: readonly PromptRecord[], structured: StructuredRequest | undefined, batch: BatchDryRun | undefined): string[] {
  if (first.length === 0) return ['', 'Nothing to send.'];
  const endpoint = batch
    ? batch.endpoint
    : config.provider.kind === 'mock'
      ? 'the built-in --mock provider (offline)'
      : `POST ${createRedactor([config.provider.apiKey])(config.provider.baseURL ?? OPENAI_V1)}/chat/completions`;
  const lines = ['', `First ${first.length === 1 ? 'request' : `${first.length} requests`}, exactly as they would be sent to ${endpoint}:`];
  let clipped = false;
  first.forEach((record, i) => {
    lines.push('', `#${i + 1}  id ${record.id}  (${placeOf(record)})`);
    if (batch) lines.push(batch.show(record));
    else {
      const shown = clipForDisplay(requestBody(record, config, structured));
      clipped ||= shown.clipped;
      lines.push(jsonForDisplay(shown.body));
    }
  });
  if (clipped) lines.push('', `(texts longer than ${count(MAX_SHOWN_CHARS)} characters are cut here for display; the run sends them whole)`);
  return lines;
}

/** How answers are asked for and checked: the schema, the strictness note, the CSV columns. */
function structuredLines(config: CliConfig, setup: StructuredSetup): string[] {
  const s = config.structured!;
  const how =
    s.kind === 'json'
      ? `Answers: JSON mode (${s.inPrompt ? 'asked for in a system message, not as response_format' : 'response_format json_object'}), parsed into each row's output`
      : `Answers: validated against ${s.source.trimStart().startsWith('{') ? 'the inline schema' : s.source}` +
        `${s.inPrompt ? ' (sent in a system message, not as response_format)' : ' (sent as response_format, strict)'}`;
  const lines = ['', `${how}; up to ${s.retries} re-asks per record`];
  lines.push(`  ${setup.note ?? (s.kind === 'schema' && !s.inPrompt ? 'the schema is already strict: sent as written' : 'no strict-mode changes')}`);
  if (setup.csvColumns.length && writesCsv(config)) {
    lines.push(`  CSV columns after id: ${setup.csvColumns.map((c) => c.column).join(', ')}`);
  }
  return lines;
}

/**
 * What the prompt tokens make of images: counted at their worst case for the model (their size is
 * not known before the server fetches them), or left out when nothing bounds them (`--max-cost`
 * says so too, and reserves an allowance).
 */
function mediaNote(media: MediaTally): string {
  const parts = (n: number) => `${count(n)} ${media.kind === 'image_url' ? 'image' : 'non-text'} ${n === 1 ? 'part' : 'parts'}`;
  const notes = [
    ...(media.bounded > 0 ? [`${count(media.bounded)} image ${media.bounded === 1 ? 'part' : 'parts'} at their worst case`] : []),
    ...(media.unbounded > 0 ? [`${parts(media.unbounded)} left out: no known token bound for this model`] : []),
  ];
  return notes.length > 0 ? ` (${notes.join('; ')})` : '';
}

/** Counts one request's worst case (as RunBudget reserves it: its prompt, its answer limit and any prediction) in `cap`. */
function capRequest(
  cap: CapScan,
  price: TokenPrice | undefined,
  model: string,
  promptTokens: number,
  maxTokens: number,
  predicted: number,
  batch: boolean,
): void {
  if (!price) return;
  const pico = worstCasePico(price, promptTokens, maxTokens + predicted, batch);
  cap.totalPico += pico;
  cap.leastPico = Math.min(cap.leastPico, pico);
  if (pico > cap.capPico) cap.over++;
  if (!cap.largest || pico > cap.largest.pico) {
    const promptUsd = picoToUsd(worstCasePico(price, promptTokens, 0, batch));
    cap.largest = { pico, worstUsd: picoToUsd(pico), maxTokens, ...(predicted > 0 ? { predictionTokens: predicted } : {}), promptUsd, model };
  }
}

/**
 * What --max-cost lets through, when it stops the run short: requests whose worst case alone is
 * above the cap are never sent (none at all when the least is: the run stops at once, exit 3), and a
 * cap under all the worst cases together stops it once the spend reaches it. A dry run said nothing
 * of it, and exited 0.
 */
function capLines(cap: CapScan | undefined, maxTokensFlag: number | undefined): string[] {
  if (!cap?.largest) return [];
  const capText = `--max-cost ${capUsd(toUsd(cap.capPico))}`;
  if (cap.over > 0) {
    const which =
      cap.leastPico > cap.capPico
        ? `no request fits under it: the run would send nothing and stop at once (exit 3)`
        : `${count(cap.over)} ${cap.over === 1 ? 'request is' : 'requests are'} above it alone, never sent: the run would stop at the first (exit 3)`;
    const largest = cap.largest.model;
    return ['', `Warning: ${capText}: ${which}. The largest (${largest}): ${worstCaseAdvice(cap.largest, toUsd(cap.capPico), maxTokensFlag)}`];
  }
  if (cap.totalPico <= cap.capPico) return [];
  return [
    '',
    `Note: ${capText} is under the worst case of all the requests together (${exactUsd(toUsd(cap.totalPico), true)}): the run stops once its spend reaches the cap, and --resume with a higher one goes on (answers shorter than their limit cost less than that)`,
  ];
}

/** Tokens per model and, for models with a price (--price/--prices, else the table), the estimated cost. */
function estimateLines(byModel: ReadonlyMap<string, ModelTotals>, prices: PriceLookup, priceFactor = 1): string[] {
  // A request per (record, model, sample): more than the records under -m A,B or --repeat.
  const requests = [...byModel.values()].reduce((n, t) => n + t.requests, 0);
  const lines = ['', `Estimate for ${count(requests)} ${requests === 1 ? 'request' : 'requests'} (o200k tokenizer; the server's count may differ a little):`];
  let costTotal = 0;
  let priced = 0;
  // Which prices priced the estimate, as the summary says it (ui/summary.ts costOf).
  let byGiven = false;
  let byTable = false;
  for (const [model, t] of byModel) {
    // A prediction's tokens are counted as answer tokens besides max_tokens (or the assumed length).
    const predicted = t.predicted > 0 ? ` + ${count(t.predicted)} predicted, billed as answer tokens when unused` : '';
    const answers =
      t.assumed === t.requests
        ? `${count(t.answerTokens)} answer tokens (no max_tokens: assumed ${DEFAULT_ANSWER_TOKENS} per answer${predicted})`
        : t.assumed > 0
          ? `${count(t.answerTokens)} answer tokens (max_tokens, or ${DEFAULT_ANSWER_TOKENS} assumed for ${count(t.assumed)} without${predicted})`
          : `at most ${count(t.answerTokens)} answer tokens (max_tokens${predicted})`;
    lines.push(
      `  ${model}: ${count(t.requests)} ${t.requests === 1 ? 'request' : 'requests'} · ${count(t.promptTokens)} prompt tokens${mediaNote(t.media)} · ${answers}`,
    );
    const price = prices(model);
    if (price && pricedByGiven(prices, model)) byGiven = true;
    else if (price) byTable = true;
    if (price) {
      // The summary's and the budget's formula (no prompt token assumed cached).
      const promptCost = billedUsd(price, { prompt_tokens: t.promptTokens, completion_tokens: 0 }) * priceFactor;
      const answerCost = billedUsd(price, { prompt_tokens: 0, completion_tokens: t.answerTokens }) * priceFactor;
      costTotal += promptCost + answerCost;
      priced++;
      lines.push(
        `    est. cost ${usd(promptCost + answerCost)} (prompts ${usd(promptCost)} + answers ${usd(answerCost)}` +
          ` at $${perMillion(price.input * priceFactor)} / $${perMillion(price.output * priceFactor)} per 1M tokens in / out${priceFactor !== 1 ? ", the Batch API's half price" : ''})`,
      );
    } else {
      lines.push('    est. cost unknown: no price for this model (tokens only)');
    }
  }
  if (priced > 0) {
    lines.push(
      `  Estimated cost: ${usd(costTotal)}${priced < byModel.size ? ' for the priced models' : ''} (${byGiven ? (byTable ? `the given prices and list prices of ${PRICES_AS_OF}` : 'the given prices') : `list prices of ${PRICES_AS_OF}`}${priceFactor !== 1 ? ", at the Batch API's half price" : ''}; an estimate, not a bill)`,
    );
  }
  return lines;
}

/**
 * `--dry-run`: reads and checks the whole input (streaming, so any size), shows the first requests
 * exactly as they would be sent, and estimates tokens and cost. Sends nothing and needs no key.
 * The report goes to stdout; exit 0, or 2 when any record is bad or a --resume the run would refuse.
 */
export async function runDryRun(config: CliConfig, io: CliIo): Promise<number> {
  // A bad schema is the same usage error as in a real run, before the input is read.
  const structured = config.structured ? (await import('./structured-setup.js')).prepareStructured(config.structured, io.env) : undefined;
  // The run's prices (a bad --prices file is the same usage error as in a run, before the input is read).
  const prices = runPrices(config) ?? createPriceLookup({});
  // As the run: under --max-cost a model with no price is a usage error before anything is read.
  const budgetLookup = budgetPrices(config, config.models, prices);
  // Opened before the input, which the scan closes: a --cache-dir that cannot be used leaks nothing.
  const say = (line: string) => io.stderr.write(`llm-batch: ${line}\n`);
  const cache = await openCache(config, { error: say, info: say }, { readOnly: true });
  const input = await openInput(config, io).catch(async (err: unknown) => {
    await cache?.close().catch(() => {});
    throw err;
  });
  const batch = config.batchApi ? batchDryRun(config, structured?.structured) : undefined;
  let scan: DryRunScan;
  let waiting: ReturnType<typeof pendingCheck>;
  try {
    // As the run (see openRunInput): with -o FILE the whole input file (or stdin redirected from one) is
    // checked before anything is sent, so a bad byte past --limit's records refuses it with the same line.
    if (config.output.kind === 'file') await fingerprint(config);
    await checkStdinFile(config, io.stdin);
    // A resume the run would refuse is refused here too, before its count says what it would send.
    refuseOutputDry(config);
    await refuseOtherRunDry(config, input.format, structured);
    // A header that would start a formula under --csv-escape-formulas: refused as the run refuses it.
    if (config.data.csvEscapeFormulas && writesCsv(config)) withFieldColumns(config, await csvLayoutFor(config), structured);
    const answered = await answeredCheck(config);
    waiting = pendingCheck(config);
    const cached = cache && cachedCheck(config, cache.cache, batch, structured?.structured);
    scan = await scanInput(config, io, input, structured, batch, cached, answered, waiting?.pending, budgetLookup);
  } catch (err) {
    // Refused before the scan, which closes the input: a pipe left open would keep node from exiting.
    await input.close();
    throw err;
  } finally {
    await cache?.close().catch(() => {});
  }
  const { records, badCount, bad, first, byModel, tooLongCount, tooLong } = scan;
  const sendable = records - badCount;
  // What the run sends nothing for (--resume's, the cache's) is not to send: the headline counts what the run will send.
  const notSent = [
    scan.answeredRecords > 0 ? `${count(scan.answeredRecords)} already answered` : '',
    scan.waitingRecords > 0 ? `${count(scan.waitingRecords)} waiting in ${waiting?.batches === 1 ? 'a submitted batch' : 'submitted batches'}` : '',
    scan.cachedRecords > 0 ? `${count(scan.cachedRecords)} answered from the cache` : '',
  ].filter(Boolean);
  const toSendRecords = sendable - scan.answeredRecords - scan.waitingRecords - scan.cachedRecords;
  const lines: string[] = [];
  lines.push('Dry run: nothing was sent (no API key needed).', '');
  lines.push(`Input: ${input.source} (${input.format})`);
  lines.push(
    `  ${count(records)} ${records === 1 ? 'record' : 'records'}: ${[`${count(toSendRecords)} to send`, ...notSent, `${count(badCount)} bad`].join(', ')}`,
  );
  const others = scan.shardTally.others;
  const limit = config.data.limit;
  const limitReached = limit !== undefined && scan.records >= limit;
  if (config.shard && others > 0) {
    const shard = `--shard ${config.shard.index}/${config.shard.count}`;
    lines.push(
      // --limit stops the reading at its Nth record of this shard: only those read before are known.
      `  ${shard}: ${count(others)} more ${others === 1 ? 'record' : 'records'} of the input ${limitReached ? `read until --limit ${count(limit!)} was reached ` : ''}${others === 1 ? 'hashes to another shard' : 'hash to other shards'}`,
    );
  }
  if (scan.answered > 0 && config.output.kind === 'file') {
    const requests = scan.answered + scan.pending + scan.cached + [...byModel.values()].reduce((n, t) => n + t.requests, 0);
    lines.push(
      `  ${count(scan.answered)} of ${count(requests)} requests are answered in ${config.output.path} already (--resume sends them no more; left out below)`,
    );
  }
  if (scan.pending > 0 && waiting) {
    const requests = scan.answered + scan.pending + scan.cached + [...byModel.values()].reduce((n, t) => n + t.requests, 0);
    const batches = `${count(waiting.batches)} submitted ${waiting.batches === 1 ? 'batch' : 'batches'}`;
    lines.push(
      `  ${count(scan.pending)} of ${count(requests)} requests wait in ${batches} not collected yet (--resume collects them, sends them no more; left out below)`,
    );
  }
  if (scan.cached > 0) {
    const requests = scan.cached + [...byModel.values()].reduce((n, t) => n + t.requests, 0);
    lines.push(`  ${count(scan.cached)} of ${count(requests)} requests would come from the response cache (no request, no cost; left out below)`);
  }
  if (badCount > 0) {
    lines.push('', 'Bad records (a real run sends nothing for them and writes each as an "input" error row):');
    for (const message of bad) lines.push(`  ${message}`);
    if (badCount > bad.length) lines.push(`  … and ${count(badCount - bad.length)} more`);
  }
  if (structured) lines.push(...structuredLines(config, structured));
  lines.push(...requestLines(config, first, structured?.structured, batch));
  const toSend = byModel.size > 0;
  if (toSend) lines.push(...estimateLines(byModel, prices, batch ? BATCH_PRICE_FACTOR : 1), ...capLines(scan.cap, config.maxTokens));
  else if (scan.cached > 0)
    lines.push('', `Estimated cost: $0: all ${count(scan.cached)} ${scan.cached === 1 ? 'request' : 'requests'} would come from the response cache`);
  else if (scan.answered > 0 || scan.pending > 0) lines.push('', 'Estimated cost: $0: --resume has nothing left to send');
  if (batch && toSend) lines.push('', batch.summary());
  else if (batch && sendable > 0) {
    const why = [
      scan.answered > 0 ? 'answered in the output' : '',
      scan.pending > 0 ? 'waiting in a submitted batch' : '',
      scan.cached > 0 ? 'in the response cache' : '',
    ].filter(Boolean);
    lines.push('', `Batch API: nothing to upload (every request is ${why.join(', ')})`);
  }
  if (tooLongCount > 0) {
    lines.push(
      '',
      `Warning: ${count(tooLongCount)} ${tooLongCount === 1 ? 'prompt exceeds' : 'prompts exceed'} the model's context window (the server will refuse ${tooLongCount === 1 ? 'it' : 'them'} with HTTP 400):`,
    );
    lines.push(...tooLong);
    if (tooLongCount > tooLong.length) lines.push(`  … and ${count(tooLongCount - tooLong.length)} more`);
  }
  if (badCount > 0) {
    lines.push(
      '',
      `${count(badCount)} bad ${badCount === 1 ? 'record' : 'records'}: fix ${badCount === 1 ? 'it' : 'them'} first, or run anyway (they become error rows and the exit code is 1).`,
    );
  }
  // A report to read, as stderr's messages are: what a terminal would act on is shown as `�` (the requests escape it).
  io.stdout.write(`${sanitize(lines.join('\n'))}\n`);
  if (tooLongCount > 0)
    io.stderr.write(
      `llm-batch: warning: ${count(tooLongCount)} ${tooLongCount === 1 ? 'prompt exceeds' : 'prompts exceed'} the model's context window (listed in the report)\n`,
    );
  // No record at all is what a real run refuses with exit 5 (an empty input).
  // A shard that got none of a non-empty input's records is done, as in a real run.
  // Every exit but 0 says why in an `llm-batch:` line on stderr, as the README's exit codes have it:
  // `… --dry-run >/dev/null || fail` in CI logged no reason.
  if (badCount > 0)
    io.stderr.write(
      `llm-batch: ${count(badCount)} bad ${badCount === 1 ? 'record' : 'records'} (the first: ${sanitize(bad[0] ?? '')}); listed in the dry run's report\n`,
    );
  else if (records === 0 && others === 0) io.stderr.write(`llm-batch: ${noPromptsMessage(config)}\n`);
  return badCount > 0 ? ExitCode.usage : records === 0 && others === 0 ? ExitCode.noPrompts : ExitCode.ok;
}
