import { createError } from "@cosmo/core";
import { bodyLimit as limitBody, H3, type H3Event } from "h3";
// Named import: tsup inlines just the version, not the whole manifest.
import { version } from "../package.json";
import { createOpenApiDocument } from "./api/openapi";
import { errorResponse, toCosmoError, type RunnerLogger } from "./http/errors";
import { authGuard, hasToken, hostGuard } from "./http/guards";
import { registerPage } from "./http/page";
import { isPluginRoute } from "./http/plugin-routes";
import { getLogger } from "./logger";
import type { PluginOperations } from "./api/operations";
import { registerPluginRoutes } from "./routes/plugins";
import type { PluginStore } from "./store/types";

/** Default cap on request bodies: 1 MiB is far more than any admin request needs. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** Default cap on an offline bundle uploaded to `POST /plugins/import`: it holds every tarball of the set. */
export const DEFAULT_IMPORT_LIMIT = 512 * 1024 * 1024;

/** Options of `createApp`. */
export interface CreateAppOptions {
  store: PluginStore;
  /** The admin token that POST/PUT/PATCH/DELETE need as `Authorization: Bearer <token>`. */
  token: string;
  /** Host names answered besides localhost, 127.0.0.1 and [::1] (e.g. when bound to a LAN). */
  allowedHosts?: string[];
  /** Largest request body in bytes (default 1 MiB), plugin routes' bodies included. */
  bodyLimit?: number;
  /** Largest offline bundle `POST /plugins/import` takes, in bytes (default 512 MiB). */
  importLimit?: number;
  /** The data dir: an uploaded offline bundle is kept under it while it is imported. */
  dataDir?: string;
  /** The RPC work; each operation given adds its endpoint (see PluginOperations). */
  operations?: Partial<PluginOperations>;
  /** Where stacks of unexpected errors go (default: the process's logger). */
  logger?: RunnerLogger;
  /** GET routes need the token too (see authGuard); `/health` then shows only its status without it. */
  guardReads?: boolean;
  /**
   * The plugins' routes (core's router): every request outside the runner's own paths that no
   * route of the app matched goes to its `fetch`. The worker also registers the plugins' routes
   * on the app itself (see http/plugin-routes.ts), so most plugin requests never come here;
   * this catch-all keeps the rest (escaped paths, plugins that come later) served as core
   * matches them. Absent: the app is the admin API alone.
   */
  plugins?: { fetch(request: Request): Response | Promise<Response> };
  /** What `/health` adds after its own fields when it shows details (a server worker: pid, bundle, plugins...). */
  health?: () => Record<string, unknown>;
}

/** The paths the runner keeps for itself: no plugin answers there, whatever the method. */
function isRunnerPath(path: string): boolean {
  return path === "/openapi.json" || path === "/plugins" || path.startsWith("/plugins/") || path === "/_cosmo" || path.startsWith("/_cosmo/");
}

// The one route that is not the runner's: the plugins' catch-all.
const PLUGIN_ROUTE = "/**";

/** True when the runner answers this request itself (one of its routes, or a path in its space). */
function answeredByRunner(event: H3Event): boolean {
  const byPlugin = event.context.matchedRoute?.route === PLUGIN_ROUTE || isPluginRoute(event);
  return !byPlugin || isRunnerPath(event.url.pathname);
}

/**
 * The runner's one h3 app: the admin API, the manager page and, when given, every plugin's
 * routes. Every request passes the Host check (a DNS-rebinding page must not reach a plugin's
 * webhooks either) and the body limit; the runner's own routes also the token check (plugin
 * webhooks are called by whatever the plugin talks to, which has no admin token). Every error
 * of the runner leaves as `{ error: { code, message, details } }` with its COSMO_E_ code's status.
 * @example
 * const app = createApp({ store, token })
 * createServer(toNodeHandler(app)).listen(4000, "127.0.0.1")
 */
export function createApp(options: CreateAppOptions): H3 {
  if (!options.token) throw new TypeError("createApp: an admin token is required");
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const logger = options.logger ?? getLogger();
  const startedAt = Date.now();

  const importLimit = options.importLimit ?? DEFAULT_IMPORT_LIMIT;
  const isImport = (event: H3Event) => event.url.pathname === "/plugins/import";
  const limitOf = (event: H3Event) => (isImport(event) ? importLimit : bodyLimit);
  const toErrorResponse = (error: unknown, event: H3Event) => errorResponse(toCosmoError(error, event, { bodyLimit: limitOf(event), logger }));
  const app = new H3({
    // h3 would print unhandled errors itself; toCosmoError logs them once, with the route.
    silent: true,
    onError: toErrorResponse,
  });

  // In this order: a forged Host is refused before anything else, a missing token before a body is read.
  app.use(hostGuard(options.allowedHosts));
  app.use(authGuard(options.token, { guardReads: options.guardReads }), { match: answeredByRunner });
  // h3's own limit: a declared Content-Length over it is refused at once, a chunked body is cut
  // off while it is read; either 413 becomes COSMO_E_BODY_TOO_LARGE in toCosmoError. An offline
  // bundle uploaded to import holds every tarball of the set: it has a limit of its own.
  app.use(limitBody(bodyLimit), { match: (event) => !isImport(event) });
  app.use(limitBody(importLimit), { match: isImport });

  app.get("/health", (event) => {
    // Guarded reads: a probe without the token learns that the runner is up, nothing more.
    if (options.guardReads && !hasToken(event, options.token)) return { status: "ok" };
    return {
      status: "ok",
      version,
      uptime_ms: Date.now() - startedAt,
      store: options.store.description.split(":")[0],
      ...options.health?.(),
    };
  });

  app.get("/openapi.json", () => createOpenApiDocument());

  registerPage(app);
  registerPluginRoutes(app, { store: options.store, dataDir: options.dataDir, operations: options.operations, toErrorResponse });

  const plugins = options.plugins;
  if (plugins) {
    app.all(PLUGIN_ROUTE, (event) => {
      if (isRunnerPath(event.url.pathname)) {
        // rou3 matched this catch-all before h3 could fall back from HEAD to the path's GET
        // route: answer as that GET does (node sends no body for a HEAD).
        if (event.req.method === "HEAD") return app.fetch(new Request(event.req.url, { method: "GET", headers: event.req.headers }));
        // A method the runner's path does not take is the runner's 404, never a plugin's answer.
        throw createError("COSMO_E_API_ROUTE_NOT_FOUND", { method: event.req.method, path: event.url.pathname });
      }
      return plugins.fetch(event.req);
    });
  }
  return app;
}
