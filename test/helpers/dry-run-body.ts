/**
 * The first request body a `--dry-run` prints (indented JSON, as it would be sent): from its first
 * line that opens an object to the first line that closes one.
 */
export function firstBodyShown(stdout: string): any {
  return JSON.parse(stdout.slice(stdout.indexOf('{\n'), stdout.indexOf('\n}\n') + 2));
}
