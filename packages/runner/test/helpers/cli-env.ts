import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, inject } from "vitest";
import { registryEnv } from "@cosmo/test-kit";

/** What a spawned CLI needs in each test: its own data dir, and an environment for it. */
export interface CliEnv {
  readonly dataDir: string;
  readonly env: Record<string, string>;
}

/**
 * A fresh data dir and npm config per test, both removed after it. The spawned CLI reads the
 * user's npm config, so the config points at the test registry only.
 */
export function useCliEnv(prefix: string): CliEnv {
  let dataDir = "";
  let npmDir = "";
  let env: Record<string, string> = {};
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), prefix));
    const made = await registryEnv(inject("registryUrl"));
    env = made.env as Record<string, string>;
    npmDir = made.dir;
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await rm(npmDir, { recursive: true, force: true });
  });
  return {
    get dataDir() {
      return dataDir;
    },
    get env() {
      return env;
    },
  };
}
