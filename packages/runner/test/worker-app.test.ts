import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createWorkerApp } from "../src/worker/app";
import { loadBundle, type LoadedBundle } from "../src/worker/plugins";
import { createPluginStore } from "../src/store/create";
import type { PluginStore } from "../src/store/types";
import { makeBundle, versionPlugin, type FixturePlugin } from "./helpers/bundles";
import { serveApp, type ServedApp } from "./helpers/serve";

const TOKEN = "worker-app-token-0123";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const echo: FixturePlugin = {
  name: "echo",
  prefix: "/echo",
  source: `export const plugin = { setup(ctx) { ctx.route("POST", "/", async (req) => ({ got: await req.json() })); } };\n`,
};

// The worker's one app, in process: admin API and plugin routes side by side.
describe("worker app", () => {
  let dir: string;
  let store: PluginStore;
  let loaded: LoadedBundle;
  let served: ServedApp;
  const requestReload = vi.fn(async () => ({ bundle: null, bundleId: null, pid: 1, plugins: { total: 0, active: 0, failed: 0, quarantined: 0, disabled: 0 }, took_ms: 1 }));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "cosmo-worker-app-"));
    store = await createPluginStore("memory:", { dataDir: dir });
    loaded = await loadBundle(await makeBundle(dir, "b1", [versionPlugin("hello", "/hello", "1"), echo]), quiet);
    const { app } = createWorkerApp({ store, token: TOKEN, loaded, clean: false, operations: { reload: requestReload }, logger: { error() {} } });
    served = await serveApp(app);
    requestReload.mockClear();
  });
  afterEach(async () => {
    await served.close();
    await loaded.service.shutdown();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the admin API and the plugins' routes from one app", async () => {
    expect((await served.request("GET", "/plugins")).json).toEqual({ plugins: [] });
    expect((await served.request("GET", "/plugins/")).json).toEqual({ plugins: [] });
    expect((await served.request("GET", "/hello/version")).json).toEqual({ plugin: "hello", version: "1" });
    expect((await served.request("GET", "/health")).json).toMatchObject({ status: "ok", bundle: "b1", plugins: { total: 2, active: 2, failed: 0 } });
    const installed = (await served.request("GET", "/plugins/installed")).json;
    expect(installed.plugins.map((p: { name: string; status: string }) => `${p.name}:${p.status}`).sort()).toEqual(["echo:active", "hello:active"]);
  });

  it("lets a plugin's POST through without the admin token, but not an admin POST", async () => {
    const res = await served.request("POST", "/echo", { body: { a: 1 } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ got: { a: 1 } });
    expect((await served.request("POST", "/plugins", { body: { source: "x" } })).status).toBe(401);
  });

  it("guards plugin routes against foreign Host headers too (DNS rebinding)", async () => {
    const res = await served.request("GET", "/hello/version", { headers: { host: "evil.example" } });
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe("COSMO_E_HOST_FORBIDDEN");
  });

  it("stops serving a plugin's routes the moment it is unregistered", async () => {
    await loaded.service.unregister("hello");
    const res = await served.request("GET", "/hello/version");
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe("COSMO_E_ROUTE_NOT_FOUND");
  });

  it("answers a method the runner's own path does not take with the runner's 404, never a plugin's", async () => {
    const put = await served.request("PUT", "/plugins", { headers: AUTH });
    expect(put.status).toBe(404);
    expect(put.json.error.code).toBe("COSMO_E_API_ROUTE_NOT_FOUND");
    expect((await served.request("PUT", "/plugins")).status).toBe(401);
    // HEAD falls back to the path's GET route, as h3 does for a route of its own.
    const head = await served.request("HEAD", "/plugins");
    expect(head.status).toBe(200);
    expect(head.headers["content-type"]).toMatch(/^application\/json/);
  });

  it("reads an admin body as JSON whatever its Content-Type (curl -d sends a form type)", async () => {
    const res = await served.request("POST", "/plugins", { headers: { ...AUTH, "content-type": "application/x-www-form-urlencoded" }, body: JSON.stringify({ source: "left-pad" }) });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ source: "left-pad", install_status: "pending" });
  });

  it("asks for a reload on POST /plugins/reload with the token only, passing rollbackOnFailure", async () => {
    expect((await served.request("POST", "/plugins/reload")).status).toBe(401);
    expect(requestReload).not.toHaveBeenCalled();
    expect((await served.request("POST", "/plugins/reload", { headers: AUTH })).status).toBe(200);
    expect(requestReload).toHaveBeenLastCalledWith({ reason: "POST /plugins/reload" });
    await served.request("POST", "/plugins/reload", { headers: AUTH, body: { rollbackOnFailure: true } });
    expect(requestReload).toHaveBeenLastCalledWith({ rollbackOnFailure: true, reason: "POST /plugins/reload" });
    const bad = await served.request("POST", "/plugins/reload", { headers: AUTH, body: { rollback: "yes" } });
    expect(bad.status).toBe(422);
  });
});
