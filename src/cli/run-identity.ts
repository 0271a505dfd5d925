import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { CliConfig } from './config.js';

/** Hash of the input file, so a resume can tell that the input changed. Stdin has none. */
export async function fingerprint(config: CliConfig): Promise<string | null> {
  if (config.input.kind !== 'file') return null;
  const stat = await fs.promises.stat(config.input.path);
  if (!stat.isFile()) return null;
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(config.input.path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** What identifies a run: a resume must match it (or be forced). Never holds the key. */
export function describeRun(config: CliConfig, inputFingerprint: string | null): Record<string, unknown> {
  return {
    version: 1,
    input: config.input.kind === 'file' ? config.input.path : '<stdin>',
    inputFingerprint,
    inputFormat: config.inputFormat,
    template: config.template ?? null,
    system: config.system ?? null,
    promptField: config.promptField ?? null,
    idField: config.idField ?? null,
    model: config.model,
    temperature: config.temperature ?? null,
    maxTokens: config.maxTokens ?? null,
    baseURL: config.provider.kind === 'mock' ? 'mock' : config.provider.baseURL ?? 'openai',
  };
}
