/** llm-batch as a library: the engine, the provider, the readers and writers the CLI is built from. */
export { runBatch, type BatchOutcome } from './engine/run-batch.js';
export type { BatchOptions } from './engine/batch-options.js';
export type { BatchEvent, StopReason } from './engine/events.js';
export { createStats, type BatchStats } from './engine/stats.js';
export type { ChatMessage, ErrorType, PromptRecord, RequestParams, ResultRow, RowError, Usage } from './types.js';
export { ExitCode, RunError, InputError, UsageError } from './errors.js';
export { createOpenAIComplete } from './provider/create-openai-complete.js';
export type { OpenAIProviderOptions } from './provider/openai-options.js';
export { createMockFetch } from './provider/mock-fetch.js';
export { AttemptError, type Complete, type CompletionRequest, type CompletionResult } from './provider/completion.js';
export { readRecords, detectFormat, type InputFormat, type InputOptions } from './input/index.js';
export { readResults, compactResults, loadResumeState, openFileWriter, streamWriter, type RowWriter } from './output/index.js';
export type { StructuredOutput } from './structured/types.js';
export { strictify, type JsonSchema } from './structured/strictify.js';
export type { AnswerCheck, CheckResult, Draft } from './structured/validate.js';
export { loadSchemaCheck } from './structured/load-check.js';
export { jsonSchemaFormat } from './structured/response-format.js';
