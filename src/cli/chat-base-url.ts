import { tokenLimitField, type TokenLimitField } from '../provider/request-body.js';
import type { CliConfig } from './config.js';

/** Where --mock's requests go: an address nothing answers, its own fetch standing in for the server. */
export const MOCK_BASE_URL = 'http://mock.invalid/v1';

/** The base URL the run's requests go to: --mock's, --base-url, or undefined for OpenAI's own. */
export function chatBaseURL(config: Pick<CliConfig, 'provider'>): string | undefined {
  return config.provider.kind === 'mock' ? MOCK_BASE_URL : config.provider.baseURL;
}

/**
 * The body field the run sends the answer cap in (`max_tokens`, or `max_completion_tokens` for
 * OpenAI's own endpoints), and so the one the response cache keys answers by: one function for the
 * run, its dry run, live and --batch-api, or a dry run would look up another key than the run.
 */
export function runLimitField(config: Pick<CliConfig, 'provider'>): TokenLimitField {
  return tokenLimitField(chatBaseURL(config));
}
