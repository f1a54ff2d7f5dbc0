/**
 * The worker's app: the runner's one app (createApp) over this worker's plugins, with what only
 * the worker knows in `/health` and `GET /plugins/installed`.
 */
import { createRouter, type CosmoRouter } from "@cosmo/core";
import type { H3 } from "h3";
import { FastResponse } from "srvx";
import { createApp } from "../app";
import { mountPluginRoutes } from "../http/plugin-routes";
import type { RunnerLogger } from "../http/errors";
import type { PluginOperations } from "../api/operations";
import type { PluginStore } from "../store/types";
import { countPlugins, installedPlugins, type LoadedBundle } from "./plugins";

/** Inputs of `createWorkerApp`. */
export interface WorkerAppOptions {
  store: PluginStore;
  token: string;
  loaded: LoadedBundle;
  clean: boolean;
  allowedHosts?: string[];
  bodyLimit?: number;
  /** The data dir (an uploaded offline bundle is kept there while it is imported). */
  dataDir?: string;
  /** The admin API's operations (see worker/operations.ts); `installed` is added here. */
  operations?: Partial<PluginOperations>;
  logger?: RunnerLogger;
  /** Why this server serves a fallback instead of the current bundle (shown in /health). */
  fallback?: string;
  /** What /health says about the plugin set's generation (served, wanted, why behind). */
  generation?: () => unknown;
  /** GET admin routes need the token too (a runner listening beyond loopback; see authGuard). */
  guardReads?: boolean;
}

/** The worker's app and the router it dispatches plugin requests to (close it on shutdown). */
export interface WorkerApp {
  app: H3;
  router: CosmoRouter;
}

/** Builds the worker's app over an already loaded bundle. */
export function createWorkerApp(options: WorkerAppOptions): WorkerApp {
  const { loaded } = options;
  // h3 writes srvx's FastResponse straight to the socket; a global Response it pipes through a
  // web stream (see RouterOptions.Response).
  const router = createRouter(loaded.service, { Response: FastResponse });
  const app = createApp({
    store: options.store,
    token: options.token,
    allowedHosts: options.allowedHosts,
    bodyLimit: options.bodyLimit,
    dataDir: options.dataDir,
    logger: options.logger,
    guardReads: options.guardReads,
    operations: { installed: async () => installedPlugins(loaded), ...options.operations },
    plugins: router,
    health: () => ({
      pid: process.pid,
      bundle: loaded.bundleId,
      clean: options.clean,
      plugins: countPlugins(loaded),
      ...(options.fallback ? { fallback: options.fallback } : {}),
      ...(options.generation ? { generation: options.generation() } : {}),
    }),
  });
  // Each route on h3 itself: one match per request, and a synchronous answer stays synchronous.
  const mounted = mountPluginRoutes(app, loaded.service, { fallback: router, Response: FastResponse });
  const close = () => {
    mounted.close();
    router.close();
  };
  return { app, router: { fetch: router.fetch, close } };
}
