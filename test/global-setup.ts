import type { TestProject } from 'vitest/node';
import { makeRunRoot, removeRunRoot, sweepStaleRunRoots } from './helpers/run-root.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's temp root (test/helpers/run-root.ts): read it with `runRoot()` of test/helpers/run-cli.ts. */
    runRoot: string;
  }
}

/**
 * Makes the run's temp root before the workers start and removes it, with the dirs recorded in it,
 * after they are done: what a killed worker or a skipped suite's `afterAll` leaves goes with it. A
 * run that cannot remove it fails, naming what is left. Every project inherits this file; the root
 * project's setup runs in every run and what it provides reaches all projects, so only it acts.
 */
export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  if (!project.isRootProject()) return undefined;
  sweepStaleRunRoots();
  const root = makeRunRoot();
  project.provide('runRoot', root);
  return () => {
    const left = removeRunRoot(root);
    if (left.length === 0) return;
    process.exitCode = 1;
    throw new Error(`the test run left temp dirs behind:\n${left.join('\n')}`);
  };
}
