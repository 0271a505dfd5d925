import { VERSION } from 'openai/version';
import type { AgentPool } from './agent-pool.js';
import type { ChatTarget } from './chat-post.js';
import { unsendableAt } from './sendable-headers.js';
import { UsageError } from '../errors.js';
import { OPENAI_V1 } from './openai-url.js';
import type { OpenAIProviderOptions } from './openai-options.js';

/**
 * Where the lean path sends chat completions and the headers every request carries, worked out
 * as the SDK's client does (its URL joining, `Bearer` key, organization and project, its user
 * agent), without loading that client: ~40 ms of start-up on every run (issue 16). Not its
 * `x-stainless-*` telemetry headers, which no server needs.
 *
 * Throws a UsageError for a key, organization or project a header cannot carry (smart quotes, a
 * line break): every request would fail the same way, so the run stops before the first.
 */
export function chatTarget(
  baseURL: string | undefined,
  apiKey: string | undefined,
  pool: AgentPool,
  ids: Pick<OpenAIProviderOptions, 'organization' | 'project'> = {},
): ChatTarget {
  const base = baseURL ?? OPENAI_V1;
  const url = new URL(base + (base.endsWith('/') ? 'chat/completions' : '/chat/completions'));
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': `OpenAI/JS ${VERSION}` };
  const organization = ids.organization?.trim();
  const project = ids.project?.trim();
  if (organization) headers['openai-organization'] = sendable(organization, 'the organization');
  if (project) headers['openai-project'] = sendable(project, 'the project');
  headers.authorization = `Bearer ${apiKey === undefined ? 'no-key' : sendable(apiKey, 'the API key')}`;
  headers['content-type'] = 'application/json';
  return { url, headers, pool };
}

/** `value`, or a UsageError naming where it came from and the character, never the value. */
export function sendable(value: string, from: string): string {
  const at = unsendableAt(value);
  if (at < 0) return value;
  const code = value.codePointAt(at)!;
  const position = [...value.slice(0, at)].length + 1;
  throw new UsageError(
    `${from} has a character that cannot be sent in an HTTP header: U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${position} of ${[...value].length} (the value is not shown)`,
  );
}
