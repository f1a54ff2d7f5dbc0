// The incremental sync: a new bundle starts as a hardlinked copy of the current one and Arborist
// reifies only the difference into it. What must hold whatever the speed: the old bundle stays
// byte-identical, the result equals a sync from nothing, a removed plugin is really gone, an
// unchanged set makes no bundle, and no file is shared with a bundle while it is being changed.
import { existsSync } from "node:fs";
import { lstat, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { currentBundle } from "../src/bundle-dirs";
import { sync } from "../src/sync";
import { hashTree } from "@cosmo/test-kit";

const manifestWith = (dependencies: Record<string, string>) => ({ name: "host-bundled", version: "1.0.0", private: true, dependencies });

let dataDir: string;
let npmOptions: { registry: string; cache: string };

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cosmo-sync-inc-"));
  npmOptions = { registry: inject("registryUrl"), cache: join(dataDir, "npm-cache") };
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Inode of every regular file under a bundle's node_modules, keyed by relative path. */
async function inodes(bundle: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) out.set(relative(bundle, path), (await lstat(path)).ino);
    }
  }
  await walk(join(bundle, "node_modules"));
  return out;
}

/** The installed tree without the hidden lockfile (whose key order may differ by history). */
async function treeOf(bundle: string): Promise<Record<string, string>> {
  const hash = await hashTree(join(bundle, "node_modules"));
  delete hash[".package-lock.json"];
  return hash;
}

describe("incremental sync", () => {
  it("shares the unchanged packages' files with the current bundle as hardlinks, and copies the hidden lockfile", async () => {
    const a = await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0" }), npmOptions });
    const b = await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0", "plugin-scripts": "1.0.0" }), npmOptions });
    const [before, after] = [await inodes(a.path), await inodes(b.path)];
    expect(after.get("node_modules/plugin-ok/index.js")).toBe(before.get("node_modules/plugin-ok/index.js"));
    expect(after.get("node_modules/shared-lib/package.json")).toBe(before.get("node_modules/shared-lib/package.json"));
    expect(after.has("node_modules/plugin-scripts/index.js")).toBe(true);
    expect(after.get("node_modules/.package-lock.json")).not.toBe(before.get("node_modules/.package-lock.json"));
    expect((await stat(join(b.path, "package-lock.json"))).ino).not.toBe((await stat(join(a.path, "package-lock.json"))).ino);
  });

  it("leaves the current bundle byte-identical while a package in it changes version, one is added and one removed", async () => {
    const a = await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0", "plugin-scripts": "1.0.0" }), npmOptions });
    const hashA = await hashTree(a.path);
    // shared-lib 1 -> 2 (a changed package), plugin-ok gone, plugin-same-prefix added.
    const b = await sync({ dataDir, manifest: manifestWith({ "shared-lib": "2.0.0", "plugin-scripts": "1.0.0", "plugin-same-prefix": "1.0.0" }), npmOptions });
    expect(await hashTree(a.path)).toEqual(hashA);
    expect(b.previous).toBe(a.path);
    expect(JSON.parse(await readFile(join(b.path, "node_modules/shared-lib/package.json"), "utf8")).version).toBe("2.0.0");
    expect(JSON.parse(await readFile(join(a.path, "node_modules/shared-lib/package.json"), "utf8")).version).toBe("1.0.0");
    // The changed package's files are new inodes: nothing of it is shared with the old bundle.
    const [before, after] = [await inodes(a.path), await inodes(b.path)];
    for (const [path, ino] of after) if (path.startsWith("node_modules/shared-lib/")) expect(before.get(path)).not.toBe(ino);
  });

  it("really removes an uninstalled plugin: gone from node_modules and from the lock", async () => {
    await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0", "plugin-scripts": "1.0.0" }), npmOptions });
    const b = await sync({ dataDir, manifest: manifestWith({ "plugin-scripts": "1.0.0" }), npmOptions });
    expect(existsSync(join(b.path, "node_modules/plugin-ok"))).toBe(false);
    expect(existsSync(join(b.path, "node_modules/shared-lib"))).toBe(false);
    expect(await readdir(join(b.path, "node_modules"))).toEqual([".package-lock.json", "plugin-scripts"]);
    const lock = JSON.parse(await readFile(b.lockfile, "utf8"));
    expect(Object.keys(lock.packages).sort()).toEqual(["", "node_modules/plugin-scripts"]);
  });

  it("makes the same tree as a sync from nothing", async () => {
    await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0" }), npmOptions });
    const target = manifestWith({ "plugin-scripts": "1.0.0", "plugin-same-prefix": "1.0.0", "shared-lib": "1.0.0" });
    const incremental = await sync({ dataDir, manifest: target, npmOptions });
    const fresh = await sync({ bundleDir: join(dataDir, "fresh"), manifest: target, npmOptions, incremental: false });
    expect(await treeOf(incremental.path)).toEqual(await treeOf(fresh.path));
    expect(JSON.parse(await readFile(incremental.lockfile, "utf8")).packages).toEqual(JSON.parse(await readFile(fresh.lockfile, "utf8")).packages);
  });

  it("makes no bundle when nothing changed, and answers with the current one", async () => {
    const a = await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0" }), npmOptions });
    const b = await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0", "plugin-scripts": "1.0.0" }), npmOptions });
    const versions = await readdir(join(dataDir, "bundle.versions"));
    const again = await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0", "plugin-scripts": "1.0.0" }), npmOptions });
    expect(again).toMatchObject({ changed: false, path: b.path, previous: a.path });
    expect(b.changed).toBe(true);
    expect(await readdir(join(dataDir, "bundle.versions"))).toEqual(versions);
    expect(await currentBundle(dataDir)).toBe(b.path);
    // force: a new bundle all the same.
    const forced = await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0", "plugin-scripts": "1.0.0" }), npmOptions, force: true });
    expect(forced).toMatchObject({ changed: true, previous: b.path });
  });

  it("shares no file with the current bundle when lifecycle scripts may run (a script could patch a dependency in place)", async () => {
    const a = await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0" }), npmOptions });
    const b = await sync({ dataDir, manifest: manifestWith({ "plugin-ok": "^1.0.0", "shared-lib": "^1.0.0" }), npmOptions, ignoreScripts: false });
    const before = new Set((await inodes(a.path)).values());
    for (const ino of (await inodes(b.path)).values()) expect(before.has(ino)).toBe(false);
    expect(await treeOf(b.path)).toEqual(await treeOf(a.path));
  });

  it("installs exactly an imposed lockfile: another bundle's versions, not the newest that fit", async () => {
    // A lock made elsewhere pins shared-lib 1.0.0 under a range that also takes 2.0.0.
    const elsewhere = await sync({ bundleDir: join(dataDir, "elsewhere"), manifest: manifestWith({ "shared-lib": "1.0.0" }), npmOptions });
    const lock = JSON.parse(await readFile(elsewhere.lockfile, "utf8"));
    lock.packages[""].dependencies = { "shared-lib": "^1.0.0 || ^2.0.0" };
    const manifest = manifestWith({ "shared-lib": "^1.0.0 || ^2.0.0" });
    await sync({ dataDir, manifest: manifestWith({ "plugin-scripts": "1.0.0" }), npmOptions });
    const { path, changed } = await sync({ dataDir, manifest, lockfile: lock, npmOptions });
    expect(changed).toBe(true);
    expect(JSON.parse(await readFile(join(path, "node_modules/shared-lib/package.json"), "utf8")).version).toBe("1.0.0");
    expect(existsSync(join(path, "node_modules/plugin-scripts"))).toBe(false);
    // The same lock again: nothing to do.
    expect((await sync({ dataDir, manifest, lockfile: lock, npmOptions })).changed).toBe(false);
  });
});
