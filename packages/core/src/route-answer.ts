/**
 * How one matched plugin route answers a request: the call into the plugin (attributed), its
 * value turned into a Response, its failure into a coded error. Shared by core's router and by
 * hosts that put each plugin route into their own router (`answerMatchedRoute`), so both answer
 * alike.
 */
import { callAsPlugin } from "./attribution";
import { createError, errorMessage, type CosmoError } from "./errors";
import { servedPrefix } from "./manifest";
import type { PluginContext, RouteContext } from "./plugin";
import { isPlainPath, underPrefix } from "./route-path";
import type { MountedRoute } from "./service-types";

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

// One headers object for every JSON answer: srvx's FastResponse reads a plain object's entries
// without building a Headers, and nothing writes to it.
const JSON_HEADERS = Object.freeze({ "content-type": "application/json;charset=UTF-8" });

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
  return new Res(body, { headers: JSON_HEADERS });
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
  if (!params) return out;
  for (const key of Object.keys(params)) {
    const value = params[key] as string;
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
  #url: URL | string | Request;

  constructor(base: PluginContext, params: Record<string, string>, url: URL | string | Request) {
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
    const url = this.#url;
    if (url instanceof URL) return url;
    this.#url = new URL(typeof url === "string" ? url : url.url);
    return this.#url;
  }
}

/** What {@link answerRoute} needs besides the route and the request. */
export interface RouteCall {
  /** The params the matcher found, still escaped as in the URL. */
  params: Record<string, string> | undefined;
  /** The request URL: parsed already, or its href or the request (parsed if the handler asks). */
  url: URL | string | Request;
  /** The request's method, upper-cased, and its path as the client spelled it (for messages and the log). */
  method: string;
  pathname: string;
  /** A HEAD request served by a GET route: the answer goes without its body. */
  headAsGet: boolean;
  /** The Response class the answers are built with. */
  Response: typeof Response;
}

/** A handler's failure as the client sees it; the stack goes to the plugin's log. */
function failure(error: unknown, route: MountedRoute, call: RouteCall): Response {
  if (isBodyTooLarge(error)) {
    return errorResponse(createError("COSMO_E_BODY_TOO_LARGE", { plugin: route.plugin, reason: errorMessage(error) }));
  }
  // The stack is for the host's log; the client only learns which plugin failed.
  route.ctx.logger.error(`route ${call.method} ${call.pathname} threw:`, error);
  return errorResponse(createError("COSMO_E_ROUTE_HANDLER_FAILED", { plugin: route.plugin, method: call.method, path: call.pathname }));
}

/** What the handler gave, as the Response the client gets (a HEAD without its body). */
function answer(result: unknown, route: MountedRoute, call: RouteCall): Response | Promise<Response> {
  const Res = call.Response;
  const response = toResponse(result, route, Res);
  if (!call.headAsGet) return response;
  return Promise.resolve(response.body?.cancel()).then(
    () => new Res(null, { status: response.status, statusText: response.statusText, headers: response.headers }),
  );
}

/**
 * Calls a matched route's handler as its plugin and turns what it gives into a Response. Not an
 * async function, and no closure per request on the synchronous path: a handler that answers
 * synchronously is answered without a promise (each one costs the async hooks' time once
 * attribution is on); only an asynchronous answer is one.
 * Never throws, never rejects: a failure is the coded error's Response.
 */
export function answerRoute(route: MountedRoute, request: Request, call: RouteCall): Response | Promise<Response> {
  try {
    const routeCtx = new RequestContext(route.ctx, decodeParams(call.params), call.url);
    const result = callAsPlugin(route.plugin, () => route.handler(request, routeCtx));
    if (result instanceof Promise) {
      return result.then((value) => answer(value, route, call)).catch((error: unknown) => failure(error, route, call));
    }
    const response = answer(result, route, call);
    return response instanceof Promise ? response.catch((error: unknown) => failure(error, route, call)) : response;
  } catch (error) {
    return failure(error, route, call);
  }
}

/** What a host's own router matched: the path it matched on and the params it found there. */
export interface HostMatch {
  /**
   * The path the host's router matched: the request URL's pathname as a URL parser gives it
   * (dot segments resolved), e.g. h3's `event.url.pathname`.
   */
  path: string;
  /** The params it found, still escaped as in the URL. */
  params?: Record<string, string>;
}

/**
 * Answers a request that a host's own router matched to one plugin route: for a host that
 * registers each route of `service.routes()` in its router (following the `mount` and `unmount`
 * events) instead of mounting {@link createRouter}'s catch-all, and so saves that second match.
 *
 * Core keeps its checks: it answers only when the matched path is plain (no escapes, no dot
 * segments: the one spelling the router matches in, see route-path.ts), lies under the route's
 * owner's prefix, and the method is the route's. Otherwise it returns undefined: hand that
 * request to the router's `fetch`, which parses the URL and matches it again. A prefix is made
 * of unreserved characters only, so a host that decodes more escapes than core does (h3 decodes
 * `%21` into `!`) still cannot bring a request outside a prefix under it. Synchronous when the
 * plugin's handler is.
 * @example
 * app.get(route.path, (event) => answerMatchedRoute(route, event.req, { path: event.url.pathname, params: event.context.params }) ?? router.fetch(event.req))
 */
export function answerMatchedRoute(
  route: MountedRoute,
  request: Request,
  match: HostMatch,
  options: { Response?: typeof Response } = {},
): Response | Promise<Response> | undefined {
  const method = request.method.toUpperCase();
  const headAsGet = method === "HEAD" && route.method === "GET";
  if (route.method !== "*" && route.method !== method && !headAsGet) return undefined;
  const path = match.path;
  if (!isPlainPath(path)) return undefined;
  // The owner check: whatever the host's router made of the pattern, a plugin answers only
  // under its own prefix.
  const prefix = servedPrefix(route.ctx.manifest);
  if (prefix === undefined || !underPrefix(path, prefix)) return undefined;
  return answerRoute(route, request, { params: match.params, url: request, method, pathname: path, headAsGet, Response: options.Response ?? Response });
}
