import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * No home to put the default cache under: HOME unset and the user not in the password database, as
 * a container run with an arbitrary uid (`--user 12345`) or a job under `env -i` has it; or a home
 * that is not there, as a service user's `/nonexistent` (Debian's convention for users with none).
 */
export class NoHomeError extends Error {
  constructor(why = 'HOME is not set and this user has no entry in the password database') {
    super(`no home directory for the default cache (${why})`);
  }
}

/** The home directory, which must be there: a run as root would otherwise make `/nonexistent/.cache/…`. */
function homeDir(): string {
  let home: string;
  try {
    home = os.homedir();
  } catch {
    throw new NoHomeError();
  }
  if (!fs.statSync(home, { throwIfNoEntry: false })?.isDirectory()) throw new NoHomeError(`the home directory ${home} does not exist`);
  return home;
}

/**
 * Where the cache lives unless `--cache-dir` or LLM_BATCH_CACHE_DIR says otherwise: XDG_CACHE_HOME
 * (or ~/.cache) on Linux and the BSDs, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows. The home
 * is looked up only when the path needs it; none to be found is a NoHomeError.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, home?: string): string {
  const at = () => home ?? homeDir();
  if (platform === 'darwin') return path.join(at(), 'Library', 'Caches', 'llm-batch');
  if (platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(at(), 'AppData', 'Local'), 'llm-batch', 'Cache');
  const xdg = env.XDG_CACHE_HOME?.trim();
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(at(), '.cache'), 'llm-batch');
}

/** `--cache-dir`, then LLM_BATCH_CACHE_DIR, then the platform's default. */
export function resolveCacheDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? (env.LLM_BATCH_CACHE_DIR?.trim() || defaultCacheDir(env));
}

/** How the user chose the cache directory, as its messages name it; undefined for the default. */
export type CacheDirSource = '--cache-dir' | 'LLM_BATCH_CACHE_DIR';

export function cacheDirSource(flag: string | undefined, env: NodeJS.ProcessEnv): CacheDirSource | undefined {
  return flag !== undefined ? '--cache-dir' : env.LLM_BATCH_CACHE_DIR?.trim() ? 'LLM_BATCH_CACHE_DIR' : undefined;
}

/**
 * Why a `--cache-dir` value is no directory at all, or undefined. An empty value (`--cache-dir "$DIR"`
 * with DIR unset) is refused before any look-up, which would only report Node's ENOENT on ''.
 */
export function cacheDirFlagProblem(flag: string | undefined, others = ''): string | undefined {
  if (flag === undefined || flag.trim() !== '') return undefined;
  return `--cache-dir needs a directory path (leave it out for the default cache${others})`;
}
