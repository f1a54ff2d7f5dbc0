import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isCosmoError } from "@cosmo/core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { addPluginRecord } from "../src/operations/add";
import { applySet } from "../src/operations/apply";
import { createOperationsContext, type OperationsContext } from "../src/operations/context";
import { checkSource, installPlugin, removePlugin } from "../src/operations/install";
import { installedSources, reconcileSet } from "../src/operations/plugin-set";
import { createPluginStore } from "../src/store/create";
import { fileSetLock } from "../src/store/set-lock";
import { canStartRedis, hasRedis, startRedis, type TestRedis } from "@cosmo/test-kit";

const rejection = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
const codeOf = (e: unknown) => (isCosmoError(e) ? e.code : String(e));
const tracking = (dataDir: string) => readFile(join(dataDir, "plugins", "installed_plugins.txt"), "utf8").catch(() => "");

let dirs: string[] = [];
let contexts: OperationsContext[] = [];
afterEach(async () => {
  await Promise.all(contexts.map((c) => c.store.close().catch(() => undefined)));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
  contexts = [];
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cosmo-set-"));
  dirs.push(dir);
  return dir;
}

/** Operations on a data dir and store URL, as one runner process would have them. */
async function open(dataDir: string, storeUrl?: string, namespace?: string): Promise<OperationsContext> {
  const store = await createPluginStore(storeUrl, { dataDir, namespace });
  const ctx = createOperationsContext({ dataDir, store, npmOptions: { registry: inject("registryUrl"), cache: join(dataDir, "npm-cache") } });
  contexts.push(ctx);
  return ctx;
}

describe("one plugin set, one writer (files in the data dir)", { timeout: 120_000 }, () => {
  it("makes one record of one source however many requests race, across two processes' stores", async () => {
    const dataDir = await tempDir();
    const [a, b] = [await open(dataDir), await open(dataDir)];
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => addPluginRecord((i % 2 ? a : b).store, "plugin-ok")),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(codeOf(r.reason)).toBe("COSMO_E_RECORD_DUPLICATE");
    expect(await a.store.list()).toHaveLength(1);
  });

  it("never leaves a source in the set without its record when install races delete", async () => {
    const dataDir = await tempDir();
    const ctx = await open(dataDir);
    for (let i = 0; i < 10; i++) {
      const record = await addPluginRecord(ctx.store, "plugin-ok");
      await Promise.allSettled([installPlugin(ctx, record), removePlugin(ctx, record)]);
      const records = await ctx.store.list();
      expect(records).toEqual([]);
      expect(await tracking(dataDir)).toBe("");
    }
  });

  it("repairs at start a tracking file left behind by a process killed between the record and the file", async () => {
    const dataDir = await tempDir();
    const ctx = await open(dataDir);
    const record = await addPluginRecord(ctx.store, "plugin-ok");
    await installPlugin(ctx, record);
    // The kill: the record went back to pending, the file was never rewritten.
    await ctx.store.update(record.id, { install_status: "pending" });
    // The line pins the version the check chose.
    expect(await tracking(dataDir)).toBe("plugin-ok@1.0.0\n");
    expect(await reconcileSet(ctx)).toEqual({ adopted: [], dropped: [] });
    expect(await tracking(dataDir)).toBe("");
  });

  it("does not take for a hand edit a tracking file a kill left at its previous text (the note and the file are flushed together)", async () => {
    const dataDir = await tempDir();
    const ctx = await open(dataDir);
    const first = await addPluginRecord(ctx.store, "plugin-ok");
    await installPlugin(ctx, first);
    const before = await tracking(dataDir);
    const second = await addPluginRecord(ctx.store, "plugin-versions@1.0.0");
    await installPlugin(ctx, second);
    // The kill: the record and the note were written, the file's new text never reached the disk.
    await writeFile(join(dataDir, "plugins", "installed_plugins.txt"), before);
    expect(await reconcileSet(ctx)).toEqual({ adopted: [], dropped: [] });
    expect((await tracking(dataDir)).split("\n").filter(Boolean)).toHaveLength(2);
    // A real hand edit is still adopted.
    await writeFile(join(dataDir, "plugins", "installed_plugins.txt"), "");
    expect((await reconcileSet(ctx)).dropped).toHaveLength(2);
  });

  it("settles a start whose tracking file agrees with the model without waiting for the set lock (an apply holds it to publish)", async () => {
    const dataDir = await tempDir();
    const ctx = await open(dataDir);
    await installPlugin(ctx, await addPluginRecord(ctx.store, "plugin-ok"));
    let release!: () => void;
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    const holder = ctx.store.withSetLock(() => {
      held();
      return new Promise<void>((resolve) => (release = resolve));
    });
    await holding;
    // Another process's view of the same data dir: its own lock queue, the same lock dir.
    const other = await open(dataDir);
    expect(await reconcileSet(other)).toEqual({ adopted: [], dropped: [] });
    release();
    await holder;
    // A file that no longer agrees still waits for the lock and is settled under it.
    await writeFile(join(dataDir, "plugins", "installed_plugins.txt"), "");
    expect((await reconcileSet(other)).dropped).toEqual(["plugin-ok"]);
  });

  it("takes over at once the set lock of a process killed while holding it", async () => {
    const dataDir = await tempDir();
    const bundlerLock = new URL("../../bundler/dist/index.js", import.meta.url).href;
    const holder = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { withLock } = await import(${JSON.stringify(bundlerLock)});
         await withLock(${JSON.stringify(join(dataDir, "plugins"))}, ${JSON.stringify(join(dataDir, "plugins", "set.lock"))},
           () => { console.log("held"); return new Promise(() => {}); });`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve) => holder.stdout!.once("data", () => resolve()));
    holder.kill("SIGKILL");
    await new Promise((resolve) => holder.once("exit", resolve));
    // No stale period to wait out: the holder is gone, so the first attempts take it.
    const { withLock } = await import("@cosmo/bundler");
    expect(await withLock(join(dataDir, "plugins"), join(dataDir, "plugins", "set.lock"), async () => "taken", { retries: 1 })).toBe("taken");
    expect(await fileSetLock(dataDir).run(async () => "again")).toBe("again");
    expect((await readdir(join(dataDir, "plugins"))).filter((f) => f.endsWith(".tmp") || f.endsWith(".dead"))).toEqual([]);
  });

  it("takes a plugin whose apply fails out of the set (failed, with the reason), and the next apply works", async () => {
    const dataDir = await tempDir();
    const ctx = await open(dataDir);
    await installPlugin(ctx, await addPluginRecord(ctx.store, "plugin-ok"));
    expect((await applySet(ctx)).bundle.plugins).toEqual(["plugin-ok"]);
    const broken = await addPluginRecord(ctx.store, "plugin-missing-tarball");
    await installPlugin(ctx, broken);
    expect(codeOf(await rejection(applySet(ctx)))).toBe("COSMO_E_SYNC_FAILED");
    const after = await ctx.store.get(broken.id);
    expect(after).toMatchObject({ install_status: "failed" });
    expect(after?.error_message).toMatch(/^apply failed: COSMO_E_SYNC_FAILED/);
    expect(await tracking(dataDir)).toBe("plugin-ok@1.0.0\n");
    expect((await applySet(ctx)).bundle.plugins).toEqual(["plugin-ok"]);
  });
});

describe("npm config, whatever the user set", { timeout: 180_000 }, () => {
  it("installs and applies three plugins in a row with omit-lockfile-registry-resolved=true and prefer-offline in the npmrc", async () => {
    const dataDir = await tempDir();
    const { registryEnv } = await import("@cosmo/test-kit");
    const { loadNpmConfig } = await import("@cosmo/bundler");
    const made = await registryEnv(inject("registryUrl"));
    dirs.push(made.dir);
    await writeFile(made.env.npm_config_userconfig!, `registry=${inject("registryUrl")}\nomit-lockfile-registry-resolved=true\nprefer-offline=true\n`);
    const npmOptions = await loadNpmConfig({ env: made.env });
    expect(npmOptions.omitLockfileRegistryResolved).toBe(true);
    const store = await createPluginStore(undefined, { dataDir });
    const ctx = createOperationsContext({ dataDir, store, npmOptions });
    contexts.push(ctx);
    const applied: string[][] = [];
    for (const source of ["plugin-ok", "plugin-peer-shared-1", "plugin-versions@^1"]) {
      await installPlugin(ctx, await addPluginRecord(ctx.store, source));
      const outcome = await applySet(ctx);
      applied.push(outcome.bundle.plugins);
      // The bundle's lock says where each package came from, so another runner can install it as is.
      const lock = JSON.parse(await readFile(outcome.sync.lockfile, "utf8")) as { packages: Record<string, { resolved?: string; link?: boolean }> };
      for (const [key, entry] of Object.entries(lock.packages)) if (key.startsWith("node_modules/") && !entry.link) expect(entry.resolved, key).toMatch(/^http/);
    }
    expect(applied).toEqual([["plugin-ok"], ["plugin-ok", "plugin-peer-shared-1"], ["plugin-ok", "plugin-peer-shared-1", "plugin-versions"]]);
  });
});

describe("sources that pass the check also apply", { timeout: 120_000 }, () => {
  it("applies a plugin given as a tarball URL (the bundle gets the check's source policy)", async () => {
    const dataDir = await tempDir();
    const ctx = await open(dataDir);
    const url = `${inject("registryUrl")}plugin-ok/-/plugin-ok-1.0.0.tgz`;
    const record = await addPluginRecord(ctx.store, url);
    expect(await installPlugin(ctx, record)).toMatchObject({ install_status: "installed" });
    expect((await applySet(ctx)).bundle.plugins).toEqual(["plugin-ok"]);
  });
});

describe.skipIf(!hasRedis)("one plugin set on a shared redis", { timeout: 120_000 }, () => {
  let redis: TestRedis;
  let n = 0;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it("checks an install on one runner against what another runner installed: a 409 naming it", async () => {
    const namespace = `set${++n}`;
    const a = await open(await tempDir(), redis.url, namespace);
    const b = await open(await tempDir(), redis.url, namespace);
    await installPlugin(a, await addPluginRecord(a.store, "plugin-peer-shared-1"));
    const other = await addPluginRecord(b.store, "plugin-peer-shared-2");
    const error = await rejection(installPlugin(b, other));
    expect(codeOf(error)).toBe("COSMO_E_CONFLICT");
    expect(JSON.stringify((error as { details: unknown }).details)).toContain("plugin-peer-shared-1");
    expect(installedSources(await b.store.list())).toEqual(["plugin-peer-shared-1@1.0.0"]);
    expect(codeOf(await rejection(checkSource(b, "plugin-peer-shared-2")))).toBe("COSMO_E_CONFLICT");
  });

  it("makes one record of one source when runners race on redis", async () => {
    const namespace = `set${++n}`;
    const runners = [await open(await tempDir(), redis.url, namespace), await open(await tempDir(), redis.url, namespace)];
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => addPluginRecord(runners[i % 2]!.store, "plugin-ok")));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await runners[0]!.store.list()).toHaveLength(1);
  });

  it.skipIf(!canStartRedis)("answers 503 COSMO_E_STORE_UNAVAILABLE while redis is stopped, and recovers by itself", async () => {
    const own = await startRedis();
    try {
      const ctx = await open(await tempDir(), own.url, "stop");
      await addPluginRecord(ctx.store, "plugin-ok");
      own.child!.kill("SIGSTOP");
      const error = await rejection(ctx.store.list());
      expect(codeOf(error)).toBe("COSMO_E_STORE_UNAVAILABLE");
      expect((error as { status?: number }).status ?? 503).toBe(503);
      own.child!.kill("SIGCONT");
      expect(await ctx.store.list()).toHaveLength(1);
    } finally {
      own.child?.kill("SIGCONT");
      await own.stop();
    }
  });
});

describe("the store's files", () => {
  it("sweeps temp files a killed writer left behind", async () => {
    const dataDir = await tempDir();
    const ctx = await open(dataDir);
    await addPluginRecord(ctx.store, "plugin-ok");
    const dir = join(dataDir, "store", "plugins");
    const stale = join(dir, ".abandoned.tmp");
    await writeFile(stale, "{");
    const { utimes } = await import("node:fs/promises");
    await utimes(stale, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    expect(await ctx.store.list()).toHaveLength(1);
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    await mkdir(dir, { recursive: true });
  });
});
