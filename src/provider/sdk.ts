import { createRequire } from 'node:module';
import type * as Sdk from 'openai';

/**
 * The openai SDK, loaded through its CommonJS build: Node 20's ESM loader takes ~20 ms longer than
 * `require` over the SDK's ~150 modules, and that load sits between start-up and the first request
 * (bench/README.md, "concurrency"). Every use of the SDK goes through this module: a second copy
 * (ESM beside CJS) would break `instanceof` on its error classes.
 */
const sdk = createRequire(import.meta.url)('openai') as typeof Sdk;

export const { OpenAI, APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAIError } = sdk;
export type OpenAI = Sdk.OpenAI;
export type APIError = Sdk.APIError;
