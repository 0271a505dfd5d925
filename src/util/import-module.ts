/**
 * The ES module loader's import() in the CLI's script, where bin/ hands it in (src/cli/load-cli.ts):
 * esbuild compiles the script's import()s of packages into require()s (a script compiled by node:vm
 * has no import() of its own without an experimental option), and a package that is only an ES
 * module (the proxy agents) cannot be required before node 20.19 and 22.12. Elsewhere (the sources
 * under test), import() itself.
 */
declare const __llmBatchImport: ((specifier: string) => Promise<unknown>) | undefined;

export function importModule<T>(specifier: string): Promise<T> {
  return (typeof __llmBatchImport === 'function' ? __llmBatchImport(specifier) : import(specifier)) as Promise<T>;
}
