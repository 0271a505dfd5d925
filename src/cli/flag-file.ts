import fs from 'node:fs';
import { UsageError } from '../errors.js';
import { readProblem } from './path-problem.js';
import { readBytesCapped } from '../util/read-capped.js';
import { decodeWhole } from '../input/decode-input.js';

/** The flags whose text may come from a file, with their short names for the hints. */
export type TextFlag = '--template' | '--system';
const SHORT: Record<TextFlag, string> = { '--template': '-t', '--system': '-s' };

/**
 * `-t @prompt.tmpl`, `-s @system.txt`: the named file's text (as curl's `-d @file`), a long prompt
 * being easier to keep in a file than in shell quotes; any other value is the text itself. A byte
 * order mark and the one line break an editor ends the file with are not part of the text; CRLF is LF.
 */
export function flagText(flag: TextFlag, value: string | undefined): string | undefined {
  if (value === undefined || !value.startsWith('@')) return value;
  const file = value.slice(1);
  if (file === '') throw new UsageError(`${flag} @ needs a file name after the @ (${SHORT[flag]} @prompt.txt)`);
  // A Windows editor's CRLF line ends are line breaks, as in the input's text lines: the same template
  // from either editor sends the same prompt (and finds the same cached answers).
  return flagFileText(`${flag} ${value}`, file).replace(/\r\n/g, '\n').replace(/\n$/, '');
}

/**
 * A flag's file (`-t @FILE`, `-s @FILE`, `--json-schema FILE`, `--prices FILE`) read whole, as an
 * input file's text is read: UTF-8, or UTF-16 by its byte order mark (which is not part of the text),
 * and no NUL. Latin-1 read as UTF-8 went out as `�` in every request. `label` begins each error.
 */
export function flagFileText(label: string, file: string): string {
  let bytes: Buffer;
  try {
    if (fs.statSync(file).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    bytes = readBytesCapped(file);
  } catch (err) {
    throw new UsageError(`${label}: ${readProblem(err)}`);
  }
  const decoded = decodeWhole(bytes);
  if ('problem' in decoded) throw new UsageError(`${label}: ${decoded.problem}`);
  return decoded.text;
}

/** `--template @p.tmpl` when the text came from a file, so a message names it; else the flag alone. */
export function flagLabel(flag: TextFlag, value: string | undefined): string {
  return value?.startsWith('@') ? `${flag} ${value}` : flag;
}

/**
 * A hint for a value that is the name of an existing file (`-t prompt.tmpl`), which would be sent as
 * the text itself: `: prompt.tmpl is a file; to use its text, pass -t @prompt.tmpl`. Empty otherwise.
 */
export function fileNameHint(flag: TextFlag, value: string): string {
  if (value.startsWith('@') || /[\r\n]/.test(value) || value.length > 4096) return '';
  try {
    const isFile = fs.statSync(value, { throwIfNoEntry: false })?.isFile() ?? false;
    return isFile ? `: ${value} is a file; to use its text, pass ${SHORT[flag]} @${value}` : '';
  } catch {
    return ''; // not a path that can be looked up (ENOTDIR, ENAMETOOLONG…): text, then
  }
}
