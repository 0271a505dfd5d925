import { type Command, CommanderError } from 'commander';
import { ExitCode } from '../errors.js';
import { createRedactor } from '../redact.js';
import type { CliIo } from './io.js';
import { maskedBaseUrl } from './masked-base-url.js';
import { refuseFlagsAsValues } from './flag-as-value.js';
import { fitHelp } from './help-style.js';

/**
 * Help and parse errors go to the CLI's own streams, help fitted to their width (fitHelp), and
 * commander never exits the process. A parse error repeats the argument it refused (`--base-url
 * 'sk-…@host'`): the key is redacted from it, a --base-url is masked as OPENAI_BASE_URL's refusal
 * masks it, and an unknown option named for a key or a header (`--api-key=…`, `--header=…`), or
 * whose value holds a credential (`Bearer …`, `gsk_…`), loses its value and says where the key goes.
 */
export function onIo(program: Command, io: CliIo): Command {
  const apiKey = io.env.OPENAI_API_KEY?.trim();
  const redact = createRedactor([apiKey]);
  const shown = (s: string) =>
    redact(withoutKeyOption(s).replace(BASE_URL_REFUSED, (_, before: string, url: string, after: string) => before + maskedBaseUrl(url, apiKey) + after));
  // A parse error is one line, as every other error (a second line a log's `grep llm-batch:` would
  // miss): `llm-batch: …`, with what commander adds after it on that line too (`(Did you mean
  // --seed?)`, where the key goes, the usage hint naming the help that has the command's flags).
  let pending = '';
  const flush = () => {
    if (pending) io.stderr.write(`${pending}\n`);
    pending = '';
  };
  const writeErr = (s: string) => {
    if (s.startsWith('error: ')) {
      flush();
      pending = `llm-batch: ${oneLine(shown(s).slice('error: '.length))}`;
    } else if (pending && USAGE_HINT.test(s)) {
      pending += ` ${oneLine(s)}`;
      flush();
    } else {
      flush();
      io.stderr.write(shown(s));
    }
  };
  flushes.set(program, flush);
  // A flag where a value goes (`--stop -o`) is refused, not taken as the value.
  return fitHelp(refuseFlagsAsValues(program))
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr, getOutHelpWidth: () => widthOf(io.stdout), getErrHelpWidth: () => widthOf(io.stderr) });
}

/** A terminal's columns, as commander takes its own stdout's; else (or a pty that says 0) commander's 80. */
function widthOf(stream: CliIo['stdout']): number {
  return (stream.isTTY && stream.columns) || 80;
}

/** The hint a command's parse error ends with (showHelpAfterError): `(run llm-batch … --help for usage)`. */
const USAGE_HINT = /^\(run llm-batch\b[^\n]*\)\n?$/;

const oneLine = (s: string): string => s.trim().replace(/\s*\n\s*/g, ' ');

const flushes = new WeakMap<Command, () => void>();

/** Ends a parse error's line that no usage hint ended (see onIo). */
export function flushErrorLine(program: Command): void {
  flushes.get(program)?.();
}

/** commander's refusal of a --base-url value (no http(s) URL): `option '--base-url <url>' argument 'VALUE' is invalid.` */
const BASE_URL_REFUSED = /(option '--base-url[^']*' argument ')(.*)(' is invalid\.)/s;

/**
 * commander's `error: unknown option '--name=VALUE'` (or `-kVALUE`), then maybe `(Did you mean …?)`:
 * the name, with its `=`, and the value, line breaks and quotes included.
 */
const UNKNOWN_OPTION = /^(error: unknown option ')(--[^=']*=?|-[^-'])([\s\S]*)'(?=(?:\n\(Did you mean [^\n]*\))?\n?$)/;

/**
 * An option a user might pass the key in: `--api-key`, `--openai-api-key`, `--apikey`, `--key`,
 * `--token`, `--auth-token`, `-k`…, or in a header, as curl takes one: `--header`, `--extra-header`,
 * `--headers`, `-H`, `--auth`, `--authorization`, `--cookie`.
 */
const KEY_OPTION = /^(?:--(?:[a-z\d]+[-_])*(?:api[-_]?key|key|token|secret|password|bearer|headers?|auth|authorization|cookie|credentials?)=?|-[kH])$/i;

/**
 * A value that holds a credential, whatever the option is called: a header that carries one
 * (`Authorization: …`, `api-key: …`, `x-api-key: …`), a `Bearer` token, or a provider's key
 * by its prefix (Groq's `gsk_`, Hugging Face's `hf_`, xAI's `xai-`, Google's `AIza`; `sk-…` too,
 * which the redactor would show as `[redacted]`). Words such as `hf_cache` or `basic settings` are not.
 */
const KEY_VALUE =
  /\b(?:(?:proxy-)?authorization|(?:x-)?api[-_]?key|cookie)\s*:|\bbearer\s+\S{8,}|\b(?:gsk_|hf_|xai-|(?:sk|rk|pk)-)[A-Za-z\d_-]{16,}|\bAIza[\w-]{16,}/i;

/**
 * There is no such option: the key is read from OPENAI_API_KEY only, since an argument shows in `ps`,
 * in shell history and in the resume commands llm-batch prints. Whatever it looks like (a hex key
 * has no `sk-` the redactor would know), the value is not repeated.
 */
const KEY_IN_ENV = '(the API key is read from the OPENAI_API_KEY environment variable only, not from a flag, which ps and shell history would show)\n';

/** The start of an option named for a key, not a header: `--api-key`, `--openai-api-key`, `--token`… */
const KEY_NAMED = String.raw`^--(?:[a-z\d]+[-_])*(?:api[-_]?key|key|token|secret|password|bearer|auth|authorization|credentials?)`;
/** An option named for a key with its value glued on by another character than `=` (`--key:…`, `--token,…`). */
const KEY_OPTION_GLUED = new RegExp(`${KEY_NAMED}[:,./](?=.)`, 'i');
/** An option named for a key, then any separator but `=` (which UNKNOWN_OPTION splits at). */
const KEY_NAME_THEN_SEPARATOR = new RegExp(String.raw`${KEY_NAMED}[^A-Za-z\d=]`, 'i');
/** A provider's key prefix: an option's own words may start so (`--xai-reasoning-effort`), a key has digits too. */
const KEY_PREFIX = /^(?:gsk_|hf_|xai-|(?:sk|rk|pk)-|AIza)/i;

/**
 * `--max-token`, `--max-reasoning-tokens=500`: a count of tokens, mistyped, is no key's option (it was
 * masked, with a word on the key); `--max-api-key` still is.
 */
const COUNT_OPTION =
  /^--(?:[a-z\d]+[-_])*(?:max|min|num|count|limit)(?:[-_](?!(?:auth|api|key|secret|password|bearer|access|refresh|session|id)\b)[a-z\d]+)*?[-_]tokens?(?=$|[=:,./])/i;

/**
 * Where a key glued to an unknown option's name without `=` begins (`--key:0123…`, `--token,hf_…`,
 * `--AIza…`), or undefined: the name is shown up to there.
 */
function keyInName(name: string): number | undefined {
  const glued = !COUNT_OPTION.test(name) && KEY_OPTION_GLUED.exec(name);
  const found = [glued ? glued[0].length : undefined, prefixedKeyAt(name), longRunAt(name), keyAfterNameAt(name)].filter((at) => at !== undefined);
  return found.length > 0 ? Math.min(...found) : undefined;
}

/** Where a key known by its provider's prefix begins in an option's name (`--AIza…`, `--foo:gsk_…`). */
function prefixedKeyAt(name: string): number | undefined {
  const key = KEY_VALUE.exec(name);
  if (!key || (KEY_PREFIX.test(key[0]) && !/\d/.test(key[0]))) return undefined;
  // Groq's, Hugging Face's and xAI's keys are letters and digits after the prefix: `--xai-grok-3-mini` is words.
  const prefixed = /^(?:gsk_|hf_|xai-)(.*)$/i.exec(key[0]);
  if (prefixed && !/^[A-Za-z\d]+$/.test(prefixed[1] as string)) return undefined;
  return key.index;
}

/**
 * Where 20 or more letters and digits run on with three digits among them, or one past 32 characters
 * (`--api-key-<hex>`, `--key@<hex>`, `--api-keysk-proj-<key>`): an option's words are shorter or
 * split by `-`, a key glued on by any character, or none, is such a run; a typo's words run together
 * end in a number or two (`--maxconcurrentrequests10`).
 */
function longRunAt(name: string): number | undefined {
  for (const run of name.matchAll(/[A-Za-z\d]{20,}/g)) if ((run[0].match(/\d/g)?.length ?? 0) >= (run[0].length >= 32 ? 1 : 3)) return run.index;
  return undefined;
}

/**
 * Where the value begins in an option named for a key and glued to it by any separator, when that
 * value looks like one (16 characters or more, a digit among them): `--api-key-<uuid>`,
 * `--token-AbC_dEf-…`. `--token-budget.json`, `--keys-file` are an option's own words.
 */
function keyAfterNameAt(name: string): number | undefined {
  const named = KEY_NAME_THEN_SEPARATOR.exec(name);
  if (!named || COUNT_OPTION.test(name)) return undefined;
  const rest = name.slice(named[0].length);
  return rest.length >= 16 && /\d/.test(rest) ? named[0].length : undefined;
}

/** An unknown option named for a key or a header, or with a credential in its value: its value as `***`, and a line on where the key goes. */
function withoutKeyOption(message: string): string {
  const unknown = UNKNOWN_OPTION.exec(message);
  if (!unknown) return message;
  const [whole, before, name, value] = unknown as unknown as [string, string, string, string];
  const inName = keyInName(name);
  const keyNamed = KEY_OPTION.test(name) && !COUNT_OPTION.test(name);
  if (!keyNamed && !KEY_VALUE.test(value) && inName === undefined) return message;
  const masked = inName !== undefined ? `${before}${name.slice(0, inName)}***'` : `${before}${name}${value === '' ? '' : '***'}'`;
  return `${masked}${message.slice(whole.length)}${message.endsWith('\n') ? '' : '\n'}${KEY_IN_ENV}`;
}

const SHOWN_HELP_OR_VERSION = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help']);

/**
 * Parses `argv`: undefined when the command goes on, else the exit code it ends with (0 after help
 * or --version, 2 after a parse error commander has already printed).
 */
export function parseArgv(program: Command, argv: readonly string[]): number | undefined {
  try {
    program.parse([...argv], { from: 'user' });
    return undefined;
  } catch (err) {
    flushErrorLine(program);
    // Help shown for a mistake (`llm-batch cache` without its command) is still a usage error.
    if (err instanceof CommanderError) return SHOWN_HELP_OR_VERSION.has(err.code) && err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    throw err;
  }
}
