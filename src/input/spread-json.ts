/**
 * Whether a line is the `{` that opens a JSON object printed over several lines (`jq .`, `jq '.items[]'`
 * without -c): read as JSONL, every line of it is a bad row; read as text, every line a paid prompt.
 */
export const opensSpreadObject = (line: string): boolean => line.trim() === '{';

/** What such an input is, and what to do about it. */
export const SPREAD_JSON =
  'this looks like JSON objects spread over several lines (as jq prints them without -c): JSONL needs one object a line (jq -c), and a JSON array is read from a .json file';
