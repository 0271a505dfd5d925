const BREAKS: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * An id as a line that names a row shows it (an answer's header, `-f text`'s `[id]`): its line
 * breaks and tabs as `\n`, `\r` and `\t`, as JSON writes them. The id is the input's, and a break
 * in it would split that line, its second half reading as a line of its own (a fake summary).
 */
export function oneLineId(id: string): string {
  return id.replace(/[\n\r\t]/g, (c) => BREAKS[c]!);
}
