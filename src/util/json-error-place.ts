/**
 * Where JSON.parse stopped, as a line and column of `text` (V8 says "at position N"; Node 22 adds
 * "(line L column C)"), and its reason without the place. No place for "Unexpected end of JSON input".
 */
export function jsonErrorPlace(text: string, err: Error): { line?: number; column?: number; reason: string } {
  const m = /position (\d+)/.exec(err.message);
  if (!m) return { reason: err.message };
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return { line, column, reason: err.message.replace(/ in JSON at position \d+.*$/, '') };
}
