import { describe, expect, it } from "vitest";
import { answerMatchedRoute, definePlugin, PluginService, validateManifest, type MountedRoute, type PluginContext } from "../src/index";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const manifest = (name: string, prefix: string) =>
  validateManifest({ name, version: "1.0.0", plugin_class: ":default", requires_webhooks: true, webhook_prefix: prefix }, name);

/** The routes one plugin with prefix /zigbee mounted, by "METHOD path". */
async function mounted(setup: (ctx: PluginContext) => void): Promise<Map<string, MountedRoute>> {
  const service = new PluginService({ logger: quiet });
  await service.register(definePlugin({ setup }), { manifest: manifest("zigbee", "/zigbee") });
  return new Map(service.routes().map((r) => [`${r.method} ${r.path}`, r]));
}

const request = (path: string, init?: RequestInit) => new Request(`http://host.test${path}`, init);

// What a host that matched the route in its own router (as cosmo-runner does in h3) hands over.
describe("answerMatchedRoute", () => {
  it("answers a synchronous handler synchronously, with decoded params and the plugin's ctx", async () => {
    const routes = await mounted((ctx) => ctx.route("GET", "/devices/:id", (req, rc) => ({ id: rc.params.id, plugin: rc.name, q: rc.url.searchParams.get("q"), method: req.method })));
    const answer = answerMatchedRoute(routes.get("GET /zigbee/devices/:id")!, request("/zigbee/devices/lamp?q=on"), {
      path: "/zigbee/devices/lamp",
      params: { id: "lamp" },
    });
    expect(answer).toBeInstanceOf(Response);
    const res = answer as Response;
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ id: "lamp", plugin: "zigbee", q: "on", method: "GET" });
  });

  it("answers an asynchronous handler with a promise of its Response", async () => {
    const routes = await mounted((ctx) => ctx.route("GET", "/later", async () => [1, 2]));
    const answer = answerMatchedRoute(routes.get("GET /zigbee/later")!, request("/zigbee/later"), { path: "/zigbee/later" });
    expect(answer).toBeInstanceOf(Promise);
    expect(await (await answer!).json()).toEqual([1, 2]);
  });

  it("leaves to the router a path with escapes or dot segments, a method the route does not take, and a path outside the owner's prefix", async () => {
    const routes = await mounted((ctx) => {
      ctx.route("GET", "/ping", () => "pong");
      ctx.route("POST", "/ping", () => "posted");
    });
    const get = routes.get("GET /zigbee/ping")!;
    for (const path of ["/zigbee/p%69ng", "/zigbee/./ping", "/zigbee/x/../ping", "/zigbee/ping%2F"]) {
      expect(answerMatchedRoute(get, request(path), { path })).toBeUndefined();
    }
    expect(answerMatchedRoute(get, request("/zigbee/ping", { method: "PUT" }), { path: "/zigbee/ping" })).toBeUndefined();
    // A host whose matcher went wrong: the owner check still refuses what lies outside /zigbee.
    for (const path of ["/other/ping", "/zigbeeping", "/"]) {
      expect(answerMatchedRoute(get, request(path), { path })).toBeUndefined();
    }
    expect(await (answerMatchedRoute(routes.get("POST /zigbee/ping")!, request("/zigbee/ping", { method: "POST" }), { path: "/zigbee/ping" }) as Response).json()).toBe("posted");
  });

  it("answers HEAD through a GET route without the body, and a throwing handler with 500 COSMO_E_ROUTE_HANDLER_FAILED", async () => {
    const lines: string[] = [];
    const service = new PluginService({ logger: { ...quiet, error: (...args: unknown[]) => lines.push(args.map(String).join(" ")) } });
    await service.register(
      definePlugin({
        setup(ctx) {
          ctx.route("GET", "/ping", () => ({ pong: true }));
          ctx.route("GET", "/boom", () => {
            throw new Error("secret-detail");
          });
        },
      }),
      { manifest: manifest("zigbee", "/zigbee") },
    );
    const [ping, boom] = service.routes();
    const head = await answerMatchedRoute(ping!, request("/zigbee/ping", { method: "HEAD" }), { path: "/zigbee/ping" })!;
    expect([head.status, head.headers.get("content-type"), await head.text()]).toEqual([200, "application/json;charset=UTF-8", ""]);
    const failed = answerMatchedRoute(boom!, request("/zigbee/boom"), { path: "/zigbee/boom" }) as Response;
    const text = await failed.text();
    expect(failed.status).toBe(500);
    expect(JSON.parse(text)).toMatchObject({ error: { code: "COSMO_E_ROUTE_HANDLER_FAILED", details: { plugin: "zigbee", method: "GET", path: "/zigbee/boom" } } });
    expect(text).not.toContain("secret-detail");
    expect(lines.some((l) => l.includes("secret-detail"))).toBe(true);
  });
});
