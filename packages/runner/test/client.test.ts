import { isCosmoError } from "@cosmo/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endpoints } from "../src/api/endpoints";
import { healthSchema, pluginListSchema, pluginRecordSchema, installedSchema } from "../src/api/schemas";
import { createRunnerClient, type RunnerClient } from "../src/client/index";
import { createPluginStore } from "../src/store/create";
import type { PluginStore } from "../src/store/types";
import { createWorkerApp } from "../src/worker/app";
import { loadBundle, type LoadedBundle } from "../src/worker/plugins";
import { serveApp, type ServedApp } from "./helpers/serve";

const TOKEN = "client-token-0123456789";
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

// The typed client over real HTTP against the worker's app (memory store, no bundle).
describe("cosmo-runner/client", () => {
  let store: PluginStore;
  let loaded: LoadedBundle;
  let served: ServedApp;
  let client: RunnerClient;

  beforeAll(async () => {
    store = await createPluginStore("memory:", { dataDir: "/nonexistent" });
    loaded = await loadBundle(null, quiet);
    const { app } = createWorkerApp({ store, token: TOKEN, loaded, clean: false, logger: { error() {} } });
    served = await serveApp(app);
    client = createRunnerClient({ url: `http://127.0.0.1:${served.port}`, token: TOKEN });
  });
  afterAll(async () => {
    await served.close();
    await store.close();
  });

  it("has one method per endpoint, named after its operationId", () => {
    // The manager page's files (auth: public) are for browsers, not for the typed client.
    for (const e of endpoints.filter((x) => x.auth !== "public")) expect(typeof (client as unknown as Record<string, unknown>)[e.operationId], e.operationId).toBe("function");
  });

  it("adds, reads, lists and removes a record; each answer matches its schema", async () => {
    expect(healthSchema.parse(await client.health()).status).toBe("ok");
    const added = await client.addPlugin("cosmo-plugin-hue@^1");
    // parse() drops what the schema does not name: equal means the schema names every field.
    const record = pluginRecordSchema.parse(added);
    expect(record).toEqual(added);
    expect(record).toMatchObject({ name: "cosmo-plugin-hue", install_status: "pending" });
    expect(await client.getPlugin(record.id)).toEqual(record);
    expect(pluginListSchema.parse(await client.listPlugins()).plugins.map((p) => p.id)).toEqual([record.id]);
    installedSchema.parse(await client.installedPlugins());
    await client.removePlugin(record.id);
    expect((await client.listPlugins()).plugins).toEqual([]);
  });

  it("rejects with the runner's coded error", async () => {
    const error = await client.getPlugin("no-such-id").catch((e: unknown) => e);
    expect(isCosmoError(error) && error.code).toBe("COSMO_E_RECORD_NOT_FOUND");
    const noToken = createRunnerClient({ url: client.url });
    const refused = await noToken.addPlugin("x").catch((e: unknown) => e);
    expect(isCosmoError(refused) && refused.code).toBe("COSMO_E_AUTH_REQUIRED");
    const invalid = await client.addPlugin("").catch((e: unknown) => e);
    expect(isCosmoError(invalid) && invalid.details).toMatchObject({ field: "source" });
  });

  it("rejects with COSMO_E_RUNNER_UNREACHABLE when nothing listens", async () => {
    const gone = createRunnerClient({ url: "http://127.0.0.1:9" });
    const error = await gone.health().catch((e: unknown) => e);
    expect(isCosmoError(error) && error.code).toBe("COSMO_E_RUNNER_UNREACHABLE");
    expect((error as Error).message).toContain("http://127.0.0.1:9");
  });
});
