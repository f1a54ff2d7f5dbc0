/**
 * The one h3 app a worker serves: the admin API (createApp) under /health and /plugins, and
 * every plugin's routes elsewhere. The plugin side is a fetch function (core's router) behind a
 * catch-all route rather than routes copied in with `app.mount()`: h3 copies a mounted app's
 * routes at mount time, while the router follows the PluginService, so routes of plugins that
 * come and go are served as they are.
 */
import { createError, createRouter, type CosmoRouter } from "@cosmo/core";
import { H3 } from "h3";
import { FastResponse } from "srvx";
import { reloadBody } from "../api/schemas";
import { createApp, DEFAULT_BODY_LIMIT } from "../app";
import { readOptionalJson } from "../http/body";
import { errorResponse, jsonResponse, toCosmoError, type RunnerLogger } from "../http/errors";
import { authGuard, bodyLimitGuard, hostGuard } from "../http/guards";
import { getLogger } from "../logger";
import type { PluginOperations } from "../operations";
import type { PluginStore } from "../store/types";
import type { ReloadOptions, ReloadResult } from "./messages";
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
  /** RPC operations from the bundler integration; `installed` is added here. */
  operations?: Partial<PluginOperations>;
  /** Reload on the current bundle (POST /plugins/reload); absent = the endpoint answers 409. */
  requestReload?: (options: ReloadOptions) => Promise<ReloadResult>;
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
  const logger = options.logger ?? getLogger();
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const admin = createApp({
    store: options.store,
    token: options.token,
    allowedHosts: options.allowedHosts,
    bodyLimit,
    dataDir: options.dataDir,
    logger,
    guardReads: options.guardReads,
    operations: { installed: async () => installedPlugins(loaded), ...options.operations },
  });
  // h3 writes srvx's FastResponse straight to the socket; a global Response it pipes through a
  // web stream (see RouterOptions.Response).
  const router = createRouter(loaded.service, { Response: FastResponse });
  const app = new H3({
    silent: true,
    onError: (error, event) => errorResponse(toCosmoError(error, event, { bodyLimit, logger })),
  });

  // The admin app's own /health (guards, version, store) plus what only the worker knows.
  app.get("/health", async (event) => {
    const response = await admin.fetch(event.req);
    if (!response.ok) return response;
    const base = (await response.json()) as Record<string, unknown>;
    // The admin app kept the details back (guarded reads, no token): so does this.
    if (!("version" in base)) return base;
    return {
      ...base,
      pid: process.pid,
      bundle: loaded.bundleId,
      clean: options.clean,
      plugins: countPlugins(loaded),
      ...(options.fallback ? { fallback: options.fallback } : {}),
      ...(options.generation ? { generation: options.generation() } : {}),
    };
  });

  // Reload onto whatever `<dataDir>/bundle` points at now: what a `cosmo-runner sync` run in
  // another process needs to make the running runner serve its result. Same guards as the admin API.
  app.post(
    "/plugins/reload",
    async (event) => {
      if (!options.requestReload) throw createError("COSMO_E_RELOAD_UNAVAILABLE", { reason: "the runner runs in one process (--no-cluster)" });
      // The body is optional: a bare POST reloads without rollback.
      const body = await readOptionalJson(event, reloadBody, {});
      return jsonResponse(await options.requestReload({ ...body, reason: "POST /plugins/reload" }));
    },
    { middleware: [hostGuard(options.allowedHosts), authGuard(options.token, { guardReads: options.guardReads }), bodyLimitGuard(bodyLimit)] },
  );

  // Admin paths go to the admin app whole, request untouched, so its guards and errors apply.
  const toAdmin = (event: { req: Request }) => admin.fetch(event.req);
  app.all("/openapi.json", toAdmin);
  app.all("/plugins", toAdmin);
  app.all("/plugins/**", toAdmin);
  // The plugin manager page (http/page.ts): the admin app's too, so no plugin can answer there.
  app.all("/_cosmo", toAdmin);
  app.all("/_cosmo/**", toAdmin);

  // Everything else is a plugin's. The Host guard stands here too (a rebinding page must not
  // reach a plugin's webhooks either), and the body limit; the admin token does not: webhooks
  // are called by whatever the plugin talks to, which has no admin token.
  app.all("/**", (event) => router.fetch(event.req), { middleware: [hostGuard(options.allowedHosts), bodyLimitGuard(bodyLimit)] });
  return { app, router };
}
