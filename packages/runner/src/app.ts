import { H3, type H3Event } from "h3";
// Named import: tsup inlines just the version, not the whole manifest.
import { version } from "../package.json";
import { createOpenApiDocument } from "./api/openapi";
import { errorResponse, toCosmoError, type RunnerLogger } from "./http/errors";
import { authGuard, bodyLimitGuard, hasToken, hostGuard } from "./http/guards";
import { registerPage } from "./http/page";
import { getLogger } from "./logger";
import type { PluginOperations } from "./operations";
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
  /** Largest request body in bytes (default 1 MiB). */
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
}

/**
 * The runner's admin API as an h3 app. Every request passes the Host check, then (when it
 * mutates) the token check, then the body limit; every error leaves as
 * `{ error: { code, message, details } }` with its COSMO_E_ code's status.
 * @example
 * const app = createApp({ store, token })
 * createServer(toNodeHandler(app)).listen(4000, "127.0.0.1")
 */
export function createApp(options: CreateAppOptions): H3 {
  if (!options.token) throw new TypeError("createApp: an admin token is required");
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const logger = options.logger ?? getLogger();
  const startedAt = Date.now();

  const toErrorResponse = (error: unknown, event: H3Event) => errorResponse(toCosmoError(error, event, { bodyLimit, logger }));
  const app = new H3({
    // h3 would print unhandled errors itself; toCosmoError logs them once, with the route.
    silent: true,
    onError: toErrorResponse,
  });

  app.use(hostGuard(options.allowedHosts));
  app.use(authGuard(options.token, { guardReads: options.guardReads }));
  const importLimit = options.importLimit ?? DEFAULT_IMPORT_LIMIT;
  app.use(bodyLimitGuard((event) => (event.url.pathname === "/plugins/import" ? importLimit : bodyLimit)));

  app.get("/health", (event) => {
    // Guarded reads: a probe without the token learns that the runner is up, nothing more.
    if (options.guardReads && !hasToken(event, options.token)) return { status: "ok" };
    return healthDetails();
  });
  const healthDetails = () => ({
    status: "ok",
    version,
    uptime_ms: Date.now() - startedAt,
    store: options.store.description.split(":")[0],
  });

  app.get("/openapi.json", () => createOpenApiDocument());

  registerPage(app);
  registerPluginRoutes(app, { store: options.store, dataDir: options.dataDir, operations: options.operations, toErrorResponse });
  return app;
}
