/**
 * The web-standard dispatcher over every active plugin's routes. It follows the service's
 * `mount`/`unmount` events, so an unregistered plugin's routes stop answering at once, and it
 * speaks only Request/Response: h3, node:http (via @cosmo/core/node), Express or Fastify can
 * all mount it.
 */
import { addRoute, createRouter as createRou3, findRoute, removeRoute } from "rou3";
import { createError } from "./errors";
import { servedPrefix } from "./manifest";
import { answerRoute, errorResponse } from "./route-answer";
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
    const answer = answerRoute(match.data, request, { params: match.params, url: url ?? href, method, pathname, headAsGet, Response: Res });
    return answer instanceof Promise ? answer : Promise.resolve(answer);
  }

  return {
    fetch: dispatch,
    close: () => {
      service.off("mount", mount).off("unmount", unmount);
    },
  };
}
