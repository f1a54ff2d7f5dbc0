import { describe, expect, it } from "vitest";
import { createRouter, definePlugin, PluginService, validateManifest, type PluginContext } from "../src/index";
import { canonicalPath, canonicalSegment } from "../src/route-path";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const manifest = (name: string, prefix: string) =>
  validateManifest({ name, version: "1.0.0", plugin_class: ":default", requires_webhooks: true, webhook_prefix: prefix }, name);

async function register(service: PluginService, name: string, prefix: string, setup: (ctx: PluginContext) => void) {
  return service.register(definePlugin({ setup }), { manifest: manifest(name, prefix) });
}

// Regression: a plugin with prefix /a registered "/%2e%2e/b/x" and answered GET /b/x (rou3
// normalised the pattern), in the runner and in any host embedding createRouter.
describe("prefix confinement", () => {
  const dotSpellings = ["..", ".", "%2e%2e", "%2E%2E", ".%2e", "%2E.", "%2e", "..%2f", "%2e%2e%2f", "%5c.."];

  it.each(dotSpellings)("refuses a route pattern with the segment %s at ctx.route with COSMO_E_ROUTE_INVALID", async (segment) => {
    const service = new PluginService({ logger: silent });
    const info = await register(service, "a", "/a", (ctx) => ctx.route("GET", `/${segment}/b/x`, () => "hijacked"));
    expect(info.status).toBe("failed");
    expect(info.error).toMatchObject({ code: "COSMO_E_ROUTE_INVALID", details: { plugin: "a", path: `/${segment}/b/x` } });
  });

  it("never answers a path outside the plugin's prefix, whatever the request's spelling", async () => {
    const service = new PluginService({ logger: silent });
    const router = createRouter(service);
    await register(service, "a", "/a", (ctx) => {
      ctx.route("GET", "/x", () => "a-x");
      // A pattern that fails stops setup: try it last, after a good one.
      try {
        ctx.route("GET", "/%2e%2e/b/x", () => "hijacked");
      } catch {
        // refused, as asserted above
      }
    });
    await register(service, "b", "/b", (ctx) => ctx.route("GET", "/x", () => "b-x"));
    const text = async (path: string) => (await router.fetch(new Request(`http://h.test${path}`))).json();
    expect(await text("/b/x")).toBe("b-x");
    expect(await text("/a/%2e%2e/b/x")).toBe("b-x");
    expect(await text("/a/x")).toBe("a-x");
    expect(await text("/a/%78")).toBe("a-x");
    expect(await text("/%61/x")).toBe("a-x");
    expect(await text("/a/..%2fb/x")).toMatchObject({ error: { code: "COSMO_E_ROUTE_NOT_FOUND" } });
  });

  it("matches a pattern written with escapes of unreserved characters in its plain spelling", async () => {
    const service = new PluginService({ logger: silent });
    const router = createRouter(service);
    await register(service, "a", "/a", (ctx) => ctx.route("GET", "/%7Euser", () => "tilde"));
    expect(await (await router.fetch(new Request("http://h.test/a/~user"))).json()).toBe("tilde");
  });

  it("keeps escaped separators escaped and resolves dot segments in canonical paths", () => {
    expect(canonicalSegment("%61%2f%7e")).toBe("a%2F~");
    expect(canonicalPath("/a/%2E%2e/b")).toBe("/b");
    expect(canonicalPath("/../../x")).toBe("/x");
    expect(canonicalPath("/a/./b/")).toBe("/a/b/");
  });
});
