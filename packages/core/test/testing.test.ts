import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { definePlugin, type PluginContext } from "../src/index";
import { mountPlugin } from "../src/testing";
import { FIXTURES_DIR } from "./helpers/node-modules";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe("mountPlugin", () => {
  it("loads a plugin directory like production and answers a path relative to the host", async () => {
    const host = await mountPlugin(join(FIXTURES_DIR, "valid-esm"), { logger: quiet });
    try {
      expect(host.status).toBe("active");
      expect(host.info().source?.packageName).toBe("fixture-valid-esm");
      const res = await host.fetch("/valid-esm/hook", { method: "POST", body: JSON.stringify({ n: 1 }) });
      expect(await res.json()).toEqual({ plugin: "valid-esm", received: { n: 1 } });
    } finally {
      await host.close();
    }
  });

  it("mounts a plugin object with a manifest of just a name and a prefix, and hands it its config", async () => {
    const plugin = definePlugin({
      setup(ctx: PluginContext) {
        ctx.route("GET", "/greet/:who", (_req, rc) => ({ text: `${String(ctx.config.greeting)}, ${rc.params.who}` }));
      },
    });
    const host = await mountPlugin(plugin, { manifest: { name: "greeter", webhook_prefix: "/greeter" }, config: { greeting: "hi" }, logger: quiet });
    try {
      expect(await (await host.fetch("/greeter/greet/ada")).json()).toEqual({ text: "hi, ada" });
      expect((await host.fetch(new Request("http://any.host/greeter/nope"))).status).toBe(404);
    } finally {
      await host.close();
    }
  });

  it("reports a failing plugin through status and error instead of throwing", async () => {
    const host = await mountPlugin(join(FIXTURES_DIR, "setup-hangs"), { setupTimeout: 20, logger: quiet });
    expect(host.status).toBe("failed");
    expect(host.error?.code).toBe("COSMO_E_PLUGIN_SETUP_TIMEOUT");
    expect((await host.fetch("/setup-hangs/ping")).status).toBe(404);
    await host.close();
  });

  it("records a load failure of a directory (host range) like production", async () => {
    const host = await mountPlugin(join(FIXTURES_DIR, "host-range-mismatch"), { logger: quiet });
    expect(host.error?.code).toBe("COSMO_E_HOST_RANGE");
    await host.close();
  });

  it("throws the coded manifest error of a directory with a bad cosmo.json", async () => {
    await expect(mountPlugin(join(FIXTURES_DIR, "bad-prefix"), { logger: quiet })).rejects.toMatchObject({ code: "COSMO_E_MANIFEST_INVALID" });
  });

  it("requires a manifest name for a plugin object", async () => {
    await expect(mountPlugin({ setup() {} })).rejects.toThrow(/manifest/);
  });

  it("runs the plugin's teardown on close", async () => {
    const teardown = vi.fn();
    const host = await mountPlugin({ setup() {}, teardown }, { manifest: { name: "closer" }, logger: quiet });
    await host.close();
    expect(teardown).toHaveBeenCalledOnce();
    expect(host.status).toBe("unregistered");
  });
});
