import { createRouter, definePlugin, PluginService, validateManifest, type PluginContext } from "@cosmo/core";
import { H3 } from "h3";
import { describe, expect, it } from "vitest";
import { mountPluginRoutes } from "../../src/http/plugin-routes";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const manifest = (name: string, prefix: string) =>
  validateManifest({ name, version: "1.0.0", plugin_class: ":default", requires_webhooks: true, webhook_prefix: prefix }, name);

/** An h3 app as the worker builds it: the plugins' routes on h3, core's router behind a catch-all. */
async function host() {
  const service = new PluginService({ logger: quiet });
  const router = createRouter(service);
  const app = new H3({ silent: true });
  app.get("/own", () => ({ own: true }));
  app.all("/**", (event) => router.fetch(event.req));
  const mounted = mountPluginRoutes(app, service, { fallback: router });
  const plugin = (name: string, prefix: string, setup: (ctx: PluginContext) => void) => service.register(definePlugin({ setup }), { manifest: manifest(name, prefix) });
  const call = (path: string, init?: RequestInit) => app.fetch(new Request(`http://127.0.0.1${path}`, init));
  return { service, app, mounted, plugin, call };
}

describe("mountPluginRoutes", () => {
  it("serves a plugin route from h3's own table: a synchronous handler's answer comes back without a promise", async () => {
    const { plugin, call } = await host();
    await plugin("zigbee", "/zigbee", (ctx) => ctx.route("GET", "/devices/:id", (_req, rc) => ({ id: rc.params.id })));
    const answer = call("/zigbee/devices/lamp");
    // Not through the catch-all: core's router always answers with a promise.
    expect(answer).not.toBeInstanceOf(Promise);
    expect(await (await answer).json()).toEqual({ id: "lamp" });
    expect(await (await call("/own")).json()).toEqual({ own: true });
  });

  it("sends an escaped path to core's router, which matches it in its one spelling", async () => {
    const { plugin, call } = await host();
    await plugin("zigbee", "/zigbee", (ctx) => {
      ctx.route("GET", "/ping", () => "pong");
      ctx.route("GET", "/devices/:id", (_req, rc) => ({ id: rc.params.id }));
    });
    const escaped = call("/zigbee/devices/lamp%201");
    expect(escaped).toBeInstanceOf(Promise);
    expect(await (await escaped).json()).toEqual({ id: "lamp 1" });
    // h3 decodes an escaped unreserved character before it matches, as core does.
    expect(await (await call("/zigbee/p%69ng")).json()).toBe("pong");
    // An escaped dot segment is one, in any spelling; an escaped "/" is not a separator.
    expect((await call("/zigbee/%2e%2e/zigbee/ping")).status).toBe(200);
    expect((await call("/zigbee/ping%2F")).status).toBe(404);
  });

  it("follows the service: routes of a plugin registered later are served, an unregistered plugin's are gone at once", async () => {
    const { service, plugin, call } = await host();
    await plugin("late", "/late", (ctx) => ctx.route("*", "/any", (req) => ({ method: req.method })));
    expect(await (await call("/late/any", { method: "PATCH" })).json()).toEqual({ method: "PATCH" });
    await service.unregister("late");
    const gone = await call("/late/any");
    expect(gone.status).toBe(404);
    expect((await gone.json()).error.code).toBe("COSMO_E_ROUTE_NOT_FOUND");
    // The same path again, from another plugin: the new route answers, not a stale one.
    await plugin("again", "/late", (ctx) => ctx.route("GET", "/any", () => "again"));
    expect(await (await call("/late/any")).json()).toBe("again");
  });

  it("answers HEAD through the GET route without a body, and a method no route takes with core's 404", async () => {
    const { plugin, call } = await host();
    await plugin("zigbee", "/zigbee", (ctx) => ctx.route("GET", "/ping", () => ({ pong: true })));
    const head = await call("/zigbee/ping", { method: "HEAD" });
    expect([head.status, await head.text()]).toEqual([200, ""]);
    const post = await call("/zigbee/ping", { method: "POST" });
    expect(post.status).toBe(404);
    expect((await post.json()).error.code).toBe("COSMO_E_ROUTE_NOT_FOUND");
  });

  it("stops following the service once closed (core's router still answers behind the catch-all)", async () => {
    const { service, mounted, plugin, call } = await host();
    mounted.close();
    await plugin("zigbee", "/zigbee", (ctx) => ctx.route("GET", "/ping", () => "pong"));
    const answer = call("/zigbee/ping");
    expect(answer).toBeInstanceOf(Promise);
    expect(await (await answer).json()).toBe("pong");
    expect(service.routes()).toHaveLength(1);
  });
});
