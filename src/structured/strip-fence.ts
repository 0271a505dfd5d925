/**
 * Models asked through a system message (no response_format) often wrap the object in a ```json
 * fence; the fence is not part of the answer.
 */
export function stripFence(text: string): string {
  const m = /^\s*```(?:json)?[ \t]*\r?\n([\s\S]*?)\r?\n?```\s*$/.exec(text);
  return m ? m[1]! : text;
}
