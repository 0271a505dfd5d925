import { ExitCode, UsageError } from '../errors.js';
import type { CliIo } from './io.js';

/**
 * Shorter keys are placeholders (`ollama`, `EMPTY`) that an argument may hold by chance (`-m
 * ollama/llama3`): only a key this long is looked for.
 */
const LOOKED_FOR = 16;

/**
 * A flag's file (`-t @FILE`, `-s @FILE`, `--json-schema FILE`) that holds the API key, refused as an
 * argument holding it is: `label` names the flag and file, `repeated` where llm-batch would repeat it.
 */
export function keyInFileError(text: string | undefined, env: NodeJS.ProcessEnv, label: string, repeated: string): UsageError | undefined {
  const key = env.OPENAI_API_KEY?.trim();
  if (!key || key.length < LOOKED_FOR || !text?.includes(key)) return undefined;
  return new UsageError(`${label} holds the API key (OPENAI_API_KEY's value): llm-batch would repeat ${repeated}; take the key out of the file`);
}

/** Where a --base-url may hold the key, as README documents (`https://gateway/sk-…/v1`): shown and stored as `[redacted]`. */
const BASE_URL = '--base-url';

/**
 * The API key typed where a flag's value goes (`--reasoning-effort "$OPENAI_API_KEY"`, `-m sk-…`), or
 * in an LLM_BATCH_* variable: a refusal, a resume command, the run's settings file and its summary
 * would repeat it. Refused before anything runs (exit 2), naming where it was, never the value.
 */
export function refuseKeyInArguments(argv: readonly string[], io: Pick<CliIo, 'env' | 'stderr'>): number | undefined {
  const key = io.env.OPENAI_API_KEY?.trim();
  if (!key || key.length < LOOKED_FOR) return undefined;
  const where = argumentWithKey(argv, key) ?? variableWithKey(io.env, key);
  if (where === undefined) return undefined;
  io.stderr.write(
    `llm-batch: ${where} holds the API key (OPENAI_API_KEY's value): the key goes in OPENAI_API_KEY alone, and llm-batch would repeat an argument in messages, resume commands and its files; nothing was run\n`,
  );
  return ExitCode.usage;
}

function argumentWithKey(argv: readonly string[], key: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === BASE_URL) {
      i++;
      continue;
    }
    if (!arg.includes(key) || arg.startsWith(`${BASE_URL}=`)) continue;
    // Which flag takes a value is commander's to know: the one before is named, not called its owner.
    const flag = /^(--?[^=\s]+)=/.exec(arg)?.[1];
    if (flag !== undefined) return `the value of ${flag}`;
    const before = i > 0 && /^--?[A-Za-z]/.test(argv[i - 1]!) ? ` (after ${argv[i - 1]})` : '';
    return `argument ${i + 1}${before}`;
  }
  return undefined;
}

function variableWithKey(env: NodeJS.ProcessEnv, key: string): string | undefined {
  for (const [name, value] of Object.entries(env)) if (name.startsWith('LLM_BATCH_') && value?.includes(key)) return name;
  return undefined;
}
