/**
 * The plugins' routes as h3 routes of the runner's own app. Behind a catch-all, every plugin
 * request was matched twice (by h3, then by core's router) and answered through a promise; here
 * h3's one match finds the plugin's route and a handler that answers synchronously is answered
 * synchronously (`answerMatchedRoute`). Core's router stays behind the catch-all for everything
 * this does not take: a path with escapes or dot segments (core matches those in its one
 * spelling), a route whose pattern has escapes, a request core would not confirm.
 */
import { answerMatchedRoute, type MountedRoute, type PluginService } from "@cosmo/core";
import { removeRoute, type H3, type H3Event } from "h3";

/** The meta key marking an h3 route as a plugin's (its value: the plugin's name). */
export const PLUGIN_ROUTE_META = "cosmoPlugin";

/** True when h3 matched one of the plugins' routes (not one of the runner's). */
export function isPluginRoute(event: H3Event): boolean {
  return event.context.matchedRoute?.meta?.[PLUGIN_ROUTE_META] !== undefined;
}

// h3 registers "" for a route that answers every method.
const h3Method = (route: MountedRoute): string => (route.method === "*" ? "" : route.method);

/** Registers the service's routes on `app` as they come and go; `close()` stops following. */
export function mountPluginRoutes(
  app: H3,
  service: PluginService,
  options: {
    /** Core's router: what answers whatever a route here does not (see the file's comment). */
    fallback: { fetch(request: Request): Response | Promise<Response> };
    /** The Response class answers are built with (srvx's FastResponse: h3 writes it straight out). */
    Response?: typeof Response;
  },
): { close(): void } {
  const { fallback } = options;
  const answerOptions = { Response: options.Response };
  // The routes h3 holds now. Unmounting removes the h3 route at once; the flag is the second
  // lock (a stale handler defers to the router, which no longer has the route either).
  const live = new Map<MountedRoute, { live: boolean }>();

  const mount = (routes: MountedRoute[]) => {
    for (const route of routes) {
      // A pattern with escapes: h3 would decode it where core keeps it escaped (see route-path.ts).
      if (route.path.includes("%") || live.has(route)) continue;
      const state = { live: true };
      live.set(route, state);
      app.on(
        h3Method(route) as Parameters<H3["on"]>[0],
        route.path,
        (event: H3Event) =>
          (state.live ? answerMatchedRoute(route, event.req, { path: event.url.pathname, params: event.context.params }, answerOptions) : undefined) ??
          fallback.fetch(event.req),
        { meta: { [PLUGIN_ROUTE_META]: route.plugin } },
      );
    }
  };
  const unmount = (routes: MountedRoute[]) => {
    for (const route of routes) {
      const state = live.get(route);
      if (!state) continue;
      state.live = false;
      live.delete(route);
      removeRoute(app, h3Method(route) as Parameters<typeof removeRoute>[1], route.path);
    }
  };
  mount(service.routes());
  service.on("mount", mount).on("unmount", unmount);
  return {
    close: () => {
      service.off("mount", mount).off("unmount", unmount);
    },
  };
}
