/**
 * What the plugin operations (install, uninstall, bundle, sync, apply, report) work with, shared
 * by a server worker and the CLI: the data dir, the record store, the host, the user's npm config
 * and one conflict Checker per process (its packument cache makes a second check fast).
 */
import { createChecker, loadNpmConfig, type Checker, type NpmOptions } from "@cosmo/bundler";
import type { PluginStore } from "../store/types";
import { runnerPackageDir } from "./host";
import { bundlerSourcePolicy, sourcePolicyFromEnv, type RunnerSourcePolicy } from "./source-policy";

/** Inputs of `createOperationsContext`. */
export interface OperationsContextOptions {
  dataDir: string;
  store: PluginStore;
  /** The host package dir; default the cosmo-runner package (see host.ts). */
  hostDir?: string;
  /** npm's flat options; default the user's npm config (npm_config_*, .npmrc), read once. */
  npmOptions?: NpmOptions;
  /** Which kinds of source are accepted; default the environment's (COSMO_ALLOW_GIT, COSMO_ALLOW_REMOTE). */
  sourcePolicy?: RunnerSourcePolicy;
}

/** The shared state of the operations in one process. */
export interface OperationsContext {
  readonly dataDir: string;
  readonly store: PluginStore;
  readonly hostDir: string;
  /** Which kinds of source the check, bundle and follow accept. */
  readonly sourcePolicy: RunnerSourcePolicy;
  /** The user's npm config as npm's flat options (registry, scoped registries, auth, cache...). */
  npmOptions(): Promise<NpmOptions>;
  /** The process's one Checker, created on first use. */
  checker(): Promise<Checker>;
  /**
   * Runs `work` after every earlier call has settled. Install, uninstall and apply each read
   * the tracking file and then change it or act on it; two at once in one process would check
   * a plugin against a list that is about to change.
   */
  serial<T>(work: () => Promise<T>): Promise<T>;
}

/** Creates the operations' context for a data dir and store. */
export function createOperationsContext(options: OperationsContextOptions): OperationsContext {
  const hostDir = options.hostDir ?? runnerPackageDir();
  const sourcePolicy = options.sourcePolicy ?? sourcePolicyFromEnv();
  let npm: Promise<NpmOptions> | undefined = options.npmOptions ? Promise.resolve(options.npmOptions) : undefined;
  let checker: Promise<Checker> | undefined;
  let tail: Promise<unknown> = Promise.resolve();

  const npmOptions = () => (npm ??= loadNpmConfig());
  return {
    dataDir: options.dataDir,
    store: options.store,
    hostDir,
    sourcePolicy,
    npmOptions,
    checker: () =>
      (checker ??= npmOptions().then((npmOpts) =>
        createChecker({ host: hostDir, npmOptions: npmOpts, dataDir: options.dataDir, ...bundlerSourcePolicy(sourcePolicy) }),
      )),
    serial<T>(work: () => Promise<T>): Promise<T> {
      const run = tail.then(work, work);
      tail = run.catch(() => undefined);
      return run;
    },
  };
}
