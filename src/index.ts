/** llm-batch as a library: the engine, the provider, the readers and writers the CLI is built from. */
import { readDecodedRecords } from './input/read-records.js';
import type { ByteSource, InputOptions } from './input/input-options.js';
import type { PromptRecord } from './types.js';

export { runBatch } from './engine/library-run-batch.js';
export type { LibraryOutcome as BatchOutcome } from './engine/library-run-batch.js';
export type { BatchOptions } from './engine/batch-options.js';
export type { BatchRecords, RecordInput } from './engine/batch-records.js';
export type { BatchEvent, StopReason } from './engine/events.js';
export { createStats, type BatchStats } from './engine/stats.js';
export type { ChatMessage, ErrorType, PromptRecord, RequestParams, ResultRow, RowError, ToolCall, Logprobs, Usage } from './types.js';
export { ExitCode, RunError, InputError, UsageError } from './errors.js';
export { createRedactor } from './redact.js';
export { createOpenAIComplete } from './provider/create-openai-complete.js';
export type { OpenAIProviderOptions } from './provider/openai-options.js';
export { proxyFromEnv, type ProxySettings } from './provider/proxy-env.js';
export { createMockFetch } from './provider/mock-fetch.js';
export {
  AttemptError,
  type UserComplete as Complete,
  type CompletionReply,
  type CompletionRequest,
  type CompletionResult,
} from './provider/completion.js';
export { detectFormat, type InputFormat, type InputOptions } from './input/index.js';
/** Prompt records from a source's bytes, decoded as the CLI decodes a file (see README "As a library"). */
export const readRecords: (input: ByteSource, options: InputOptions) => AsyncGenerator<PromptRecord> = readDecodedRecords as (
  input: ByteSource,
  options: InputOptions,
) => AsyncGenerator<PromptRecord>;
export type { ByteSource } from './input/input-options.js';
export { readResults, compactResults, loadResumeState, openFileWriter, streamWriter, type RowWriter } from './output/index.js';
export type { StructuredOutput } from './structured/types.js';
export { strictify, type JsonSchema } from './structured/strictify.js';
export type { AnswerCheck, CheckResult, Draft } from './structured/check-types.js';
export { loadSchemaCheck } from './structured/load-check.js';
export { jsonSchemaFormat } from './structured/response-format.js';
export { openResponseStore, type ResponseStore, type CachedAnswer, type CacheStats } from './cache/response-store.js';
export { createAnswerCache, type AnswerCache, type AnswerCacheOptions } from './engine/answer-cache.js';
export { cacheKey } from './cache/cache-key.js';
export { defaultCacheDir } from './cache/cache-dir.js';
export { createRunBudget, BUDGET_DEFAULT_MAX_TOKENS, type RunBudget, type Admission } from './budget/run-budget.js';
export { createPriceLookup, billedPico, worstCasePico, BATCH_DISCOUNT, type TokenPrice, type PriceLookup } from './budget/prices.js';
export { SpendCap, toPico, toUsd } from './budget/spend-cap.js';
export { answerKey } from './output/row-key.js';
export { expandRecords as expandMatrix } from './engine/record-matrix.js';
