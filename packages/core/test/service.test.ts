import { createStorage } from "unstorage";
import { describe, expect, it, vi } from "vitest";
import { createError, definePlugin, isCosmoError, PluginService, validateManifest, type PluginContext, type PluginInfo } from "../src/index";

// Collects what plugins log instead of printing it.
function quietLogger() {
  const lines: string[] = [];
  const push = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  return { lines, logger: { debug: push, info: push, warn: push, error: push } };
}

function manifest(name: string, prefix?: string) {
  return validateManifest(
    { name, version: "1.0.0", plugin_class: ":default", ...(prefix ? { requires_webhooks: true, webhook_prefix: prefix } : {}) },
    name,
  );
}

function newService(options: ConstructorParameters<typeof PluginService>[0] = {}) {
  const { lines, logger } = quietLogger();
  return { lines, service: new PluginService({ logger, ...options }) };
}

describe("PluginService", () => {
  it("sets a plugin up, marks it active, lists its routes and emits registered", async () => {
    const { service } = newService();
    const registered: PluginInfo[] = [];
    service.on("registered", (info) => registered.push(info));
    const plugin = definePlugin({ setup: (ctx: PluginContext) => ctx.route("get", "/devices/:id", () => ({})) });

    const info = await service.register(plugin, { manifest: manifest("zigbee", "/zigbee") });

    expect(info.status).toBe("active");
    expect(info.routes).toEqual([{ method: "GET", path: "/zigbee/devices/:id" }]);
    expect(service.get("zigbee")?.status).toBe("active");
    expect(service.list().map((p) => p.name)).toEqual(["zigbee"]);
    expect(registered.map((p) => p.name)).toEqual(["zigbee"]);
  });

  it("rejects a second plugin of the same name with COSMO_E_PLUGIN_ALREADY_REGISTERED and keeps the first", async () => {
    const { service } = newService();
    await service.register({ setup() {} }, { manifest: manifest("twin") });
    const error = await service.register({ setup() {} }, { manifest: manifest("twin") }).catch((e: unknown) => e);
    expect(isCosmoError(error) && error.code).toBe("COSMO_E_PLUGIN_ALREADY_REGISTERED");
    expect(service.get("twin")?.status).toBe("active");
  });

  it("records a plugin whose prefix overlaps an active plugin's as failed with COSMO_E_PREFIX_COLLISION", async () => {
    const { service } = newService();
    await service.register({ setup() {} }, { manifest: manifest("first", "/zigbee") });
    const setup = vi.fn();
    const info = await service.register({ setup }, { manifest: manifest("second", "/zigbee/lights") });
    expect(info.status).toBe("failed");
    expect(info.error?.code).toBe("COSMO_E_PREFIX_COLLISION");
    expect(setup).not.toHaveBeenCalled();
    expect(service.get("first")?.status).toBe("active");
  });

  it.each([
    ["throws", () => { throw new Error("boom"); }],
    ["rejects", async () => { throw new Error("boom"); }],
  ])("records a plugin whose setup %s as failed, drops its routes and emits failed", async (_, fail) => {
    const { service } = newService();
    const failed: PluginInfo[] = [];
    service.on("failed", (info) => failed.push(info));
    await service.register({ setup() {} }, { manifest: manifest("healthy") });
    const info = await service.register(
      { setup: (ctx: PluginContext) => { ctx.route("GET", "/ping", () => "pong"); return fail(); } },
      { manifest: manifest("broken", "/broken") },
    );
    expect(info).toMatchObject({ status: "failed", routes: [], error: { code: "COSMO_E_PLUGIN_SETUP_FAILED" } });
    expect(info.error?.message).toContain("boom");
    expect(service.routes()).toEqual([]);
    expect(failed.map((p) => p.name)).toEqual(["broken"]);
    expect(service.get("healthy")?.status).toBe("active");
  });

  it("fails a setup that outlives the configured setupTimeout and aborts its signal", async () => {
    const { service } = newService({ setupTimeout: 20 });
    let signal: AbortSignal | undefined;
    const info = await service.register(
      { setup: (ctx: PluginContext) => { signal = ctx.signal; return new Promise<void>(() => {}); } },
      { manifest: manifest("slow") },
    );
    expect(info.error).toMatchObject({ code: "COSMO_E_PLUGIN_SETUP_TIMEOUT", details: { timeout: 20 } });
    expect(signal?.aborted).toBe(true);
  });

  it("takes a per-plugin setupTimeout over the service's", async () => {
    const { service } = newService();
    const info = await service.register({ setup: () => new Promise<void>(() => {}) }, { manifest: manifest("slow"), setupTimeout: 10 });
    expect(info.error?.code).toBe("COSMO_E_PLUGIN_SETUP_TIMEOUT");
  });

  it.each([[42], [null], [{ notSetup: true }]])("records a registered value that is not a plugin (%j) as COSMO_E_PLUGIN_EXPORT_INVALID", async (value) => {
    const { service } = newService();
    const info = await service.register(value, { manifest: manifest("odd") });
    expect(info).toMatchObject({ status: "failed", error: { code: "COSMO_E_PLUGIN_EXPORT_INVALID" } });
  });

  it("keeps a coded error thrown by ctx.route during setup (COSMO_E_ROUTE_NO_WEBHOOKS)", async () => {
    const { service } = newService();
    const info = await service.register({ setup: (ctx: PluginContext) => ctx.route("GET", "/x", () => 1) }, { manifest: manifest("quiet") });
    expect(info.error?.code).toBe("COSMO_E_ROUTE_NO_WEBHOOKS");
  });

  it("tears plugins down in reverse registration order on shutdown", async () => {
    const { service } = newService();
    const order: string[] = [];
    for (const name of ["a", "b", "c"]) {
      await service.register({ setup() {}, teardown: async () => { order.push(name); } }, { manifest: manifest(name) });
    }
    await service.shutdown();
    expect(order).toEqual(["c", "b", "a"]);
    expect(service.list().map((p) => p.status)).toEqual(["unregistered", "unregistered", "unregistered"]);
  });

  it("on unregister aborts the signal, runs teardown and emits unregistered", async () => {
    const { service } = newService();
    const teardown = vi.fn();
    let signal: AbortSignal | undefined;
    const events: string[] = [];
    service.on("unregistered", (info) => events.push(`${info.name}:${info.status}`));
    await service.register({ setup: (ctx: PluginContext) => { signal = ctx.signal; }, teardown }, { manifest: manifest("p") });

    const info = await service.unregister("p");

    expect(info.status).toBe("unregistered");
    expect(teardown).toHaveBeenCalledOnce();
    expect(signal?.aborted).toBe(true);
    expect(events).toEqual(["p:unregistered"]);
  });

  it("logs and records a teardown that throws, without throwing it", async () => {
    const { service, lines } = newService();
    await service.register({ setup() {}, teardown() { throw new Error("teardown exploded"); } }, { manifest: manifest("messy") });
    const info = await service.unregister("messy");
    expect(info.status).toBe("unregistered");
    expect(info.teardownError?.code).toBe("COSMO_E_PLUGIN_TEARDOWN_FAILED");
    expect(lines.some((l) => l.includes("[messy]") && l.includes("teardown exploded"))).toBe(true);
  });

  it("rejects unregister of an unknown name with COSMO_E_PLUGIN_NOT_FOUND", async () => {
    const { service } = newService();
    await expect(service.unregister("nobody")).rejects.toMatchObject({ code: "COSMO_E_PLUGIN_NOT_FOUND" });
  });

  it("lets a failed plugin be registered again under its name", async () => {
    const { service } = newService();
    await service.register({ setup() { throw new Error("first try"); } }, { manifest: manifest("retry") });
    const info = await service.register({ setup() {} }, { manifest: manifest("retry") });
    expect(info.status).toBe("active");
  });

  it("gives each plugin a frozen copy of its own config, namespaced storage and a named logger", async () => {
    const storage = createStorage();
    const { service, lines } = newService({ storage });
    const hostConfig = { nested: { token: "t" } };
    let seen: PluginContext | undefined;
    await service.register(
      { setup: async (ctx: PluginContext) => { seen = ctx; await ctx.storage.setItem("k", "v"); ctx.logger.info("hello"); } },
      { manifest: manifest("cfg"), config: hostConfig },
    );
    expect(seen?.config).toEqual(hostConfig);
    expect(seen?.config).not.toBe(hostConfig);
    expect(Object.isFrozen(seen?.config) && Object.isFrozen(seen?.config.nested)).toBe(true);
    expect(Object.isFrozen(hostConfig)).toBe(false);
    expect(await storage.getItem("plugins:cfg:k")).toBe("v");
    expect(lines).toContain("[cfg] hello");
  });

  it("keeps one plugin out of another's storage even when names share a prefix up to ':' or '/'", async () => {
    const storage = createStorage();
    const { service } = newService({ storage });
    const ctxs: Record<string, PluginContext> = {};
    for (const name of ["a", "a:b", "a/b"]) {
      await service.register({ setup: (ctx: PluginContext) => void (ctxs[name] = ctx) }, { manifest: manifest(name) });
    }
    await ctxs["a:b"]!.storage.setItem("secret", "from a:b");
    await ctxs["a/b"]!.storage.setItem("secret", "from a/b");
    expect(await ctxs.a!.storage.getKeys()).toEqual([]);
    expect(await ctxs["a:b"]!.storage.getItem("secret")).toBe("from a:b");
    expect(await ctxs["a/b"]!.storage.getItem("secret")).toBe("from a/b");
  });

  it("never freezes the host's own nested objects, also when the config holds a function", async () => {
    const { service } = newService();
    const shared = { level: 1 };
    let seen: PluginContext | undefined;
    await service.register({ setup: (ctx: PluginContext) => void (seen = ctx) }, { manifest: manifest("fn"), config: { callback() {}, shared } });
    expect(Object.isFrozen(seen?.config)).toBe(true);
    expect(Object.isFrozen(shared)).toBe(false);
  });

  it("tears a plugin down once when unregister is called twice while it is still loading", async () => {
    const { service } = newService();
    let release!: () => void;
    const teardown = vi.fn(async () => new Promise<void>((r) => setTimeout(r, 20)));
    const unregistered = vi.fn();
    service.on("unregistered", unregistered);
    const registering = service.register(
      { setup: () => new Promise<void>((r) => (release = r)), teardown },
      { manifest: manifest("slow") },
    );
    await new Promise((r) => setTimeout(r, 0));
    const first = service.unregister("slow");
    const second = service.unregister("slow");
    release();
    await registering;
    await Promise.all([first, second]);
    expect(teardown).toHaveBeenCalledTimes(1);
    expect(unregistered).toHaveBeenCalledTimes(1);
  });

  it.each([
    ["FETCH", "/x", "COSMO_E_ROUTE_INVALID"],
    ["GET", "x", "COSMO_E_ROUTE_INVALID"],
    ["GET", "/a/*", "COSMO_E_ROUTE_INVALID"],
    ["GET", "/a//b", "COSMO_E_ROUTE_INVALID"],
  ])("refuses ctx.route(%s, %s) with %s", async (method, path, code) => {
    const { service } = newService();
    const info = await service.register(
      { setup: (ctx: PluginContext) => ctx.route(method as "GET", path, () => 1) },
      { manifest: manifest("routes", "/routes") },
    );
    expect(info.error?.code).toBe(code);
  });

  it("refuses the same method and path twice with COSMO_E_ROUTE_INVALID", async () => {
    const { service } = newService();
    const info = await service.register(
      { setup: (ctx: PluginContext) => { ctx.route("GET", "/x", () => 1); ctx.route("get", "/x/", () => 2); } },
      { manifest: manifest("dupe", "/dupe") },
    );
    expect(info.error?.code).toBe("COSMO_E_ROUTE_INVALID");
  });

  it("records loader failures with recordFailure, shown by get and list", () => {
    const { service } = newService();
    const info = service.recordFailure(manifest("ghost"), createError("COSMO_E_PLUGIN_MODULE_NOT_FOUND", { plugin: "ghost", module: "./x.js" }));
    expect(info.status).toBe("failed");
    expect(service.get("ghost")?.error?.code).toBe("COSMO_E_PLUGIN_MODULE_NOT_FOUND");
    expect(service.list()).toHaveLength(1);
  });
});

describe("ctx after teardown", () => {
  it("ignores and logs a route registered after the plugin was torn down, instead of throwing", async () => {
    const { service, lines } = newService();
    let ctx: PluginContext | undefined;
    await service.register({ setup: (c: PluginContext) => { ctx = c; } }, { manifest: manifest("late", "/late") });
    await service.unregister("late");
    expect(() => ctx?.route("GET", "/x", () => 1)).not.toThrow();
    expect(service.routes()).toEqual([]);
    expect(lines.some((l) => l.startsWith("[late] ignored route GET /x"))).toBe(true);
  });
});
