/**
 * The web-standard dispatcher over every active plugin's routes. It follows the service's
 * `mount`/`unmount` events, so an unregistered plugin's routes stop answering at once, and it
 * speaks only Request/Response: h3, node:http (via @cosmo/core/node), Express or Fastify can
 * all mount it.
 */
import { addRoute, createRouter as createRou3, findRoute, removeRoute } from "rou3";
import { callAsPlugin } from "./attribution";
import { createError, errorMessage, type CosmoError } from "./errors";
import { servedPrefix } from "./manifest";
import type { PluginContext, RouteContext } from "./plugin";
import { canonicalPath, plainRequestPath, underPrefix } from "./route-path";
import type { PluginService } from "./service";
import type { MountedRoute } from "./service-types";

/** A dispatcher any server can mount: a fetch function over the plugins' routes. */
export interface CosmoRouter {
  /** Answers a request with the matching plugin route, or a coded JSON error. Never rejects. */
  fetch(request: Request): Promise<Response>;
  /** Stops following the service (the router then keeps the routes it had). */
  close(): void;
}

/** Options of {@link createRouter}. */
export interface RouterOptions {
  /**
   * The Response class the router builds its own answers with (a plugin's JSON value, 204,
   * errors); default the global one. A host whose server writes some Response class faster
   * passes it here: h3 on Node pipes a global Response's body through a web stream, while it
   * writes srvx's `FastResponse` straight out (about 13 µs a request). It must be a web-standard
   * Response; a plugin's own Response objects are passed through as they are.
   */
  Response?: typeof Response;
}

/** Serialises a coded error as the JSON body every Cosmo API answers with. */
export function errorResponse(error: CosmoError): Response {
  return Response.json(error.toJSON(), { status: error.status });
}

// `Response` from another realm (a plugin's own undici, say) fails instanceof: check its shape.
function isResponse(value: unknown): value is Response {
  if (value instanceof Response) return true;
  const r = value as Response | null;
  return typeof r === "object" && r !== null && typeof r.status === "number" && typeof r.headers?.get === "function" && "body" in r;
}

function toResponse(result: unknown, route: MountedRoute, Res: typeof Response): Response {
  if (isResponse(result)) return result;
  if (result === undefined) return new Res(null, { status: 204 });
  let body: string | undefined;
  try {
    body = JSON.stringify(result);
  } catch (error) {
    route.ctx.logger.error(`route ${route.method} ${route.path} returned a value JSON cannot encode:`, error);
    return errorResponse(createError("COSMO_E_ROUTE_RESPONSE_INVALID", { plugin: route.plugin, reason: errorMessage(error) }));
  }
  // JSON.stringify gives undefined for a bare function or symbol rather than throwing.
  if (body === undefined) {
    return errorResponse(createError("COSMO_E_ROUTE_RESPONSE_INVALID", { plugin: route.plugin, reason: `a ${typeof result}` }));
  }
  return new Res(body, { headers: { "content-type": "application/json;charset=UTF-8" } });
}

/**
 * True when reading the request body failed because the host's body limit cut it (a stream
 * limited by the server, e.g. h3's assertBodySize, errors with status 413 once a chunked body
 * grows past it). That is the client's doing, not the plugin's: it answers 413, not 500.
 * Body readers may wrap the stream's error, hence the walk down `cause`.
 */
function isBodyTooLarge(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === "object" && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { status?: unknown }).status === 413 || (e as { statusCode?: unknown }).statusCode === 413) return true;
  }
  return false;
}

function decodeParams(params: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params ?? {})) {
    try {
      out[key] = decodeURIComponent(value);
    } catch {
      out[key] = value; // malformed %-escape: hand the raw segment over rather than fail
    }
  }
  return out;
}

/**
 * A route's context for one request: the plugin's context, the matched params, the URL. A class
 * of fixed shape, frozen, is what V8 builds fastest (a spread of the plugin's context, or a
 * literal with a getter, cost several times more, measured). The URL is parsed on first use
 * (a getter: most routes never look, and the path was matched without it).
 */
class RequestContext implements RouteContext {
  readonly name: string;
  readonly manifest: PluginContext["manifest"];
  readonly logger: PluginContext["logger"];
  readonly config: PluginContext["config"];
  readonly storage: PluginContext["storage"];
  readonly signal: AbortSignal;
  readonly route: PluginContext["route"];
  readonly params: Record<string, string>;
  #url: URL | string;

  constructor(base: PluginContext, params: Record<string, string>, url: URL | string) {
    this.name = base.name;
    this.manifest = base.manifest;
    this.logger = base.logger;
    this.config = base.config;
    this.storage = base.storage;
    this.signal = base.signal;
    this.route = base.route;
    this.params = params;
    this.#url = url;
    Object.freeze(this);
  }

  /** The request URL, parsed (on first use). */
  get url(): URL {
    if (typeof this.#url === "string") this.#url = new URL(this.#url);
    return this.#url;
  }
}

// rou3 uses "" for a route that answers every method.
const rou3Method = (route: MountedRoute): string => (route.method === "*" ? "" : route.method);

/**
 * Creates the dispatcher for a service's plugins.
 * @example createServer(toNodeListener(createRouter(service).fetch)).listen(3000)
 */
export function createRouter(service: PluginService, options: RouterOptions = {}): CosmoRouter {
  const Res = options.Response ?? Response;
  const tree = createRou3<MountedRoute>();
  const mount = (routes: MountedRoute[]) => {
    for (const route of routes) addRoute(tree, rou3Method(route), route.path, route);
  };
  const unmount = (routes: MountedRoute[]) => {
    for (const route of routes) removeRoute(tree, rou3Method(route), route.path);
  };
  mount(service.routes());
  service.on("mount", mount).on("unmount", unmount);

  // Not an async function: a route that answers synchronously goes through without a promise
  // of its own (each costs async hooks' time once attribution is on); only its answer is one.
  function dispatch(request: Request): Promise<Response> {
    const href = request.url;
    // Matched in one spelling (see route-path.ts), whatever escapes the client used; a plain
    // URL (the usual one) is matched as it is, anything else goes through the URL parser.
    let url: URL | undefined;
    let path = plainRequestPath(href);
    if (path === undefined) {
      try {
        url = new URL(href);
      } catch {
        return Promise.resolve(errorResponse(createError("COSMO_E_REQUEST_INVALID", { reason: "the request URL is not valid" })));
      }
      path = canonicalPath(url.pathname);
    }
    // As the client spelled it (for messages): a plain path is its own spelling.
    const pathname = url?.pathname ?? path;
    const method = request.method.toUpperCase();
    let match = findRoute(tree, method, path);
    // HEAD is GET without a body: a plugin need not register both.
    const headAsGet = !match && method === "HEAD";
    if (headAsGet) match = findRoute(tree, "GET", path);
    // The owner check is the second lock: whatever a pattern turned into inside the matcher, a
    // plugin answers only under its own prefix.
    const prefix = match && servedPrefix(match.data.ctx.manifest);
    if (!match || prefix === undefined || !underPrefix(path, prefix)) {
      return Promise.resolve(errorResponse(createError("COSMO_E_ROUTE_NOT_FOUND", { method, path: pathname })));
    }
    const route = match.data;
    const routeCtx = new RequestContext(route.ctx, decodeParams(match.params), url ?? href);
    const failed = (error: unknown): Response => {
      if (isBodyTooLarge(error)) {
        return errorResponse(createError("COSMO_E_BODY_TOO_LARGE", { plugin: route.plugin, reason: errorMessage(error) }));
      }
      // The stack is for the host's log; the client only learns which plugin failed.
      route.ctx.logger.error(`route ${method} ${pathname} threw:`, error);
      return errorResponse(createError("COSMO_E_ROUTE_HANDLER_FAILED", { plugin: route.plugin, method, path: pathname }));
    };
    const answer = (result: unknown): Response | Promise<Response> => {
      const response = toResponse(result, route, Res);
      if (!headAsGet) return response;
      return Promise.resolve(response.body?.cancel()).then(
        () => new Res(null, { status: response.status, statusText: response.statusText, headers: response.headers }),
      );
    };
    try {
      const result = callAsPlugin(route.plugin, () => route.handler(request, routeCtx));
      if (result instanceof Promise) return result.then(answer).catch(failed);
      const response = answer(result);
      return response instanceof Promise ? response.catch(failed) : Promise.resolve(response);
    } catch (error) {
      return Promise.resolve(failed(error));
    }
  }

  return {
    fetch: dispatch,
    close: () => {
      service.off("mount", mount).off("unmount", unmount);
    },
  };
}
