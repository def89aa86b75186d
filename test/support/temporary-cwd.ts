import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Import this before anything that reads `process.cwd()` when loaded (the configuration's `.data/` paths):
 * the test file then runs in an empty temporary folder, and `restoreCwd()` (in `afterAll`) undoes it.
 */
const originalCwd = process.cwd();
export const temporaryCwd = mkdtempSync(join(tmpdir(), 'hydracore-test-'));
process.chdir(temporaryCwd);

export function restoreCwd(): void {
  process.chdir(originalCwd);
  rmSync(temporaryCwd, { recursive: true, force: true });
}
