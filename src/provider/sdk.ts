/**
 * The one place the openai SDK's client is imported from; its error classes come from
 * sdk-errors.ts, which the chat-completions path loads without the client. The CLI runs from an
 * esbuild bundle (package.json `build`), where the SDK is compiled in rather than loaded module by
 * module (the cost is measured in bench/results/2026-11-24.md).
 */
export { OpenAI, toStreamingFile } from 'openai';
export { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAIError } from './sdk-errors.js';
