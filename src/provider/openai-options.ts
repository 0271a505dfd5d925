/** How to reach an OpenAI-compatible server; what `createOpenAIComplete` takes. */
export interface OpenAIProviderOptions {
  apiKey: string | undefined;
  /** @default OpenAI's own, https://api.openai.com/v1 (OPENAI_BASE_URL is not read: the CLI reads it) */
  baseURL?: string | undefined;
  /**
   * Sent as `OpenAI-Organization` and `OpenAI-Project` with every request. Not read from
   * OPENAI_ORG_ID / OPENAI_PROJECT_ID, which a host may hold for its own OpenAI calls: they would go
   * to any server. The CLI passes those variables.
   */
  organization?: string | undefined;
  project?: string | undefined;
  /** Replaces the network (the `--mock` provider, tests). */
  fetch?: typeof fetch;
  /** The proxy for a request URL, if any (from HTTPS_PROXY, HTTP_PROXY, NO_PROXY…). */
  proxyFor?: (url: string) => string | undefined;
  /**
   * Connections kept to an origin reached directly: the run's concurrency. More requests than
   * this wait their turn for a connection rather than open another.
   */
  connections?: number;
  /**
   * Scrubs secrets from error messages (servers echo keys in 401s) and from the trace.
   * @default `apiKey` and anything shaped like a key (`sk-…`) become `[redacted]`, as in the CLI
   */
  redact?: (text: string) => string;
  /** `-v` / `--trace`: receives every request and raw response, credentials redacted (whole lines). */
  trace?: (text: string) => void;
}
