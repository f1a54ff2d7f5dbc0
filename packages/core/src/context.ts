/**
 * Builds the `ctx` a plugin receives in `setup(ctx)`: its logger, config, storage, signal and a
 * `route()` that can only register under the plugin's own `webhook_prefix`.
 */
import { prefixStorage, type Storage } from "unstorage";
import { createError } from "./errors";
import { servedPrefix, type Manifest } from "./manifest";
import type { PluginContext, PluginLogger, RouteHandler, RouteMethod } from "./plugin";
import { canonicalSegment, hasEncodedSeparator, isDotSegment } from "./route-path";

/** Methods `ctx.route()` accepts, upper-cased; `"*"` answers every method. */
const METHODS = new Set<string>(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*"]);

// A literal segment keeps to unreserved URL characters (and %XX escapes), so none of rou3's
// pattern syntax (`*`, `(`, `{`, `?`, `+`) can slip in and widen a route beyond what it reads as.
const LITERAL_SEGMENT = /^(?:[A-Za-z0-9._~!$&',;=@-]|%[0-9A-Fa-f]{2})+$/;
const PARAM_SEGMENT = /^:[A-Za-z_][A-Za-z0-9_]*$/;

/** A route a plugin registered, with the full path it is served at. */
export interface PluginRoute {
  /** Upper-cased method, or `"*"` for every method. */
  method: RouteMethod;
  /** Path as the plugin wrote it, relative to its prefix (`"/"` = the prefix itself). */
  path: string;
  /** Full path on the host: `webhook_prefix` + `path`. */
  fullPath: string;
  handler: RouteHandler;
}

/** What `createPluginContext` needs from the host. */
export interface PluginContextOptions {
  manifest: Manifest;
  /** The host's config for this plugin only; copied and frozen. */
  config?: Record<string, unknown>;
  /** The host's logger; every line gets the plugin's name in front. Default: console. */
  logger?: PluginLogger;
  /** The host's storage; the plugin sees `plugins:<name>:` of it only. */
  storage: Storage;
  /** Called for every route the plugin registers, after it was checked. */
  onRoute(route: PluginRoute): void;
}

/** A built context plus the host-side handles on it. */
export interface PluginContextHandle {
  ctx: PluginContext;
  /** Aborts `ctx.signal` and stops `ctx.route()` from accepting more routes. */
  abort(reason?: unknown): void;
}

/** Wraps a base logger so every line starts with `[plugin-name]`. */
export function createPluginLogger(name: string, base: PluginLogger = console): PluginLogger {
  const tag = `[${name}]`;
  return {
    debug: (...args) => base.debug(tag, ...args),
    info: (...args) => base.info(tag, ...args),
    warn: (...args) => base.warn(tag, ...args),
    error: (...args) => base.error(tag, ...args),
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

// A copy, so the host's own object is neither frozen nor shared; structuredClone fails on
// functions (a host may pass a callback), so those configs get a shallow copy instead.
function freezeConfig(config: Record<string, unknown> = {}): Readonly<Record<string, unknown>> {
  let copy: Record<string, unknown>;
  try {
    copy = structuredClone(config);
  } catch {
    // Only the top-level copy is ours to freeze: nested objects are still the host's.
    return Object.freeze({ ...config });
  }
  return deepFreeze(copy);
}

/** Checks a route path relative to the prefix and returns it normalised (no trailing slash). */
export function normaliseRoutePath(path: string): { path?: string; reason?: string } {
  if (typeof path !== "string" || !path.startsWith("/")) return { reason: 'the path must start with "/"' };
  if (path === "/") return { path };
  const trimmed = path.endsWith("/") ? path.slice(0, -1) : path;
  const names = new Set<string>();
  for (const segment of trimmed.slice(1).split("/")) {
    if (segment === "" ) return { reason: "the path has an empty segment (//)" };
    // Any spelling: rou3 and URL parsers resolve `%2e%2e` as `..`, which would climb out of the prefix.
    if (isDotSegment(segment)) return { reason: `"${segment}" is a dot segment ("." or ".." in some spelling): paths stay under the prefix` };
    if (hasEncodedSeparator(segment)) return { reason: `the segment "${segment}" holds an encoded / or \\` };
    if (PARAM_SEGMENT.test(segment)) {
      if (names.has(segment)) return { reason: `the parameter ${segment} appears twice` };
      names.add(segment);
    } else if (!LITERAL_SEGMENT.test(segment)) {
      return { reason: `the segment "${segment}" is neither a literal (letters, digits, - . _ ~) nor a :param` };
    }
  }
  // Stored in the spelling requests are matched in (see route-path.ts).
  return { path: trimmed.split("/").map((s) => (PARAM_SEGMENT.test(s) ? s : canonicalSegment(s))).join("/") };
}

/** Builds a plugin's context; the host keeps the handle to abort it at teardown. */
export function createPluginContext(options: PluginContextOptions): PluginContextHandle {
  const { manifest } = options;
  const name = manifest.name;
  const controller = new AbortController();
  const seen = new Set<string>();
  const logger = createPluginLogger(name, options.logger);

  function route(method: string, path: string, handler: RouteHandler): void {
    const upper = typeof method === "string" ? method.toUpperCase() : "";
    const invalid = (reason: string) => createError("COSMO_E_ROUTE_INVALID", { plugin: name, method, path, reason });
    // After teardown (or a failed setup) a late call, from a timer say, has no caller to throw
    // to but the event loop, where it would crash the host: log it and ignore it.
    if (controller.signal.aborted) {
      logger.warn(`ignored route ${upper} ${String(path)}: the plugin is no longer running`);
      return;
    }
    const prefix = servedPrefix(manifest);
    if (prefix === undefined) throw createError("COSMO_E_ROUTE_NO_WEBHOOKS", { plugin: name, method, path });
    if (!METHODS.has(upper)) throw invalid(`the method must be one of ${[...METHODS].join(", ")}`);
    if (typeof handler !== "function") throw invalid("the handler is not a function");
    const checked = normaliseRoutePath(path);
    if (checked.path === undefined) throw invalid(checked.reason ?? "invalid path");
    const key = `${upper} ${checked.path}`;
    if (seen.has(key)) throw invalid("the plugin already registered this method and path");
    seen.add(key);
    const fullPath = checked.path === "/" ? prefix : prefix + checked.path;
    options.onRoute({ method: upper as RouteMethod, path: checked.path, fullPath, handler });
  }

  const ctx: PluginContext = Object.freeze({
    name,
    manifest,
    logger,
    config: freezeConfig(options.config),
    // unstorage reads ":" and "/" in a key as separators: escape the name, or a plugin named "a"
    // would see the keys of one named "a:b" (or "@acme" those of "@acme/zigbee").
    storage: prefixStorage(options.storage, `plugins:${encodeURIComponent(name)}`),
    signal: controller.signal,
    route,
  });
  return { ctx, abort: (reason) => controller.abort(reason) };
}
