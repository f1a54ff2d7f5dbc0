/**
 * Everything one server process runs, short of listening: the store, the bundle's plugins and
 * the app over both. Shared by cluster workers (worker/main.ts) and the single-process mode.
 */
import { createError, errorMessage, type PluginLogger } from "@cosmo/core";
import { createOperationsContext } from "../operations/context";
import { followGenerations, type Follower } from "../operations/follow";
import { readBundleGeneration } from "../operations/generation";
import { reconcileSet } from "../operations/plugin-set";
import type { H3 } from "h3";
import { containmentOperations } from "../containment/operations";
import { readContainment } from "../containment/state";
import { createPluginStore } from "../store/create";
import type { PluginStore } from "../store/types";
import { createWorkerApp } from "./app";
import type { ReloadOptions, ReloadResult, WorkerConfig } from "./messages";
import { workerOperations } from "./operations";
import type { FaultPlugin } from "./fault";
import { countPlugins, loadBundle, type LoadedBundle } from "./plugins";

/** A built server: its app, its plugins, and how to release them. */
export interface WorkerServer {
  app: H3;
  loaded: LoadedBundle;
  store: PluginStore;
  counts(): ReturnType<typeof countPlugins>;
  /**
   * Reconciles the plugin set with the tracking file, then starts following the shared store's
   * generations (redis, supervised worker only): call once the supervisor routes this worker's
   * reload requests, i.e. after `ready`.
   */
  follow(): Promise<void>;
  /** Stops following: this worker is being replaced. */
  unfollow(): Promise<void>;
  /** Tears the plugins down (teardown of each, last first) and closes the store. Never throws. */
  dispose(): Promise<void>;
}

/** Options of `createWorkerServer`. */
export interface WorkerServerOptions {
  /** How this process asks for a reload; absent in the single-process mode. */
  requestReload?: (options: ReloadOptions) => Promise<ReloadResult>;
  /** True once another worker took over and this one drains. */
  retired?: () => boolean;
  logger: PluginLogger;
  /** Told every plugin discovered, before any is imported (containment's attribution). */
  onDiscovered?(plugins: FaultPlugin[]): void;
  /** Told the service as soon as it exists, before plugins load (containment marks plugins failed in it). */
  onService?(service: LoadedBundle["service"]): void;
}

/** Opens the store, loads the config's bundle and builds the app. Throws the coded error of a failed step. */
export async function createWorkerServer(config: WorkerConfig, options: WorkerServerOptions): Promise<WorkerServer> {
  const { logger } = options;
  const store = await createPluginStore(config.store, { dataDir: config.dataDir });
  let loaded: LoadedBundle;
  try {
    // Plugin data lives with the records, so a plugin's state survives restarts and reloads.
    // Disabled and quarantined plugins stay in the bundle but are not loaded.
    const containment = await readContainment(config.dataDir);
    loaded = await loadBundle(config.bundle, logger, {
      storage: store.pluginStorage(),
      containment,
      onDiscovered: options.onDiscovered,
      onService: options.onService,
    });
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  // The one place a process without a supervisor says so: apply, enable/disable with
  // `apply` and POST /plugins/reload all ask through this.
  const reload = async (reloadOptions: ReloadOptions = {}): Promise<ReloadResult> => {
    if (!options.requestReload) throw createError("COSMO_E_RELOAD_UNAVAILABLE", { reason: "the runner runs in one process (--no-cluster)" });
    return options.requestReload(reloadOptions);
  };
  const requestReload = options.requestReload;
  const ops = createOperationsContext({ dataDir: config.dataDir, store, sourcePolicy: config.sourcePolicy });
  const operations = workerOperations({
    operations: ops,
    dataDir: config.dataDir,
    store,
    service: loaded.service,
    counts: () => countPlugins(loaded),
    bundle: loaded.bundle,
    clean: config.clean,
    retired: options.retired,
    requestReload: reload,
  });
  const served = await readBundleGeneration(loaded.bundle);
  let follower: Follower | undefined;
  let unfollowed = false;
  const generation = () =>
    follower?.status() ?? { serving: served?.id ?? null, wanted: null, state: "current", ...(store.shared ? {} : { fleet: false }) };
  const { app, router } = createWorkerApp({
    generation,
    store,
    token: config.token,
    loaded,
    clean: config.clean,
    allowedHosts: config.allowedHosts,
    bodyLimit: config.bodyLimit,
    dataDir: config.dataDir,
    operations: {
      ...operations,
      ...containmentOperations({ dataDir: config.dataDir, loaded, requestReload: reload }),
      reload,
    },
    logger,
    fallback: config.fallback,
    guardReads: config.guardReads,
  });

  return {
    app,
    loaded,
    store,
    counts: () => countPlugins(loaded),
    async follow() {
      // The model and this data dir's tracking file agree from the start: a process killed
      // between the two writes, or a file edited by hand, is settled here (under the set lock,
      // so an install arriving meanwhile simply waits; not before `ready`, which it would delay).
      await reconcileSet(ops).catch((error: unknown) => logger.warn(`could not reconcile the plugin set: ${errorMessage(error)}`));
      if (!store.shared || !requestReload || follower || unfollowed || config.clean) return;
      follower = await followGenerations(ops, {
        serving: served,
        reload: () => requestReload({ rollbackOnFailure: true, reason: "generation", unlessServed: true }),
        log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
      });
    },
    async unfollow() {
      unfollowed = true;
      await follower?.stop();
    },
    dispose: async () => {
      unfollowed = true;
      await follower?.stop().catch(() => undefined);
      await loaded.service.shutdown().catch((error) => logger.error("plugin shutdown failed:", error));
      router.close();
      await store.close().catch(() => {});
    },
  };
}
