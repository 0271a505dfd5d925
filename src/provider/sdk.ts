/**
 * The one place the openai SDK is imported from, so every module shares one copy of its error
 * classes (`instanceof` in the classifier). The CLI runs from an esbuild bundle (package.json
 * `build`), where the SDK is compiled in with the run path rather than loaded module by module
 * between start-up and the first request (the cost is measured in bench/results/2026-11-24.md).
 */
export { OpenAI, APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAIError, toStreamingFile } from 'openai';
