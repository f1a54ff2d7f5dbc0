import { describe, expect, it } from "vitest";
import { createError, createRouter, currentPlugin, definePlugin, observePluginCalls, PluginService, validateManifest } from "../src/index";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const manifest = (name: string, prefix: string) =>
  validateManifest({ name, version: "1.0.0", plugin_class: ":default", requires_webhooks: true, webhook_prefix: prefix }, name);

describe("attribution", () => {
  it("names the plugin in its setup, its route handlers, and the timers and promises they start", async () => {
    const seen: Record<string, string | undefined> = {};
    const service = new PluginService({ logger: silent });
    const router = createRouter(service);
    let timerDone!: () => void;
    const timerFired = new Promise<void>((r) => (timerDone = r));
    await service.register(
      definePlugin({
        async setup(ctx) {
          seen.setup = currentPlugin();
          await Promise.resolve();
          seen.afterAwait = currentPlugin();
          setTimeout(() => {
            seen.timer = currentPlugin();
            timerDone();
          }, 1);
          ctx.route("GET", "/who", async () => {
            await new Promise((r) => setImmediate(r));
            return { who: currentPlugin() };
          });
        },
      }),
      { manifest: manifest("alpha", "/alpha") },
    );
    await timerFired;
    expect(seen).toEqual({ setup: "alpha", afterAwait: "alpha", timer: "alpha" });
    expect(await (await router.fetch(new Request("http://h.test/alpha/who"))).json()).toEqual({ who: "alpha" });
    expect(currentPlugin()).toBeUndefined();
  });

  it("tells observers when plugin code runs and how many calls are in flight", async () => {
    const events: string[] = [];
    const stop = observePluginCalls({
      enter: (p) => events.push(`enter ${p}`),
      leave: (p) => events.push(`leave ${p}`),
      begin: (p) => events.push(`begin ${p}`),
      end: (p) => events.push(`end ${p}`),
    });
    const service = new PluginService({ logger: silent });
    await service.register(definePlugin({ setup() {} }), { manifest: manifest("beta", "/beta") });
    stop();
    expect(events).toEqual(["begin beta", "enter beta", "leave beta", "end beta"]);
  });

  it("marks a plugin failed at once when the host attributes a fault to it, and stops serving it", async () => {
    const service = new PluginService({ logger: silent });
    const router = createRouter(service);
    await service.register(definePlugin({ setup: (ctx) => ctx.route("GET", "/x", () => "x") }), { manifest: manifest("gamma", "/gamma") });
    const info = service.markFailed("gamma", createError("COSMO_E_PLUGIN_CRASHED", { plugin: "gamma", fault: "left a promise rejection unhandled", reason: "boom" }));
    expect(info).toMatchObject({ status: "failed", error: { code: "COSMO_E_PLUGIN_CRASHED" } });
    expect((await router.fetch(new Request("http://h.test/gamma/x"))).status).toBe(404);
    expect(service.markFailed("nobody", createError("COSMO_E_INTERNAL"))).toBeUndefined();
  });
});
