/**
 * The user's npm config, read exactly as the npm CLI reads it: with @npmcli/config and npm's own
 * definitions, from (highest first) overrides, `npm_config_*` env, the project's .npmrc, the
 * user's .npmrc, the global npmrc and npm's builtin npmrc. The result is npm's flat options,
 * which Arborist and pacote take as they are: so a user's private registry, scoped registries,
 * tokens, cache, offline mode and CA settings apply to Cosmo with no extra setup.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import type { NpmOptions } from "./npm-options";

// @npmcli/config is CommonJS without types; its definitions module is not in its `exports` map
// as a typed entry either, so both come through require.
const require = createRequire(import.meta.url);

interface NpmcliConfig {
  load(): Promise<void>;
  set(key: string, value: unknown, where?: string): void;
  get(key: string, where?: string): unknown;
  readonly flat: Record<string, unknown>;
  readonly localPrefix: string;
}

type NpmcliConfigClass = new (options: Record<string, unknown>) => NpmcliConfig;

/** Options of {@link loadNpmConfig}. */
export interface LoadNpmConfigOptions {
  /** Where the project .npmrc is looked up from (npm walks up to the nearest package root). Default: `process.cwd()`. */
  cwd?: string;
  /** Environment read for `npm_config_*`, HOME and PREFIX. Not modified. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * Config set above everything else, as on npm's command line; keys are npm's config names
   * (`registry`, `prefer-offline`, `@acme:registry`, `//host/:_authToken`).
   * @example { registry: "http://127.0.0.1:4873/", "prefer-offline": true }
   */
  overrides?: Record<string, unknown>;
  /**
   * The npm installation whose builtin `npmrc` applies. Default: the npm beside the running
   * node (`<prefix>/lib/node_modules/npm`), which is the npm a user of this node would run.
   */
  npmPath?: string;
}

/** The npm installed beside the running node, where npm's builtin npmrc lives. */
function defaultNpmPath(env: NodeJS.ProcessEnv): string {
  const candidates = [
    // Set by npm itself when it runs a script: the npm that is actually in charge.
    env.npm_execpath ? dirname(dirname(env.npm_execpath)) : undefined,
    process.platform === "win32"
      ? join(dirname(process.execPath), "node_modules", "npm")
      : join(dirname(dirname(process.execPath)), "lib", "node_modules", "npm"),
  ];
  for (const candidate of candidates) {
    if (candidate && existsSync(join(candidate, "package.json"))) return candidate;
  }
  // No npm found: npm's layering still works, there is just no builtin npmrc to read.
  return candidates.at(-1) as string;
}

/**
 * Loads the user's npm config as npm does and returns its flat options for Arborist and pacote
 * (`registry`, `@scope:registry`, `//host/:_authToken`, `cache` as the `_cacache` dir,
 * `offline`, `preferOffline`, `preferOnline`, `strictSSL`, `ca`, …).
 * @example const npmOptions = await loadNpmConfig({ cwd: hostDir });
 */
export async function loadNpmConfig(options: LoadNpmConfigOptions = {}): Promise<NpmOptions> {
  const Config = require("@npmcli/config") as NpmcliConfigClass;
  const { definitions, flatten, nerfDarts, shorthands } = require("@npmcli/config/lib/definitions") as Record<string, unknown>;
  const env = options.env ?? process.env;
  const config = new Config({
    definitions,
    flatten,
    nerfDarts,
    shorthands,
    npmPath: options.npmPath ?? defaultNpmPath(env),
    // A copy: load() writes npm_config_* back into the env it is given (for npm's child
    // processes), and the caller's environment is not ours to change.
    env: { ...env },
    // Never the host process's own argv: `--registry` given to a server is not an npm flag.
    argv: [process.execPath, "cosmo"],
    cwd: options.cwd ?? process.cwd(),
    // Warnings (unknown keys in a user's .npmrc, …) are npm's business, not the host's log.
    warn: false,
  });
  await config.load();
  for (const [key, value] of Object.entries(options.overrides ?? {})) config.set(key, value, "cli");
  // A copy: `flat` is the config's cached object, and callers add their own keys (path, …).
  return { ...config.flat };
}
