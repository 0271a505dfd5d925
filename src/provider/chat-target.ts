import { VERSION } from 'openai/version';
import type { AgentPool } from './agent-pool.js';
import type { ChatTarget } from './chat-post.js';

const OPENAI_V1 = 'https://api.openai.com/v1';

/**
 * Where the lean path sends chat completions and the headers every request carries, worked out
 * as the SDK's client does (its URL joining, `Bearer` key, `OPENAI_ORG_ID` / `OPENAI_PROJECT_ID`,
 * its user agent), without loading that client: ~40 ms of start-up on every run (issue 16).
 * Not its `x-stainless-*` telemetry headers, which no server needs.
 */
export function chatTarget(baseURL: string | undefined, apiKey: string | undefined, pool: AgentPool, env: NodeJS.ProcessEnv = process.env): ChatTarget {
  const base = baseURL ?? OPENAI_V1;
  const url = new URL(base + (base.endsWith('/') ? 'chat/completions' : '/chat/completions'));
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': `OpenAI/JS ${VERSION}` };
  const organization = env.OPENAI_ORG_ID?.trim();
  const project = env.OPENAI_PROJECT_ID?.trim();
  if (organization) headers['openai-organization'] = organization;
  if (project) headers['openai-project'] = project;
  headers.authorization = `Bearer ${apiKey ?? 'no-key'}`;
  headers['content-type'] = 'application/json';
  return { url, headers, pool };
}
