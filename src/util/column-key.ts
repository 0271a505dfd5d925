/**
 * A column name as SQL compares it: ASCII letters in lower case (sqlite3, PostgreSQL's unquoted
 * names, MySQL), so `ID` and `id` are one column. Other characters as they are, the length kept.
 */
export function columnKey(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** Whether two column names are one name to SQL (see {@link columnKey}). */
export const sameColumn = (a: string, b: string): boolean => a === b || columnKey(a) === columnKey(b);
