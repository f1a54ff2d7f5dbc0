import { describe, expect, it } from "vitest";
import { createRouter, definePlugin, PluginService, validateManifest, type PluginContext } from "../src/index";

function quietLogger() {
  const lines: string[] = [];
  const push = (...args: unknown[]) => lines.push(args.map((a) => (a instanceof Error ? a.stack : String(a))).join(" "));
  return { lines, logger: { debug: push, info: push, warn: push, error: push } };
}

const manifest = (name: string, prefix: string) =>
  validateManifest({ name, version: "1.0.0", plugin_class: ":default", requires_webhooks: true, webhook_prefix: prefix }, name);

async function host(setup: (ctx: PluginContext) => void, prefix = "/zigbee") {
  const { lines, logger } = quietLogger();
  const service = new PluginService({ logger });
  const router = createRouter(service);
  await service.register(definePlugin({ setup }), { manifest: manifest("zigbee", prefix) });
  const call = (path: string, init?: RequestInit) => router.fetch(new Request(`http://host.test${path}`, init));
  return { service, router, call, lines };
}

describe("createRouter", () => {
  it("serves a plugin route under its prefix with decoded params and the plugin's ctx", async () => {
    const { call } = await host((ctx) =>
      ctx.route("GET", "/devices/:id", (_req, rc) => ({ id: rc.params.id, plugin: rc.name, q: rc.url.searchParams.get("q") })),
    );
    const res = await call("/zigbee/devices/lamp%201?q=on");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ id: "lamp 1", plugin: "zigbee", q: "on" });
  });

  it('serves "/" at the prefix itself and "*" for every method', async () => {
    const { call } = await host((ctx) => {
      ctx.route("GET", "/", () => ({ root: true }));
      ctx.route("*", "/any", (req) => ({ method: req.method }));
    });
    expect(await (await call("/zigbee")).json()).toEqual({ root: true });
    expect(await (await call("/zigbee/any", { method: "PATCH" })).json()).toEqual({ method: "PATCH" });
  });

  it("answers an unknown route with 404 and a COSMO_E_ROUTE_NOT_FOUND body", async () => {
    const { call } = await host((ctx) => ctx.route("GET", "/ping", () => "pong"));
    const res = await call("/nowhere");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "COSMO_E_ROUTE_NOT_FOUND", details: { method: "GET", path: "/nowhere" } } });
    expect((await call("/zigbee/ping", { method: "POST" })).status).toBe(404);
  });

  it("turns a throwing handler into 500 COSMO_E_ROUTE_HANDLER_FAILED; the stack goes to the plugin's log only", async () => {
    const { call, lines } = await host((ctx) => ctx.route("POST", "/boom", () => { throw new Error("secret-detail"); }));
    const res = await call("/zigbee/boom", { method: "POST" });
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toMatchObject({ error: { code: "COSMO_E_ROUTE_HANDLER_FAILED", details: { plugin: "zigbee" } } });
    expect(text).not.toContain("secret-detail");
    expect(text).not.toContain("at ");
    expect(lines.some((l) => l.startsWith("[zigbee]") && l.includes("secret-detail") && l.includes("router.test.ts"))).toBe(true);
  });

  it("answers 413 COSMO_E_BODY_TOO_LARGE, not a plugin failure, when the host's body limit cuts the body the plugin reads", async () => {
    const { call, lines } = await host((ctx) => ctx.route("POST", "/upload", async (req) => ({ size: (await req.text()).length })));
    // What a server's body limit does to a chunked body: the stream errors with status 413 mid-read.
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("x".repeat(1024)));
        controller.error(Object.assign(new Error("Request body size exceeds the limit of 1024 bytes"), { status: 413 }));
      },
    });
    const res = await call("/zigbee/upload", { method: "POST", body, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "COSMO_E_BODY_TOO_LARGE", details: { plugin: "zigbee" } } });
    expect(lines.some((l) => l.includes("threw"))).toBe(false);
  });

  it("passes a Response through, answers undefined with 204 and other values as JSON", async () => {
    const { call } = await host((ctx) => {
      ctx.route("GET", "/raw", () => new Response("hi", { status: 201, headers: { "x-plugin": "1" } }));
      ctx.route("DELETE", "/none", () => undefined);
      ctx.route("GET", "/async", async () => [1, 2]);
    });
    const raw = await call("/zigbee/raw");
    expect([raw.status, raw.headers.get("x-plugin"), await raw.text()]).toEqual([201, "1", "hi"]);
    expect((await call("/zigbee/none", { method: "DELETE" })).status).toBe(204);
    expect(await (await call("/zigbee/async")).json()).toEqual([1, 2]);
  });

  it("builds its own answers with the Response class the host gives, and passes a plugin's Response through", async () => {
    class HostResponse extends Response {}
    const own = new Response("mine", { status: 202 });
    const service = new PluginService({ logger: quietLogger().logger });
    const router = createRouter(service, { Response: HostResponse });
    await service.register(
      definePlugin({
        setup(ctx) {
          ctx.route("GET", "/json", () => ({ ok: true }));
          ctx.route("GET", "/empty", () => undefined);
          ctx.route("GET", "/own", () => own);
        },
      }),
      { manifest: manifest("zigbee", "/zigbee") },
    );
    const call = (path: string, init?: RequestInit) => router.fetch(new Request(`http://host.test${path}`, init));
    const json = await call("/zigbee/json");
    expect(json).toBeInstanceOf(HostResponse);
    expect(await json.json()).toEqual({ ok: true });
    expect(await call("/zigbee/empty")).toBeInstanceOf(HostResponse);
    expect((await call("/zigbee/json", { method: "HEAD" })).constructor).toBe(HostResponse);
    expect(await call("/zigbee/own")).toBe(own);
  });

  it("answers a value JSON cannot encode with 500 COSMO_E_ROUTE_RESPONSE_INVALID", async () => {
    const { call } = await host((ctx) => {
      ctx.route("GET", "/bigint", () => ({ n: 1n }));
      ctx.route("GET", "/fn", () => () => 1);
    });
    for (const path of ["/zigbee/bigint", "/zigbee/fn"]) {
      const res = await call(path);
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ error: { code: "COSMO_E_ROUTE_RESPONSE_INVALID" } });
    }
  });

  it("answers HEAD with the GET route's status and headers and no body", async () => {
    const { call } = await host((ctx) => ctx.route("GET", "/ping", () => ({ pong: true })));
    const res = await call("/zigbee/ping", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.text()).toBe("");
  });

  it("stops serving a plugin's routes the moment it is unregistered", async () => {
    let release: () => void = () => {};
    const { call, service } = await host((ctx) => ctx.route("GET", "/ping", () => "pong"));
    expect((await call("/zigbee/ping")).status).toBe(200);
    // Hold teardown open: the routes must already be gone while it runs.
    const plugin = definePlugin({ setup: (ctx: PluginContext) => ctx.route("GET", "/ping", () => "pong"), teardown: () => new Promise<void>((r) => { release = r; }) });
    await service.register(plugin, { manifest: manifest("slowstop", "/slowstop") });
    expect((await call("/slowstop/ping")).status).toBe(200);
    const stopping = service.unregister("slowstop");
    expect((await call("/slowstop/ping")).status).toBe(404);
    release();
    await stopping;
    await service.unregister("zigbee");
    expect((await call("/zigbee/ping")).status).toBe(404);
  });

  it("serves a route an active plugin adds after setup, and routes of plugins registered before the router existed", async () => {
    const service = new PluginService({ logger: quietLogger().logger });
    let late: PluginContext | undefined;
    await service.register(definePlugin({ setup: (ctx) => { late = ctx; ctx.route("GET", "/early", () => 1); } }), { manifest: manifest("late", "/late") });
    const router = createRouter(service);
    late?.route("GET", "/later", () => 2);
    expect(await (await router.fetch(new Request("http://h/late/early"))).json()).toBe(1);
    expect(await (await router.fetch(new Request("http://h/late/later"))).json()).toBe(2);
  });

  it("keeps serving the other plugins when one plugin's setup fails, and never mounts the failed one's routes", async () => {
    const { call, service } = await host((ctx) => ctx.route("GET", "/ping", () => "pong"));
    await service.register(
      definePlugin({ setup: (ctx) => { ctx.route("GET", "/ping", () => "pong"); throw new Error("nope"); } }),
      { manifest: manifest("broken", "/broken") },
    );
    expect((await call("/broken/ping")).status).toBe(404);
    expect((await call("/zigbee/ping")).status).toBe(200);
  });
});
