import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { discoverPlugins, type DiscoveryResult } from "../src/index";
import { FIXTURES_DIR, makeNodeModules, type TempNodeModules } from "./helpers/node-modules";

const VALID = ["valid-esm", "valid-cjs", "scoped", "class-export", "define-plugin"];
const BAD: Array<[string, string, string]> = [
  ["bad-json", "fixture-bad-json", "COSMO_E_MANIFEST_JSON"],
  ["missing-field", "fixture-missing-field", "COSMO_E_MANIFEST_INVALID"],
  ["wrong-types", "fixture-wrong-types", "COSMO_E_MANIFEST_INVALID"],
  ["bad-prefix", "fixture-bad-prefix", "COSMO_E_MANIFEST_INVALID"],
  ["reserved-prefix", "fixture-reserved-prefix", "COSMO_E_MANIFEST_INVALID"],
];

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function nodeModules(cases: string[], copy: string[] = []): Promise<TempNodeModules> {
  const nm = await makeNodeModules(cases, { copy });
  cleanups.push(nm.cleanup);
  return nm;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cosmo-discovery-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes a package into a node_modules root; a string is written as is, an object as JSON. */
async function writePackage(root: string, name: string, files: Record<string, unknown>): Promise<string> {
  const dir = join(root, name);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), typeof content === "string" ? content : JSON.stringify(content));
  }
  return dir;
}

const manifest = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  version: "1.0.0",
  plugin_class: "./index.js:Plugin",
  ...extra,
});

const names = (result: DiscoveryResult) => result.plugins.map((p) => p.packageName).sort();

describe("discoverPlugins", () => {
  it("finds plain, scoped and symlinked plugin packages with their manifest and package.json", async () => {
    const nm = await nodeModules(VALID, ["valid-cjs"]);
    const { plugins, diagnostics } = await discoverPlugins({ roots: [nm.root] });

    expect(diagnostics).toEqual([]);
    expect(plugins.map((p) => p.packageName).sort()).toEqual([
      "@fixtures/scoped",
      "fixture-class-export",
      "fixture-define-plugin",
      "fixture-valid-cjs",
      "fixture-valid-esm",
    ]);
    const scoped = plugins.find((p) => p.packageName === "@fixtures/scoped");
    expect(scoped).toMatchObject({
      packageVersion: "2.3.4",
      root: nm.root,
      manifest: { name: "scoped", plugin_class: "./plugin.js:ScopedPlugin", requires_webhooks: false },
      packageJson: { name: "@fixtures/scoped", main: "./plugin.js" },
    });
    const esm = plugins.find((p) => p.packageName === "fixture-valid-esm");
    expect(esm?.manifest).toMatchObject({ requires_webhooks: true, webhook_prefix: "/valid-esm", cosmo: ">=0.1.0" });
  });

  it("records a symlinked package at its realpath, where Node resolves its imports from", async () => {
    const nm = await nodeModules(["valid-esm", "scoped"]);
    const { plugins } = await discoverPlugins({ roots: [nm.root] });
    const dirs = Object.fromEntries(plugins.map((p) => [p.packageName, p.dir]));
    expect(dirs["fixture-valid-esm"]).toBe(await realpath(join(FIXTURES_DIR, "valid-esm")));
    expect(dirs["@fixtures/scoped"]).toBe(await realpath(join(FIXTURES_DIR, "scoped")));
  });

  it("records a plain (copied) package at its own directory inside the root", async () => {
    const nm = await nodeModules(["valid-cjs"], ["valid-cjs"]);
    const { plugins } = await discoverPlugins({ roots: [nm.root] });
    expect(plugins.map((p) => p.dir)).toEqual([await realpath(join(nm.root, "fixture-valid-cjs"))]);
  });

  it.each(BAD)("reports %s as a diagnostic with its code while the valid plugins are still found", async (fixture, pkg, code) => {
    const nm = await nodeModules([...VALID, fixture]);
    const { plugins, diagnostics } = await discoverPlugins({ roots: [nm.root] });

    expect(plugins).toHaveLength(VALID.length);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ packageName: pkg, code, dir: await realpath(join(FIXTURES_DIR, fixture)) });
    expect(diagnostics[0]?.message).toContain(pkg);
    expect(diagnostics[0]?.details).toMatchObject({ package: pkg });
  });

  it("reports every bad fixture at once, one diagnostic each", async () => {
    const nm = await nodeModules([...VALID, ...BAD.map(([fixture]) => fixture)]);
    const { plugins, diagnostics } = await discoverPlugins({ roots: [nm.root] });
    expect(plugins).toHaveLength(VALID.length);
    expect(diagnostics.map((d) => [d.packageName, d.code]).sort()).toEqual(BAD.map(([, pkg, code]) => [pkg, code]).sort());
  });

  it("names the offending fields in a manifest diagnostic's details", async () => {
    const nm = await nodeModules(["wrong-types"]);
    const { diagnostics } = await discoverPlugins({ roots: [nm.root] });
    const issues = diagnostics[0]?.details.issues as Array<{ field: string; expected: string; found: string }>;
    expect(issues.map((i) => i.field).sort()).toEqual(["requires_webhooks", "version"]);
    expect(issues.find((i) => i.field === "version")).toMatchObject({ expected: "a string", found: "number 1" });
  });

  it("skips packages without a cosmo.json, without a diagnostic", async () => {
    const nm = await nodeModules(["valid-esm"]);
    await writePackage(nm.root, "lodash", { "package.json": { name: "lodash", version: "4.17.21" }, "index.js": "" });
    await writePackage(nm.root, "@types/node", { "package.json": { name: "@types/node", version: "20.0.0" } });
    const result = await discoverPlugins({ roots: [nm.root] });
    expect(names(result)).toEqual(["fixture-valid-esm"]);
    expect(result.diagnostics).toEqual([]);
  });

  it("ignores .bin, dot-directories and loose files in the root", async () => {
    const nm = await nodeModules(["valid-esm"]);
    const hidden = { "package.json": { name: "hidden", version: "1.0.0" }, "cosmo.json": manifest("hidden") };
    await writePackage(nm.root, ".bin", hidden);
    await writePackage(nm.root, ".cache", hidden);
    await writeFile(join(nm.root, ".package-lock.json"), "{}");
    await writeFile(join(nm.root, "cosmo.json"), JSON.stringify(manifest("loose")));
    const result = await discoverPlugins({ roots: [nm.root] });
    expect(names(result)).toEqual(["fixture-valid-esm"]);
    expect(result.diagnostics).toEqual([]);
  });

  it("finds only top-level packages, not plugins nested in another package's node_modules", async () => {
    const nm = await nodeModules(["valid-esm"]);
    await writePackage(nm.root, "host-lib", {
      "package.json": { name: "host-lib", version: "1.0.0" },
      "node_modules/nested-plugin/package.json": { name: "nested-plugin", version: "1.0.0" },
      "node_modules/nested-plugin/cosmo.json": manifest("nested"),
    });
    expect(names(await discoverPlugins({ roots: [nm.root] }))).toEqual(["fixture-valid-esm"]);
  });

  it("skips a dangling symlink silently", async () => {
    const nm = await nodeModules(["valid-esm"]);
    await symlink(join(nm.root, "..", "gone"), join(nm.root, "dangling"));
    const result = await discoverPlugins({ roots: [nm.root] });
    expect(names(result)).toEqual(["fixture-valid-esm"]);
    expect(result.diagnostics).toEqual([]);
  });

  it("follows a symlinked scope directory", async () => {
    const nm = await nodeModules([]);
    const elsewhere = await tempDir();
    await writePackage(elsewhere, "linked", { "package.json": { name: "@linked/linked", version: "1.0.0" }, "cosmo.json": manifest("linked") });
    await symlink(elsewhere, join(nm.root, "@linked"));
    const { plugins } = await discoverPlugins({ roots: [nm.root] });
    expect(plugins.map((p) => [p.packageName, p.dir])).toEqual([["@linked/linked", await realpath(join(elsewhere, "linked"))]]);
  });

  it("reports a missing root as COSMO_E_DISCOVERY_ROOT and still searches the other roots", async () => {
    const nm = await nodeModules(["valid-esm"]);
    const missing = join(nm.root, "..", "no-such-node_modules");
    const { plugins, diagnostics } = await discoverPlugins({ roots: [missing, nm.root] });
    expect(names({ plugins, diagnostics })).toEqual(["fixture-valid-esm"]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: "COSMO_E_DISCOVERY_ROOT", dir: missing, packageName: undefined, details: { root: missing } });
    expect(diagnostics[0]?.message).toContain(missing);
  });

  it("reports a root that is a file, not a directory, as COSMO_E_DISCOVERY_ROOT", async () => {
    const file = join(await tempDir(), "node_modules");
    await writeFile(file, "");
    const result = await discoverPlugins({ roots: [file] });
    expect(result.plugins).toEqual([]);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["COSMO_E_DISCOVERY_ROOT"]);
  });

  it("reports a plugin whose package.json is missing or broken as COSMO_E_PACKAGE_JSON", async () => {
    const nm = await nodeModules(["valid-esm"]);
    await writePackage(nm.root, "no-package-json", { "cosmo.json": manifest("no-package-json") });
    await writePackage(nm.root, "broken-package-json", { "package.json": "{ nope", "cosmo.json": manifest("broken") });
    const { plugins, diagnostics } = await discoverPlugins({ roots: [nm.root] });
    expect(plugins.map((p) => p.packageName)).toEqual(["fixture-valid-esm"]);
    expect(diagnostics.map((d) => [d.packageName, d.code])).toEqual([
      ["broken-package-json", "COSMO_E_PACKAGE_JSON"],
      ["no-package-json", "COSMO_E_PACKAGE_JSON"],
    ]);
  });

  it("reports the second of two packages declaring one plugin name as COSMO_E_PLUGIN_NAME_COLLISION", async () => {
    const nm = await nodeModules([]);
    const pkg = (name: string) => ({ name, version: "1.0.0" });
    await writePackage(nm.root, "aaa-switch", { "package.json": pkg("aaa-switch"), "cosmo.json": manifest("switch") });
    await writePackage(nm.root, "zzz-switch", { "package.json": pkg("zzz-switch"), "cosmo.json": manifest("switch") });
    const { plugins, diagnostics } = await discoverPlugins({ roots: [nm.root] });

    expect(plugins.map((p) => p.packageName)).toEqual(["aaa-switch"]);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      packageName: "zzz-switch",
      code: "COSMO_E_PLUGIN_NAME_COLLISION",
      details: { package: "zzz-switch", plugin: "switch", other: "aaa-switch" },
    });
    expect(diagnostics[0]?.message).toMatch(/aaa-switch.*Uninstall one/);
  });

  it("lets an earlier root win a name collision with a later one", async () => {
    const first = await nodeModules([]);
    const second = await nodeModules([]);
    await writePackage(first.root, "zzz-first", { "package.json": { name: "zzz-first", version: "1.0.0" }, "cosmo.json": manifest("same") });
    await writePackage(second.root, "aaa-second", { "package.json": { name: "aaa-second", version: "1.0.0" }, "cosmo.json": manifest("same") });
    const { plugins, diagnostics } = await discoverPlugins({ roots: [first.root, second.root] });
    expect(plugins.map((p) => [p.packageName, p.root])).toEqual([["zzz-first", first.root]]);
    expect(diagnostics.map((d) => [d.packageName, d.code])).toEqual([["aaa-second", "COSMO_E_PLUGIN_NAME_COLLISION"]]);
  });

  it("counts a package reached through two roots once, not as a collision", async () => {
    const a = await nodeModules(["valid-esm"]);
    const b = await nodeModules(["valid-esm"]);
    const { plugins, diagnostics } = await discoverPlugins({ roots: [a.root, b.root] });
    expect(plugins.map((p) => p.root)).toEqual([a.root]);
    expect(diagnostics).toEqual([]);
  });

  it("returns plugins in a stable order, by root then package name", async () => {
    const nm = await nodeModules(VALID);
    const runs = await Promise.all([1, 2, 3].map(() => discoverPlugins({ roots: [nm.root] })));
    const orders = runs.map((r) => r.plugins.map((p) => p.packageName));
    expect(orders[0]).toEqual([...(orders[0] ?? [])].sort());
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
  });
});
