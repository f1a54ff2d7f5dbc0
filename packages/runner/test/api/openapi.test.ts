import { Validator } from "@seriousme/openapi-schema-validator";
import type { H3 } from "h3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCatalog } from "@cosmo/core";
import { endpoints } from "../../src/api/endpoints";
import { createOpenApiDocument } from "../../src/api/openapi";
import { createApp } from "../../src/app";
import { createPluginStore } from "../../src/store/create";
import type { PluginStore } from "../../src/store/types";
import { createWorkerApp } from "../../src/worker/app";
import { loadBundle, type LoadedBundle } from "../../src/worker/plugins";
import { serveApp, type ServedApp } from "../helpers/serve";

const TOKEN = "openapi-token-0123456789";
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const fail = async (): Promise<never> => {
  throw new Error("not called in this test");
};

/** "METHOD /path" for each concrete route an app registers (catch-alls and forwarders left out). */
function registered(app: H3): string[] {
  const routes = (app as unknown as { "~routes": { method?: string; route: string }[] })["~routes"];
  return routes
    .filter((r) => r.method && !r.route.includes("**"))
    .map((r) => `${r.method!.toUpperCase()} ${r.route.replace(/:(\w+)/g, "{$1}").replace(/(.)\/$/, "$1")}`);
}

describe("/openapi.json", () => {
  let store: PluginStore;
  let loaded: LoadedBundle;
  let admin: H3;
  let worker: H3;
  let served: ServedApp;

  beforeAll(async () => {
    store = await createPluginStore("memory:", { dataDir: "/nonexistent" });
    loaded = await loadBundle(null, quiet);
    // Every operation given, so every endpoint the admin app can have is registered.
    admin = createApp({ store, token: TOKEN, operations: { install: fail, uninstall: fail, apply: fail, installed: fail, report: fail, disable: fail, enable: fail, upgrade: fail, outdated: fail, exportBundle: fail, importBundle: fail } });
    ({ app: worker } = createWorkerApp({ store, token: TOKEN, loaded, clean: false, operations: { reload: fail }, logger: { error() {} } }));
    served = await serveApp(worker);
  });
  afterAll(async () => {
    await served.close();
    await store.close();
  });

  it("is a valid OpenAPI 3.1 document (checked by an OpenAPI validator)", async () => {
    const document = createOpenApiDocument();
    expect(document.openapi).toBe("3.1.0");
    const result = await new Validator().validate(structuredClone(document));
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("describes every route the runner registers, and no route it does not", () => {
    const served = new Set([...registered(admin), ...registered(worker)]);
    expect(served.size).toBeGreaterThanOrEqual(12);
    const described = new Set(endpoints.map((e) => `${e.method.toUpperCase()} ${e.path}`));
    // A route missing here: add its entry (schemas included) to src/api/endpoints.ts.
    expect([...served].filter((r) => !described.has(r)).sort()).toEqual([]);
    expect([...described].filter((r) => !served.has(r)).sort()).toEqual([]);
  });

  it("names only error codes the catalog has, and gives each operation a unique id", () => {
    for (const e of endpoints) for (const code of e.errors ?? []) expect(Object.keys(errorCatalog)).toContain(code);
    expect(new Set(endpoints.map((e) => e.operationId)).size).toBe(endpoints.length);
  });

  it("is served by the runner at GET /openapi.json, the same document", async () => {
    const res = await served.request("GET", "/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.json).toEqual(createOpenApiDocument());
  });

  it("takes its request schemas from the routes' own validation: a body the document refuses, the route refuses", async () => {
    const schema = (createOpenApiDocument() as any).components.schemas.CreatePluginBody;
    expect(schema.required).toEqual(["source"]);
    expect(schema.properties.source.maxLength).toBe(2048);
    const res = await served.request("POST", "/plugins", { headers: { authorization: `Bearer ${TOKEN}` }, body: { source: "x".repeat(2049) } });
    expect(res.status).toBe(422);
    expect(res.json.error).toMatchObject({ code: "COSMO_E_BODY_INVALID", details: { field: "source" } });
  });
});
