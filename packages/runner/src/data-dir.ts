import { resolve } from "node:path";
import envPaths from "env-paths";

/** Inputs of `resolveDataDir`; each falls back to the next. */
export interface DataDirOptions {
  /** An explicit directory (the CLI's `--data-dir`). */
  dataDir?: string;
  /** Environment to read COSMO_DATA_DIR from (default process.env; tests pass their own). */
  env?: Record<string, string | undefined>;
}

/**
 * The runner's data dir, absolute: `--data-dir`, else COSMO_DATA_DIR, else the platform's user
 * data dir (`$XDG_DATA_HOME/cosmo`, `~/.local/share/cosmo` on Linux). Nothing is created here.
 */
export function resolveDataDir(options: DataDirOptions = {}): string {
  const env = options.env ?? process.env;
  const explicit = options.dataDir?.trim() || env.COSMO_DATA_DIR?.trim();
  if (explicit) return resolve(explicit);
  // suffix "" because env-paths appends "-nodejs" by default, which no user would look for.
  return envPaths("cosmo", { suffix: "" }).data;
}
