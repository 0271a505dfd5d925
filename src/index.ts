/** llm-batch as a library: the engine, the provider, the readers and writers the CLI is built from. */
export { runBatch, type BatchOutcome } from './run-batch.js';
export type { BatchOptions } from './options.js';
export type { BatchEvent, StopReason } from './events.js';
export { createStats, type BatchStats } from './stats.js';
export type { ChatMessage, ErrorType, PromptRecord, RequestParams, ResultRow, RowError, Usage } from './types.js';
export { ExitCode, RunError, InputError, UsageError } from './errors.js';
export { createOpenAIComplete, type OpenAIProviderOptions } from './provider/complete.js';
export { createMockFetch } from './provider/mock-fetch.js';
export { AttemptError, type Complete, type CompletionRequest, type CompletionResult } from './provider/types.js';
export { readRecords, detectFormat, type InputFormat, type InputOptions } from './input/index.js';
export { readResults, compactResults, loadResumeState, openFileWriter, streamWriter, type RowWriter } from './output/index.js';
