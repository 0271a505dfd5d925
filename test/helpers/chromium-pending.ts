import fs from 'node:fs';

/**
 * While .ci/run installs chromium (apt-get, ~45 s on a fresh machine) it keeps the file
 * LLM_BATCH_CHROMIUM_PENDING names, and removes it when the install is done, failed or not. The
 * browser tests wait here before they launch it (test/helpers/browser.ts); the rest of the suite
 * runs meanwhile, where it used to wait in the global setup (~25 s of a fresh machine's CI with no
 * test running). A worker that waits here leaves the 2 cores to the other workers.
 */
export async function chromiumInstalled(pending = process.env['LLM_BATCH_CHROMIUM_PENDING'], everyMs = 200, exists = fs.existsSync): Promise<void> {
  while (pending && exists(pending)) await new Promise((resolve) => setTimeout(resolve, everyMs));
}
