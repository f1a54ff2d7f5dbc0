import { mkdtemp, mkdir, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkHostRange,
  coreVersion,
  currentPlugin,
  discoverPlugins,
  loadPlugin,
  loadPlugins,
  PluginService,
  validateManifest,
  type DiscoveredPlugin,
} from "../src/index";
import { makeNodeModules, type TempNodeModules } from "./helpers/node-modules";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const VALID = ["valid-esm", "valid-cjs", "scoped", "class-export", "define-plugin"];
const FAILING = [
  "missing-module",
  "missing-export",
  "wrong-export",
  "constructor-throws",
  "setup-rejects",
  "setup-throws",
  "setup-hangs",
  "host-range-mismatch",
];

let nm: TempNodeModules;
let byCase: Map<string, DiscoveredPlugin>;

beforeAll(async () => {
  nm = await makeNodeModules([...VALID, ...FAILING, "route-throws", "teardown-throws"]);
  const { plugins } = await discoverPlugins({ roots: [nm.root] });
  byCase = new Map(plugins.map((p) => [p.manifest.name, p]));
});
afterAll(() => nm?.cleanup());

function discovered(name: string): DiscoveredPlugin {
  const found = byCase.get(name);
  if (!found) throw new Error(`fixture ${name} was not discovered`);
  return found;
}

describe("loadPlugin", () => {
  it.each([
    ["missing-module", "COSMO_E_PLUGIN_MODULE_NOT_FOUND"],
    ["missing-export", "COSMO_E_PLUGIN_EXPORT_NOT_FOUND"],
    ["wrong-export", "COSMO_E_PLUGIN_EXPORT_INVALID"],
    ["constructor-throws", "COSMO_E_PLUGIN_CONSTRUCTOR_FAILED"],
    ["setup-rejects", "COSMO_E_PLUGIN_SETUP_FAILED"],
    ["setup-throws", "COSMO_E_PLUGIN_SETUP_FAILED"],
    ["setup-hangs", "COSMO_E_PLUGIN_SETUP_TIMEOUT"],
    ["host-range-mismatch", "COSMO_E_HOST_RANGE"],
  ])("records %s as failed with %s, without throwing", async (name, code) => {
    const service = new PluginService({ logger: quiet, setupTimeout: 25 });
    const info = await loadPlugin(discovered(name), service);
    expect(info).toMatchObject({ name, status: "failed", routes: [], error: { code } });
    expect(info.error?.message).toContain(name);
    expect(service.get(name)).toMatchObject({ status: "failed", error: { code } });
    expect(service.get(name)?.source?.packageName).toBe(`fixture-${name}`);
  });

  it("describes a wrong export by what it is (the number 42)", async () => {
    const info = await loadPlugin(discovered("wrong-export"), new PluginService({ logger: quiet }));
    expect(info.error?.details).toMatchObject({ export: "WrongExport", found: "a number (42)" });
  });

  it.each([
    ["valid-esm", "ES module, named export"],
    ["valid-cjs", "CommonJS module.exports property"],
    ["scoped", "scoped package"],
    ["class-export", "export of package.json main"],
    ["define-plugin", "definePlugin default export"],
  ])("loads %s (%s) as active", async (name) => {
    const service = new PluginService({ logger: quiet });
    const info = await loadPlugin(discovered(name), service);
    expect(info.error).toBeUndefined();
    expect(info.status).toBe("active");
  });

  it("passes each plugin its own config entry only", async () => {
    const service = new PluginService({ logger: quiet });
    await loadPlugin(discovered("valid-esm"), service, { config: { "valid-esm": { a: 1 }, other: { secret: true } } });
    const [route] = service.routes();
    expect(route?.ctx.config).toEqual({ a: 1 });
  });
});

// Writes a one-off package into a temp dir, for resolution cases no named fixture covers.
async function tempPackage(files: Record<string, string>, pluginClass: string, packageJson: Record<string, unknown>) {
  const dir = await realpath(await mkdtemp(join(tmpdir(), "cosmo-loader-")));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  // Set after validation, so a test can also hand the loader a plugin_class the schema refuses.
  const manifest = { ...validateManifest({ name: "temp", version: "1.0.0", plugin_class: ":default" }, "temp"), plugin_class: pluginClass };
  const plugin: DiscoveredPlugin = { packageName: "temp", packageVersion: "1.0.0", dir, manifest, packageJson, root: tmpdir() };
  return { plugin, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

describe("module resolution", () => {
  it("takes a CommonJS export Node's static analysis cannot see from module.exports", async () => {
    const code = 'const out = {};\nout["Dyn" + "amic"] = class { setup() {} };\nmodule.exports = out;\n';
    const { plugin, cleanup } = await tempPackage({ "lib/index.cjs": code }, "./lib/index.cjs:Dynamic", { name: "temp" });
    try {
      expect((await loadPlugin(plugin, new PluginService({ logger: quiet }))).status).toBe("active");
    } finally {
      await cleanup();
    }
  });

  it("finds the main entry through package.json exports conditions", async () => {
    const code = "export default { setup() {} };\n";
    const exportsField = { ".": { types: "./dist/index.d.ts", import: "./dist/index.mjs", require: "./dist/index.cjs" } };
    const { plugin, cleanup } = await tempPackage({ "dist/index.mjs": code }, ":default", { name: "temp", exports: exportsField });
    try {
      expect((await loadPlugin(plugin, new PluginService({ logger: quiet }))).status).toBe("active");
    } finally {
      await cleanup();
    }
  });

  it("picks the exports condition Node's import() would: the first matching key as written, not a fixed order", async () => {
    // Node's import() does not match "module" (a bundler condition): it takes "default" here.
    const exportsField = { ".": { module: "./esm.mjs", default: "./main.mjs" } };
    const files = { "esm.mjs": "export default 42;\n", "main.mjs": "export default { setup() {} };\n" };
    const { plugin, cleanup } = await tempPackage(files, ":default", { name: "temp", exports: exportsField });
    try {
      expect((await loadPlugin(plugin, new PluginService({ logger: quiet }))).status).toBe("active");
    } finally {
      await cleanup();
    }
  });

  it("refuses a module outside the package even from an unvalidated manifest, as COSMO_E_PLUGIN_MODULE_NOT_FOUND", async () => {
    const { plugin, cleanup } = await tempPackage({ "index.js": "" }, "../outside.js:X", { name: "temp" });
    try {
      const info = await loadPlugin(plugin, new PluginService({ logger: quiet }));
      expect(info.error?.code).toBe("COSMO_E_PLUGIN_MODULE_NOT_FOUND");
    } finally {
      await cleanup();
    }
  });

  it("records a module whose top level throws as COSMO_E_PLUGIN_IMPORT_FAILED", async () => {
    const { plugin, cleanup } = await tempPackage({ "index.mjs": 'throw new Error("top-level boom");\n' }, "./index.mjs:X", { name: "temp" });
    try {
      const info = await loadPlugin(plugin, new PluginService({ logger: quiet }));
      expect(info.error).toMatchObject({ code: "COSMO_E_PLUGIN_IMPORT_FAILED", details: { reason: "top-level boom" } });
    } finally {
      await cleanup();
    }
  });
});

describe("loading an ES module", () => {
  it("loads a module with top-level await (require() refuses it; import() takes it)", async () => {
    const code = "const ready = await Promise.resolve(true);\nexport class Plugin { setup(ctx) { if (!ready) throw new Error('not ready'); } }\n";
    const { plugin, cleanup } = await tempPackage({ "index.mjs": code }, "./index.mjs:Plugin", { name: "temp" });
    try {
      expect((await loadPlugin(plugin, new PluginService({ logger: quiet }))).status).toBe("active");
    } finally {
      await cleanup();
    }
  });

  it("evaluates a plugin's module once: a later import() of it gets the same module, and its top level ran as the plugin", async () => {
    const code = [
      "globalThis.__cosmoLoads = (globalThis.__cosmoLoads ?? 0) + 1;",
      "export const loadedAs = globalThis.__cosmoWho();",
      // Node's own import() (one in the test file would go through vitest's module runner).
      "globalThis.__cosmoReimport = () => import(import.meta.url);",
      "export class Plugin { setup() {} }",
      "",
    ].join("\n");
    const { plugin, cleanup } = await tempPackage({ "index.mjs": code }, "./index.mjs:Plugin", { name: "temp" });
    const scope = globalThis as { __cosmoWho?: () => string | undefined; __cosmoLoads?: number; __cosmoReimport?: () => Promise<{ loadedAs: string }> };
    scope.__cosmoWho = currentPlugin;
    try {
      expect((await loadPlugin(plugin, new PluginService({ logger: quiet }))).status).toBe("active");
      const again = await scope.__cosmoReimport!();
      expect([scope.__cosmoLoads, again.loadedAs]).toEqual([1, "temp"]);
    } finally {
      delete scope.__cosmoWho;
      delete scope.__cosmoLoads;
      delete scope.__cosmoReimport;
      await cleanup();
    }
  });
});

describe("loadPlugins", () => {
  it("loads the good plugins while the bad ones fail beside them", async () => {
    const service = new PluginService({ logger: quiet, setupTimeout: 25 });
    const infos = await loadPlugins([...VALID, ...FAILING].map(discovered), service);
    const status = Object.fromEntries(infos.map((i) => [i.name, i.status]));
    for (const name of VALID) expect(status[name]).toBe("active");
    for (const name of FAILING) expect(status[name]).toBe("failed");
    expect(service.list().map((p) => p.name)).toEqual([...VALID, ...FAILING]);
    await service.shutdown();
  });

  it("records a second package claiming a loaded plugin's name as a failure, leaving the first active", async () => {
    const service = new PluginService({ logger: quiet });
    const first = discovered("valid-esm");
    const [, second] = await loadPlugins([first, { ...first, packageName: "fixture-impostor" }], service);
    expect(second?.error?.code).toBe("COSMO_E_PLUGIN_ALREADY_REGISTERED");
    expect(service.get("valid-esm")).toMatchObject({ status: "active", source: { packageName: "fixture-valid-esm" } });
  });
});

describe("checkHostRange", () => {
  const withRange = (cosmo: string) => validateManifest({ name: "p", version: "1.0.0", plugin_class: ":P", cosmo }, "p");

  it("accepts the running core version when it satisfies the range", () => {
    expect(() => checkHostRange(withRange(`^${coreVersion}`))).not.toThrow();
  });

  it("counts a prerelease core as inside a range it would satisfy once released", () => {
    expect(() => checkHostRange(withRange(">=0.1.0"), "0.2.0-beta.1")).not.toThrow();
  });

  it("throws COSMO_E_HOST_RANGE naming the range and the host's version", () => {
    expect(() => checkHostRange(withRange(">=99"), "0.1.0")).toThrow(expect.objectContaining({ code: "COSMO_E_HOST_RANGE", details: { plugin: "p", range: ">=99", version: "0.1.0" } }));
  });
});
