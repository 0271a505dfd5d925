/**
 * A fence around the whole answer: ```` ```json ```` (any case, or no tag) on its own line and the
 * closing ```` ``` ````, or one line (```` ```{"a":1}``` ````), optionally after one line of prose
 * ("Here is the JSON:"). A tag naming another language, prose after the fence, or more than one
 * line before it are left alone: the answer is then judged as it came.
 */
// Linear on any text: the prose line starts with no space, so it cannot trade characters with `^\s*`.
const FENCED = /^\s*(?:(?!```|[[{\s])[^\r\n]*\r?\n\s*)?```(?:json)?[ \t]*(?:\r?\n([\s\S]*?)\r?\n?|([[{][\s\S]*?))```\s*$/i;

/**
 * Models asked through a system message (no response_format) often wrap the object in a ```json
 * fence; the fence is not part of the answer. Each such answer left in its fence would be re-asked,
 * and paid for again.
 */
export function stripFence(text: string): string {
  const m = FENCED.exec(text);
  return m ? (m[1] ?? m[2]!.trimEnd()) : text;
}
