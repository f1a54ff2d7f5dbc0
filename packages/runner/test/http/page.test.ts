import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { createPluginStore } from "../../src/store/create";
import type { PluginStore } from "../../src/store/types";
import { serveApp, type ServedApp } from "../helpers/serve";

// The page's files come from dist/page: `npm run build` first (as for the process tests).
const TOKEN = "test-token-0123456789";

describe("the plugin manager page's files at /_cosmo/", () => {
  let store: PluginStore;
  let served: ServedApp;
  beforeAll(async () => {
    store = await createPluginStore("memory:", { dataDir: "/nonexistent" });
    served = await serveApp(createApp({ store, token: TOKEN }));
  });
  afterAll(async () => {
    await served.close();
    await store.close();
  });

  // fetch, not served.request: these bodies are not JSON.
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${served.port}${path}`, { headers, redirect: "manual" });

  it("redirects /_cosmo to /_cosmo/, so the page's relative asset URLs resolve", async () => {
    const res = await get("/_cosmo");
    expect(res.status).toBe(308);
    expect(res.headers.get("location")).toBe("/_cosmo/");
  });

  it("serves the page without a token, with a policy that runs only its own script", async () => {
    const res = await get("/_cosmo/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await res.text()).toContain('<script type="module" src="./app.js"></script>');
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    for (const [file, type] of [["app.js", "text/javascript"], ["style.css", "text/css"]] as const) {
      const asset = await get(`/_cosmo/${file}`);
      expect(asset.status, file).toBe(200);
      expect(asset.headers.get("content-type")).toContain(type);
      expect((await asset.text()).length).toBeGreaterThan(100);
    }
  });

  it("answers 304 to a copy the browser already has", async () => {
    const first = await get("/_cosmo/app.js");
    await first.arrayBuffer();
    const again = await get("/_cosmo/app.js", { "if-none-match": first.headers.get("etag")! });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });

  it("answers any other path under /_cosmo/ with a coded 404", async () => {
    const res = await served.request("GET", "/_cosmo/%2e%2e/%2e%2e/package.json");
    expect(res.status).toBe(404);
    const other = await served.request("GET", "/_cosmo/secret.txt");
    expect(other.status).toBe(404);
    expect(other.json.error.code).toBe("COSMO_E_API_ROUTE_NOT_FOUND");
  });

  it("refuses a read that carries a wrong token, so the page can tell a bad token at sign-in", async () => {
    expect((await served.request("GET", "/plugins")).status).toBe(200);
    expect((await served.request("GET", "/plugins", { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const wrong = await served.request("GET", "/plugins", { headers: { authorization: "Bearer not-the-token" } });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe("COSMO_E_AUTH_REQUIRED");
  });
});
