import { existsSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { currentBundle } from "../src/bundle-dirs";
import { loadNpmConfig } from "../src/npm-config";
import { activateBundle, rollback, sync } from "../src/sync";
import { findFiles, hashTree } from "@cosmo/test-kit";

// Bundled manifests as bundle.ts makes them, written out: registry deps only, so these tests pin
// sync alone (host links are bundle.ts's to test).
const manifestWith = (dependencies: Record<string, string>) => ({
  name: "host-bundled",
  version: "1.0.0",
  private: true,
  dependencies,
});

let dataDir: string;
let npmOptions: { registry: string; cache: string };

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cosmo-sync-"));
  // A cache of its own per test: nothing a previous test downloaded can hide a failing fetch.
  npmOptions = { registry: inject("registryUrl"), cache: join(dataDir, "npm-cache") };
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const versionsDir = () => join(dataDir, "bundle.versions");

describe("sync", () => {
  it("installs plugin-ok and shared-lib into the bundle, with package-lock.json beside them", async () => {
    const result = await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0" }), npmOptions });
    const bundle = await currentBundle(dataDir);
    expect(bundle).toBe(result.path);
    expect(result.previous).toBeUndefined();
    const pkg = JSON.parse(await readFile(join(bundle, "node_modules/plugin-ok/package.json"), "utf8"));
    expect(pkg.version).toBe("1.0.0");
    expect(existsSync(join(bundle, "node_modules/plugin-ok/cosmo.json"))).toBe(true);
    const lib = JSON.parse(await readFile(join(bundle, "node_modules/shared-lib/package.json"), "utf8"));
    expect(lib.version).toBe("1.0.0");
    const lock = JSON.parse(await readFile(join(bundle, "package-lock.json"), "utf8"));
    expect(lock.packages["node_modules/plugin-ok"].version).toBe("1.0.0");
    expect(lock.packages["node_modules/shared-lib"].version).toBe("1.0.0");
    expect(JSON.parse(await readFile(join(bundle, "package.json"), "utf8"))).toEqual(manifestWith({ "plugin-ok": "^1.0.0" }));
  });

  it("makes <dataDir>/bundle a link to the bundle, so a plugin is importable through it", async () => {
    await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0" }), npmOptions });
    expect((await lstat(join(dataDir, "bundle"))).isSymbolicLink()).toBe(true);
    const mod = await import(join(dataDir, "bundle/node_modules/plugin-ok/index.js"));
    expect(typeof mod.OkPlugin).toBe("function");
  });

  it("reads the manifest from a package.bundled.json path", async () => {
    const file = join(dataDir, "package.bundled.json");
    await writeFile(file, JSON.stringify(manifestWith({ "shared-lib": "2.0.0" })));
    const { path } = await sync({ dataDir, manifest: file, npmOptions });
    expect(JSON.parse(await readFile(join(path, "node_modules/shared-lib/package.json"), "utf8")).version).toBe("2.0.0");
  });

  it("runs no lifecycle script of plugin-scripts: no canary file anywhere", async () => {
    const canaryDir = await mkdtemp(join(tmpdir(), "cosmo-canary-"));
    const before = process.env.COSMO_TEST_CANARY_DIR;
    process.env.COSMO_TEST_CANARY_DIR = canaryDir;
    try {
      const { path } = await sync({ dataDir, manifest: manifestWith({ "plugin-scripts": "1.0.0" }), npmOptions });
      expect(existsSync(join(path, "node_modules/plugin-scripts/canary.cjs"))).toBe(true);
      expect(await readdir(canaryDir)).toEqual([]);
      expect(await findFiles(dataDir, /^cosmo-canary-/)).toEqual([]);
      expect((await readdir(process.cwd())).filter((f) => f.startsWith("cosmo-canary-"))).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.COSMO_TEST_CANARY_DIR;
      else process.env.COSMO_TEST_CANARY_DIR = before;
      await rm(canaryDir, { recursive: true, force: true });
    }
  });

  it("does run them when asked (ignoreScripts: false), which proves the canaries work", async () => {
    const canaryDir = await mkdtemp(join(tmpdir(), "cosmo-canary-"));
    const before = process.env.COSMO_TEST_CANARY_DIR;
    process.env.COSMO_TEST_CANARY_DIR = canaryDir;
    try {
      const manifest = manifestWith({ "plugin-scripts": "1.0.0" });
      const { path } = await sync({ dataDir, manifest, npmOptions, ignoreScripts: false });
      // npm never runs `prepare` for a registry package, so three of the four.
      const ran = ["cosmo-canary-install", "cosmo-canary-postinstall", "cosmo-canary-preinstall"];
      expect((await readdir(canaryDir)).sort()).toEqual(ran);
      expect((await findFiles(join(path, "node_modules/plugin-scripts"), /^cosmo-canary-/)).sort()).toEqual(ran);
    } finally {
      if (before === undefined) delete process.env.COSMO_TEST_CANARY_DIR;
      else process.env.COSMO_TEST_CANARY_DIR = before;
      await rm(canaryDir, { recursive: true, force: true });
    }
  });

  it("starts from the current lock: a version that still fits the new range is kept", async () => {
    await sync({ dataDir, manifest: manifestWith({ "shared-lib": "1.0.0" }), npmOptions });
    const { path } = await sync({ dataDir, manifest: manifestWith({ "shared-lib": "^1.0.0 || ^2.0.0" }), npmOptions });
    expect(JSON.parse(await readFile(join(path, "node_modules/shared-lib/package.json"), "utf8")).version).toBe("1.0.0");
    // Without a lock the same range takes the newest.
    const fresh = join(dataDir, "fresh");
    const other = await sync({ bundleDir: fresh, manifest: manifestWith({ "shared-lib": "^1.0.0 || ^2.0.0" }), npmOptions });
    expect(JSON.parse(await readFile(join(other.path, "node_modules/shared-lib/package.json"), "utf8")).version).toBe("2.0.0");
  });

  it("fails half-way on a 404 tarball with COSMO_E_SYNC_FAILED, leaving the current bundle byte-identical and no staging", async () => {
    const first = await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0" }), npmOptions });
    const link = await readlink(join(dataDir, "bundle"));
    const hash = await hashTree(first.path);

    const failing = sync({
      dataDir,
      manifest: manifestWith({ "plugin-ok": "^1.0.0", "plugin-missing-tarball": "1.0.0" }),
      npmOptions,
    });
    const error: unknown = await failing.then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: "COSMO_E_SYNC_FAILED", details: { npmCode: "E404" } });
    expect((error as Error).message).toMatch(/lib-missing-tarball-1\.0\.0\.tgz/);

    expect(await readlink(join(dataDir, "bundle"))).toBe(link);
    expect(await hashTree(first.path)).toEqual(hash);
    expect(await readdir(versionsDir())).toEqual([link.split("/").at(-1)]);
  });

  it("rolls back to the previous bundle, byte-identical, and a second rollback rolls forward", async () => {
    const a = await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0" }), npmOptions });
    const hashA = await hashTree(a.path);
    const b = await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0", "plugin-scripts": "1.0.0" }), npmOptions });
    expect(b.previous).toBe(a.path);
    expect(existsSync(join(dataDir, "bundle/node_modules/plugin-scripts"))).toBe(true);

    expect(await rollback({ dataDir })).toBe(a.path);
    expect(await currentBundle(dataDir)).toBe(a.path);
    expect(existsSync(join(dataDir, "bundle/node_modules/plugin-scripts"))).toBe(false);
    expect(await hashTree(join(dataDir, "bundle/"))).toEqual(hashA);

    expect(await rollback({ dataDir })).toBe(b.path);
    expect(existsSync(join(dataDir, "bundle/node_modules/plugin-scripts"))).toBe(true);
  });

  it("rolls back only while the bundle named by ifCurrent is current: a sync that landed meanwhile stays", async () => {
    const a = await sync({ dataDir, manifest: manifestWith({ "shared-lib": "1.0.0" }), npmOptions });
    const b = await sync({ dataDir, manifest: manifestWith({ "shared-lib": "2.0.0" }), npmOptions });
    // A reload of b failed, but another sync made c current before the rollback ran.
    const c = await sync({ dataDir, manifest: manifestWith({}), npmOptions });
    expect(await rollback({ dataDir, ifCurrent: b.path })).toBeUndefined();
    expect(await currentBundle(dataDir)).toBe(c.path);
    expect(join(dataDir, await readlink(join(dataDir, "bundle.previous")))).toBe(b.path);
    expect(await rollback({ dataDir, ifCurrent: c.path })).toBe(b.path);
    expect(await currentBundle(dataDir)).toBe(b.path);
    expect(a.path).not.toBe(b.path);
  });

  it("activates a bundle laid out by hand as a sync would: current switches, the old one becomes previous", async () => {
    const a = await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0" }), npmOptions });
    const handMade = join(versionsDir(), "hand-made");
    await mkdir(join(handMade, "node_modules"), { recursive: true });
    await activateBundle({ dataDir, path: handMade });
    expect(await currentBundle(dataDir)).toBe(handMade);
    expect(join(dataDir, await readlink(join(dataDir, "bundle.previous")))).toBe(a.path);
    expect(await rollback({ dataDir })).toBe(a.path);
  });

  it("lets admit mark the new bundle before it is current, and keeps the current one (superseded) when admit refuses", async () => {
    const seen: Array<{ staged: string; current: string | undefined; currentAtAsk: string | undefined }> = [];
    const admit = (answer: boolean) => async (staged: string, current: string | undefined) => {
      seen.push({ staged, current, currentAtAsk: await currentBundle(dataDir).catch(() => undefined) });
      await writeFile(join(staged, "marker.json"), JSON.stringify({ answer }));
      return answer;
    };
    // With no current bundle there is nothing to keep: a refusal changes nothing.
    const a = await sync({ dataDir, manifest: manifestWith({ "shared-lib": "1.0.0" }), npmOptions, admit: admit(false) });
    expect(a.changed).toBe(true);
    expect(await currentBundle(dataDir)).toBe(a.path);
    expect(JSON.parse(await readFile(join(a.path, "marker.json"), "utf8"))).toEqual({ answer: false });

    const b = await sync({ dataDir, manifest: manifestWith({ "shared-lib": "2.0.0" }), npmOptions, admit: admit(true) });
    expect(b.changed).toBe(true);
    // Asked while the old bundle was still current: the marker is in place before the switch.
    expect(seen[1]).toMatchObject({ staged: b.path, current: a.path, currentAtAsk: a.path });
    expect(JSON.parse(await readFile(join(dataDir, "bundle/marker.json"), "utf8"))).toEqual({ answer: true });

    const refused = await sync({ dataDir, manifest: manifestWith({ "shared-lib": "1.0.0" }), npmOptions, admit: admit(false) });
    expect(refused).toMatchObject({ changed: false, superseded: true, path: b.path, previous: a.path });
    expect(await currentBundle(dataDir)).toBe(b.path);
    expect(existsSync(seen[2]!.staged)).toBe(false);
    expect(JSON.parse(await readFile(join(dataDir, "bundle/node_modules/shared-lib/package.json"), "utf8")).version).toBe("2.0.0");
  });

  it("fails the sync when admit throws, leaving the current bundle and no new dir", async () => {
    const a = await sync({ dataDir, manifest: manifestWith({ "shared-lib": "1.0.0" }), npmOptions });
    const admit = async () => {
      throw Object.assign(new Error("not this one"), { code: "EXAMPLE" });
    };
    await expect(sync({ dataDir, manifest: manifestWith({ "shared-lib": "2.0.0" }), npmOptions, admit })).rejects.toMatchObject({ code: "COSMO_E_SYNC_FAILED" });
    expect(await currentBundle(dataDir)).toBe(a.path);
    expect(await readdir(versionsDir())).toEqual([a.path.split("/").at(-1)]);
  });

  it("keeps only the current and previous bundles", async () => {
    for (const v of ["1.0.0", "2.0.0", "1.0.0"]) await sync({ dataDir, manifest: manifestWith({ "shared-lib": v }), npmOptions });
    expect((await readdir(versionsDir())).length).toBe(2);
  });

  it("serialises two syncs of one bundle: both finish, the second replaces the first", async () => {
    const [one, two] = await Promise.all([
      sync({ dataDir, manifest: manifestWith({ "shared-lib": "1.0.0" }), npmOptions, lock: { retries: 1000 } }),
      sync({ dataDir, manifest: manifestWith({ "shared-lib": "2.0.0" }), npmOptions, lock: { retries: 1000 } }),
    ]);
    const current = await currentBundle(dataDir);
    expect([one.path, two.path]).toContain(current);
    const other = current === one.path ? two.path : one.path;
    expect((await sync({ dataDir, manifest: manifestWith({}), npmOptions })).previous).toBe(current);
    expect(existsSync(other)).toBe(false);
  });

  it("reports COSMO_E_NO_BUNDLE when there is no bundle or nothing to roll back to", async () => {
    await expect(currentBundle(dataDir)).rejects.toMatchObject({ code: "COSMO_E_NO_BUNDLE" });
    await expect(rollback({ dataDir })).rejects.toMatchObject({ code: "COSMO_E_NO_BUNDLE" });
  });

  it("honours the user's npm config from loadNpmConfig: registry, cache and offline", async () => {
    const home = join(dataDir, "home");
    const cacheRoot = join(dataDir, "user-cache");
    const env = { HOME: home, PATH: process.env.PATH, npm_config_globalconfig: join(dataDir, "no-global-npmrc") };
    await mkdir(home, { recursive: true });
    await writeFile(join(home, ".npmrc"), `registry=${inject("registryUrl")}\ncache=${cacheRoot}\n`);
    const fromConfig = await loadNpmConfig({ cwd: dataDir, env, npmPath: join(dataDir, "no-npm") });
    const manifest = manifestWith({ "plugin-ok": "^1.0.0" });

    // Offline with an empty cache: nothing to install from.
    const offline = await loadNpmConfig({ cwd: dataDir, env: { ...env, npm_config_offline: "true" }, npmPath: join(dataDir, "no-npm") });
    await expect(sync({ dataDir, manifest, npmOptions: offline })).rejects.toMatchObject({ code: "COSMO_E_SYNC_FAILED" });

    // Online it fills the user's cache (where npm itself keeps it) ...
    await sync({ dataDir, manifest, npmOptions: fromConfig });
    expect(existsSync(join(cacheRoot, "_cacache"))).toBe(true);
    // ... after which the same install works offline.
    const { path } = await sync({ bundleDir: join(dataDir, "offline-bundle"), manifest, npmOptions: offline });
    expect(existsSync(join(path, "node_modules/plugin-ok/cosmo.json"))).toBe(true);
  });
});
