import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * The rule for tests that need a program from the operating system (redis-server, chromium):
 * on a developer's machine without it the suite skips with one loud line saying how to run it;
 * under COSMO_TEST_REQUIRE_BINARIES=1 (set by .ci/run, which installs them) a missing one fails
 * the run instead, so CI can never pass by skipping.
 */
export const requireBinaries = process.env.COSMO_TEST_REQUIRE_BINARIES === "1";

/** The absolute path of `name` on the PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export interface SystemBinary {
  /** False when the suite must skip (only ever outside COSMO_TEST_REQUIRE_BINARIES=1). */
  available: boolean;
  path: string | undefined;
}

/**
 * Looks `name` up once for a suite. `what` names the suite, `how` says how to get the binary
 * (or an alternative such as a URL variable). Call it at the top of a test file and pass
 * `!binary.available` to `describe.skipIf`.
 */
export function systemBinary(name: string, what: string, how: string, alternative = false): SystemBinary {
  const path = findOnPath(name);
  if (path || alternative) return { available: true, path };
  if (requireBinaries) {
    throw new Error(`${name} is not on the PATH, and COSMO_TEST_REQUIRE_BINARIES=1 says ${what} must run: ${how}`);
  }
  console.warn(`SKIPPED ${what}: ${name} is not on the PATH. To run them: ${how}`);
  return { available: false, path };
}
