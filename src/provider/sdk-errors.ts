/**
 * The openai SDK's error classes alone: the classifier and the lean chat path need them from the
 * first request, the SDK's client (sdk.ts, ~360 KB) only on the paths that use it. Both resolve to
 * the same module, so `instanceof` holds across them.
 */
export { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAIError } from 'openai/core/error';
