import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { bundlePlugins } from "../src/operations/bundle";
import { createOperationsContext, type OperationsContext } from "../src/operations/context";
import { installPlugin, uninstallPlugin } from "../src/operations/install";
import { reconcileSet } from "../src/operations/plugin-set";
import { createPluginStore } from "../src/store/create";
import { hasRedis, startRedis, type TestRedis } from "@cosmo/test-kit";

const tracking = (dataDir: string) => readFile(join(dataDir, "plugins", "installed_plugins.txt"), "utf8").catch(() => "");

describe.skipIf(!hasRedis)("several runners on one redis store", { timeout: 60_000 }, () => {
  let redis: TestRedis;
  let dirs: string[] = [];
  let contexts: OperationsContext[] = [];

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());
  afterEach(async () => {
    await Promise.all(contexts.map((c) => c.store.close()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    dirs = [];
    contexts = [];
  });

  let n = 0;
  let namespace = "";
  beforeEach(() => {
    namespace = `shared${++n}`;
  });

  /** A runner's operations: its own data dir (tracking file, bundles), the store given. */
  async function runner(storeUrl: string | undefined): Promise<OperationsContext> {
    const dataDir = await mkdtemp(join(tmpdir(), "cosmo-shared-"));
    dirs.push(dataDir);
    const store = await createPluginStore(storeUrl, { dataDir, namespace });
    const ctx = createOperationsContext({ dataDir, store, npmOptions: { registry: inject("registryUrl"), cache: join(dataDir, "npm-cache") } });
    contexts.push(ctx);
    return ctx;
  }

  it("bundles on runner B what was installed through runner A, and drops what A uninstalled", async () => {
    const a = await runner(redis.url);
    const b = await runner(redis.url);
    const record = await a.store.create({ name: "plugin-ok", source: "plugin-ok" });
    await installPlugin(a, record);
    expect(await tracking(b.dataDir)).toBe("");

    const bundled = await bundlePlugins(b);
    // The set pins the exact version A's check chose.
    expect(bundled.sources).toEqual(["plugin-ok@1.0.0"]);
    // B's tracking file is a view of the shared set, rewritten when B starts (or syncs).
    await reconcileSet(b);
    expect(await tracking(b.dataDir)).toBe("plugin-ok@1.0.0\n");
    const manifest = JSON.parse(await readFile(bundled.file, "utf8")) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toContain("plugin-ok");

    await uninstallPlugin(a, (await a.store.get(record.id))!);
    expect((await bundlePlugins(b)).sources).toEqual([]);
    await reconcileSet(b);
    expect(await tracking(b.dataDir)).toBe("");
  });

  it("adopts a line added by hand to the tracking file at start when the store is the data dir's own (not shared)", async () => {
    const solo = await runner(undefined);
    expect(solo.store.shared).toBe(false);
    await mkdir(join(solo.dataDir, "plugins"), { recursive: true });
    await writeFile(join(solo.dataDir, "plugins", "installed_plugins.txt"), "# added by hand\nplugin-ok\n");
    expect(await reconcileSet(solo)).toEqual({ adopted: ["plugin-ok"], dropped: [] });
    expect((await bundlePlugins(solo)).sources).toEqual(["plugin-ok"]);
    expect(await tracking(solo.dataDir)).toBe("# added by hand\nplugin-ok\n");
    expect((await solo.store.list()).map((r) => [r.source, r.install_status])).toEqual([["plugin-ok", "installed"]]);
  });
});
