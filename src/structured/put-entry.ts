/**
 * `object[key] = value` that keeps every key as data: assigning to `__proto__` sets the object's
 * prototype instead, which lost a schema property (or an answer field) named `__proto__`.
 */
export function putEntry(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}
