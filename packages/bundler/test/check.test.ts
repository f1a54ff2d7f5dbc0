import { mkdir, mkdtemp, readdir, realpath, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Arborist from "@npmcli/arborist";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createBundledManifest } from "../src/bundle";
import { check, createChecker } from "../src/check";
import type { Conflict } from "../src/conflicts";
import { sync } from "../src/sync";
import { createTestHost, type TestHost } from "./helpers/host";
import { hashTree, publishDirectory } from "@cosmo/test-kit";

const only = (conflicts: Conflict[], kind: Conflict["kind"]) => conflicts.filter((c) => c.kind === kind);

describe("check: the in-memory conflict check", () => {
  const registry = inject("registryUrl");
  let host: TestHost; // @cosmo/core (linked) + shared-lib@^1
  let bare: TestHost; // @cosmo/core only
  let dataDir: string;

  beforeAll(async () => {
    [host, bare] = await Promise.all([
      createTestHost({ registry }),
      createTestHost({ registry, dependencies: {}, name: "bare-host" }),
    ]);
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-data-"));
    await mkdir(join(dataDir, "plugins"));
    await writeFile(join(dataDir, "plugins", "installed_plugins.txt"), "plugin-ok@^1\n");
  });
  afterAll(async () => {
    await Promise.all([host.cleanup(), bare.cleanup(), rm(dataDir, { recursive: true, force: true })]);
  });

  const run = (h: TestHost, installed: string[], candidate: string, extra: object = {}) =>
    check({ host: h.dir, installed, candidate, npmOptions: h.npmOptions, dataDir, ...extra });

  it("accepts a compatible plugin and returns the ideal tree with the host's packages as links", async () => {
    const result = await run(host, [], "plugin-ok@^1");
    expect(result).toMatchObject({ ok: true, conflicts: [] });
    const tree = result.tree as Arborist.Node;
    expect(tree.children.get("plugin-ok")?.isLink).toBe(false);
    expect(tree.children.get("shared-lib")?.isLink).toBe(true);
    expect(tree.children.get("@cosmo/core")?.isLink).toBe(true);
  });

  it("writes nothing: host dir and data dir stay byte-identical and no temp file is left", async () => {
    const tmp = await mkdtemp(join(tmpdir(), "cosmo-tmp-"));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp; // this file runs in its own worker: only our check sees it
    try {
      const before = [await hashTree(host.dir), await hashTree(dataDir)];
      const result = await run(host, ["plugin-ok@^1"], "plugin-peer-shared-1");
      expect(result.ok).toBe(true);
      expect([await hashTree(host.dir), await hashTree(dataDir)]).toEqual(before);
      expect(await readdir(tmp)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      await rm(tmp, { recursive: true, force: true });
    }
  });

  // Regression: with the host links given to Arborist as `add` specs (made relative), a plugin
  // peering a host package that sorts after it crashed placement: "Cannot read properties of null
  // (reading 'matches')". The root's specs now stay absolute (src/ideal-tree.ts).
  it("accepts a plugin peering a host package whose name sorts after its own", async () => {
    const { ok, conflicts } = await run(host, [], "plugin-peer-shared-1");
    expect(conflicts).toEqual([]);
    expect(ok).toBe(true);
  });

  it("finds a peer conflict between two plugins, naming both (shared-lib ^1 vs ^2)", async () => {
    const { ok, conflicts } = await run(bare, ["plugin-peer-shared-1"], "plugin-peer-shared-2");
    expect(ok).toBe(false);
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({
      kind: "peer",
      plugin: "plugin-peer-shared-2",
      package: "shared-lib",
      wanted: "^2.0.0",
      found: "1.0.0",
      heldBy: { type: "plugin", name: "plugin-peer-shared-1" },
      heldRange: "^1.0.0",
    });
  });

  it("finds a peer conflict between a plugin and the host's own shared-lib", async () => {
    const { conflicts } = await run(host, [], "plugin-peer-shared-2");
    expect(conflicts).toEqual([
      expect.objectContaining({ kind: "peer", plugin: "plugin-peer-shared-2", package: "shared-lib", wanted: "^2.0.0", found: "1.0.0", heldBy: { type: "host" } }),
    ]);
  });

  it("rejects a plugin peering @cosmo/core ^2 on the 0.x host (the linked workspace copy)", async () => {
    const { conflicts } = await run(host, ["plugin-ok@^1"], "plugin-peer-core-2");
    expect(conflicts).toEqual([
      expect.objectContaining({ kind: "peer", plugin: "plugin-peer-core-2", package: "@cosmo/core", wanted: "^2.0.0", found: expect.stringMatching(/^0\./), heldBy: { type: "host" } }),
    ]);
  });

  it("reports a dependency that is in no registry as not-found, charged to the plugin", async () => {
    const { conflicts } = await run(host, [], "plugin-missing-dep");
    expect(conflicts).toEqual([
      expect.objectContaining({ kind: "not-found", plugin: "plugin-missing-dep", package: "cosmo-fixture-no-such-package" }),
    ]);
    const self = await run(host, [], "cosmo-fixture-no-such-plugin@^1");
    expect(self.conflicts).toEqual([expect.objectContaining({ kind: "not-found", plugin: "cosmo-fixture-no-such-plugin", package: "cosmo-fixture-no-such-plugin" })]);
  });

  it("reports a range no version matches as no-matching-version, listing what exists", async () => {
    const { conflicts } = await run(host, [], "plugin-bad-version");
    expect(conflicts).toEqual([
      expect.objectContaining({ kind: "no-matching-version", plugin: "plugin-bad-version", package: "shared-lib", wanted: "^9.0.0", versions: ["1.0.0", "2.0.0"] }),
    ]);
    const self = await run(host, [], "plugin-ok@^5");
    expect(self.conflicts).toEqual([expect.objectContaining({ kind: "no-matching-version", plugin: "plugin-ok", package: "plugin-ok", wanted: "^5" })]);
  });

  it("rejects a plugin whose engines.node excludes the running Node", async () => {
    const { conflicts } = await run(host, [], "plugin-old-node");
    expect(conflicts).toEqual([
      { kind: "engine", plugin: "plugin-old-node", package: "plugin-old-node", version: "1.0.0", wanted: "<10", found: process.version },
    ]);
  });

  it("rejects a plugin whose cosmo range excludes the host's @cosmo/core", async () => {
    const { conflicts } = await run(host, [], "plugin-future-host");
    expect(conflicts).toEqual([
      { kind: "host-range", plugin: "plugin-future-host", wanted: ">=99", found: expect.stringMatching(/^0\./) },
    ]);
  });

  it("rejects a second copy of a package the host shares (option or cosmo.shared), and allows it otherwise", async () => {
    expect((await run(host, [], "plugin-own-shared-lib")).ok).toBe(true);
    const { conflicts } = await run(host, [], "plugin-own-shared-lib", { sharedSingletons: ["shared-lib"] });
    expect(conflicts).toEqual([
      { kind: "duplicate-singleton", plugin: "plugin-own-shared-lib", package: "shared-lib", version: "2.0.0", hostVersion: "1.0.0" },
    ]);
    const sharing = await createTestHost({ registry, shared: ["shared-lib"], name: "sharing-host" });
    try {
      const viaField = await run(sharing, [], "plugin-own-shared-lib");
      expect(only(viaField.conflicts, "duplicate-singleton")).toHaveLength(1);
    } finally {
      await sharing.cleanup();
    }
  });

  it("rejects a plugin claiming a webhook prefix another plugin uses", async () => {
    const { conflicts } = await run(host, ["plugin-ok@^1"], "plugin-same-prefix");
    expect(conflicts).toEqual([
      { kind: "prefix-collision", plugin: "plugin-same-prefix", prefix: "/ok", otherPrefix: "/ok", other: "plugin-ok" },
    ]);
  });

  it("rejects a plugin whose cosmo.json name another plugin already uses", async () => {
    const { conflicts } = await run(host, ["plugin-ok@^1"], "plugin-same-name");
    expect(conflicts).toEqual([
      { kind: "name-collision", plugin: "plugin-same-name", name: "plugin-ok", other: "plugin-ok" },
    ]);
  });

  it("rejects a package without cosmo.json, and one whose cosmo.json is invalid, naming the fields", async () => {
    const none = await run(host, [], "not-a-plugin");
    expect(none.conflicts).toEqual([{ kind: "not-a-plugin", plugin: "not-a-plugin", problem: "no-manifest" }]);
    const invalid = await run(host, [], "plugin-invalid-manifest");
    expect(invalid.conflicts).toEqual([
      {
        kind: "not-a-plugin",
        plugin: "plugin-invalid-manifest",
        problem: "manifest-invalid",
        issues: expect.arrayContaining([expect.objectContaining({ field: "plugin_class" }), expect.objectContaining({ field: "version" })]),
      },
    ]);
  });

  it("answers forbidden-source for a git plugin the host has not opted in to, without fetching", async () => {
    const { ok, conflicts } = await run(host, [], "github:acme/cosmo-plugin");
    expect(ok).toBe(false);
    expect(conflicts).toEqual([expect.objectContaining({ kind: "forbidden-source", plugin: "github:acme/cosmo-plugin", sourceType: "git" })]);
  });

  it("answers forbidden-source for a registry plugin with a git dependency, refused by Arborist before any fetch", async () => {
    const { conflicts } = await run(host, [], "plugin-git-dep");
    expect(conflicts).toEqual([
      expect.objectContaining({ kind: "forbidden-source", plugin: "plugin-git-dep", sourceType: "git", package: expect.stringContaining("github:cosmo-fixtures/git-only-lib") }),
    ]);
  });

  it("checks a local directory plugin as a real (packed) node, peers included", async () => {
    const dir = join(dataDir, "..", `${dataDir.split("/").pop()}-src`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "package.json"), JSON.stringify({ name: "local-plugin", version: "0.0.1", peerDependencies: { "shared-lib": "^2.0.0" } }));
    await writeFile(join(dir, "cosmo.json"), JSON.stringify({ name: "local-plugin", version: "0.0.1", plugin_class: "./index.js:Local" }));
    try {
      const { conflicts } = await run(host, [], dir);
      // As a Link its peer would go unchecked; packed, the host's shared-lib 1 is caught.
      expect(conflicts).toEqual([{ kind: "peer", plugin: "local-plugin", package: "shared-lib", wanted: "^2.0.0", found: "1.0.0", heldBy: { type: "host" }, heldRange: null }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("createChecker: resolver state kept across checks", () => {
  const registry = inject("registryUrl");
  let host: TestHost;
  let bundleDir: string;
  let requests: string[];
  let proxyUrl: string;
  let closeProxy: () => Promise<void>;

  beforeAll(async () => {
    // A counting proxy in front of the test registry: what a check really asks for.
    requests = [];
    const proxy = createServer(async (req, res) => {
      requests.push(req.url ?? "");
      const upstream = await fetch(new URL(req.url ?? "/", registry), { headers: { accept: String(req.headers.accept ?? "*/*") } });
      const body = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/octet-stream" });
      // Packuments name tarball URLs on the registry: point them at the proxy so those are counted too.
      const json = upstream.headers.get("content-type")?.includes("json") ?? false;
      res.end(json ? body.toString("utf8").split(registry).join(proxyUrl) : body);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const address = proxy.address() as { port: number };
    proxyUrl = `http://127.0.0.1:${address.port}/`;
    closeProxy = () => new Promise((r) => { proxy.closeAllConnections(); proxy.close(() => r()); });

    host = await createTestHost({ registry });
    host.npmOptions.registry = proxyUrl;
    // The current bundle, as sync leaves it: the bundled manifest as package.json plus its lockfile.
    bundleDir = join(host.dir, "..", "bundle");
    await mkdir(bundleDir);
    const manifest = await createBundledManifest({ hostDir: host.dir, sources: ["plugin-ok@^1", "plugin-peer-shared-1"] });
    await writeFile(join(bundleDir, "package.json"), JSON.stringify(manifest, null, 2));
    await new Arborist({ ...host.npmOptions, path: bundleDir, ignoreScripts: true, audit: false } as Arborist.Options).reify({ packageLockOnly: true } as never);
  });
  afterAll(async () => {
    await closeProxy();
    await host.cleanup();
  });

  it("starts from the bundle's lockfile and answers the second check without the registry", async () => {
    const checker = createChecker({ host: host.dir, bundleDir, npmOptions: host.npmOptions });
    const installed = ["plugin-ok@^1", "plugin-peer-shared-1"];
    const before = await hashTree(bundleDir);
    const first = await checker.check({ installed, candidate: "plugin-same-name" });
    expect(first.conflicts.map((c) => c.kind)).toEqual(["name-collision"]);
    requests.length = 0;
    const second = await checker.check({ installed, candidate: "plugin-same-name" });
    expect(second.conflicts).toEqual(first.conflicts);
    expect(requests).toEqual([]);
    expect(await hashTree(bundleDir)).toEqual(before);
  });

  it("starts from the bundle sync left in <dataDir>/bundle (a symlink) and writes nothing there", async () => {
    const dataDir = join(host.dir, "..", "data");
    const installed = ["plugin-ok@^1"];
    const manifest = await createBundledManifest({ hostDir: host.dir, sources: installed });
    const { path } = await sync({ dataDir, manifest, npmOptions: host.npmOptions });
    const before = await hashTree(dataDir);
    const checker = createChecker({ host: host.dir, dataDir, npmOptions: host.npmOptions });
    const result = await checker.check({ installed, candidate: "plugin-peer-shared-1" });
    expect(result.conflicts).toEqual([]);
    expect(result.tree?.path).toBe(await realpath(path));
    expect(await hashTree(dataDir)).toEqual(before);
  });

  it("sees a version published after its packument was cached (asks the registry again before saying no)", async () => {
    // A plugin of this test's own, so no other test has its packument in a cache.
    const name = `late-plugin-${process.pid}-${Date.now()}`;
    const dir = await mkdtemp(join(tmpdir(), "cosmo-late-"));
    const publish = async (version: string) => {
      await writeFile(join(dir, "package.json"), JSON.stringify({ name, version, main: "index.js" }));
      await writeFile(join(dir, "cosmo.json"), JSON.stringify({ name, version, plugin_class: "./index.js:Late" }));
      await writeFile(join(dir, "index.js"), "export class Late { setup() {} }\n");
      await publishDirectory(registry, dir);
    };
    try {
      await publish("1.0.0");
      const checker = createChecker({ host: host.dir, npmOptions: host.npmOptions });
      expect((await checker.check({ installed: [], candidate: `${name}@^1.0.0` })).ok).toBe(true);
      await publish("1.1.0");
      const later = await checker.check({ installed: [], candidate: `${name}@^1.1.0` });
      expect(later.conflicts).toEqual([]);
      expect(later.tree?.children.get(name)?.version).toBe("1.1.0");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("still finds conflicts with the plugins already in the bundle", async () => {
    const checker = createChecker({ host: host.dir, bundleDir, npmOptions: host.npmOptions });
    const { conflicts } = await checker.check({ installed: ["plugin-ok@^1", "plugin-peer-shared-1"], candidate: "plugin-same-prefix" });
    expect(conflicts).toEqual([expect.objectContaining({ kind: "prefix-collision", other: "plugin-ok" })]);
  });

  it("still finds a second copy of a shared package once a bundle exists (it was blind to it)", async () => {
    const sharing = await createTestHost({ registry, shared: ["shared-lib"], name: "sharing-bundled-host" });
    const dataDir = join(sharing.dir, "..", "data");
    try {
      const installed = ["plugin-ok@^1"];
      await sync({ dataDir, manifest: await createBundledManifest({ hostDir: sharing.dir, sources: installed }), npmOptions: sharing.npmOptions });
      const checker = createChecker({ host: sharing.dir, dataDir, npmOptions: sharing.npmOptions });
      const own = await checker.check({ installed, candidate: "plugin-own-shared-lib" });
      expect(own.conflicts).toEqual([
        { kind: "duplicate-singleton", plugin: "plugin-own-shared-lib", package: "shared-lib", version: "2.0.0", hostVersion: "1.0.0" },
      ]);
      // @cosmo/core is one copy whatever the host declares: a plugin bringing its own (here ^9,
      // through an npm alias) is refused, with a bundle and without.
      const core = await checker.check({ installed, candidate: "plugin-own-core" });
      expect(core.conflicts).toEqual([
        { kind: "duplicate-singleton", plugin: "plugin-own-core", package: "@cosmo/core", version: "9.0.0", hostVersion: expect.stringMatching(/^0\./) },
      ]);
      const fresh = await check({ host: sharing.dir, installed: [], candidate: "plugin-own-core", npmOptions: sharing.npmOptions });
      expect(fresh.conflicts.map((c) => c.kind)).toEqual(["duplicate-singleton"]);
    } finally {
      await sharing.cleanup();
    }
  });

  it("installs the newest version that fits: a bare name skips a version needing a future core and one whose peer conflicts", async () => {
    const checker = createChecker({ host: host.dir, npmOptions: host.npmOptions });
    const result = await checker.check({ installed: [], candidate: "plugin-versions" });
    expect(result.ok).toBe(true);
    expect(result.plugin).toMatchObject({ name: "plugin-versions", version: "1.1.0", integrity: expect.stringMatching(/^sha512-/) });
    expect(result.tree?.children.get("plugin-versions")?.version).toBe("1.1.0");
    expect(result.skipped).toEqual([
      { version: "2.0.0", conflicts: [{ kind: "host-range", plugin: "plugin-versions", wanted: ">=99", found: expect.any(String) }] },
      {
        version: "1.2.0",
        conflicts: [{ kind: "peer", plugin: "plugin-versions", package: "shared-lib", wanted: "^2.0.0", found: "1.0.0", heldBy: { type: "host" }, heldRange: null }],
      },
    ]);
  });

  it("walks a range the same way, and an exact version is checked as it is, with nothing skipped", async () => {
    const checker = createChecker({ host: host.dir, npmOptions: host.npmOptions });
    expect(await checker.check({ installed: [], candidate: "plugin-versions@^1.0.0" })).toMatchObject({ ok: true, plugin: { version: "1.1.0" } });
    const exact = await checker.check({ installed: [], candidate: "plugin-versions@2.0.0" });
    expect(exact).toMatchObject({ ok: false, skipped: [], conflicts: [{ kind: "host-range" }] });
  });

  it("skips a version whose peer conflicts with an installed plugin's, naming that plugin", async () => {
    const bareHost = await createTestHost({ registry, dependencies: {}, name: "bare-walk-host" });
    try {
      const result = await check({ host: bareHost.dir, installed: ["plugin-peer-shared-1"], candidate: "plugin-versions", npmOptions: bareHost.npmOptions });
      expect(result).toMatchObject({ ok: true, plugin: { version: "1.1.0" } });
      expect(result.skipped.map((s) => [s.version, s.conflicts.map((c) => c.kind)])).toEqual([
        ["2.0.0", ["host-range"]],
        ["1.2.0", ["peer"]],
      ]);
      expect(result.skipped[1]?.conflicts[0]).toMatchObject({ heldBy: { type: "plugin", name: "plugin-peer-shared-1" } });
      // With nothing on shared-lib installed, 1.2.0 is the newest that fits.
      expect(await check({ host: bareHost.dir, installed: [], candidate: "plugin-versions", npmOptions: bareHost.npmOptions })).toMatchObject({ plugin: { version: "1.2.0" } });
    } finally {
      await bareHost.cleanup();
    }
  });

  it("answers with the newest version's conflicts, and every version tried, when none fits", async () => {
    const result = await check({ host: host.dir, installed: [], candidate: "plugin-versions@>=1.2.0", npmOptions: host.npmOptions });
    expect(result.ok).toBe(false);
    expect(result.conflicts).toEqual([expect.objectContaining({ kind: "host-range" })]);
    expect(result.skipped.map((s) => s.version)).toEqual(["2.0.0", "1.2.0"]);
  });

  it("lists the newer versions of an installed plugin, newest first, each with whether it fits and why not", async () => {
    const checker = createChecker({ host: host.dir, npmOptions: host.npmOptions });
    const newer = await checker.newerVersions({ name: "plugin-versions", current: "1.0.0", installed: ["plugin-ok@^1"] });
    expect(newer.map((v) => [v.version, v.fits, v.conflicts.map((c) => c.kind)])).toEqual([
      ["2.0.0", false, ["host-range"]],
      ["1.2.0", false, ["peer"]],
      ["1.1.0", true, []],
    ]);
    expect(await checker.newerVersions({ name: "plugin-versions", current: "2.0.0", installed: [] })).toEqual([]);
  });

  it("says a package installed from another source is already installed, at which version, and points to upgrade", async () => {
    const dataDir = join(host.dir, "..", "data-upgrade");
    const installed = ["plugin-ok@^1"];
    await sync({ dataDir, manifest: await createBundledManifest({ hostDir: host.dir, sources: installed }), npmOptions: host.npmOptions });
    const checker = createChecker({ host: host.dir, dataDir, npmOptions: host.npmOptions });
    const { ok, conflicts } = await checker.check({ installed, candidate: "plugin-ok@1.0.0" });
    expect(ok).toBe(false);
    expect(conflicts).toEqual([
      { kind: "already-installed", plugin: "plugin-ok", wanted: "plugin-ok@1.0.0", installedSource: "plugin-ok@^1", installedVersion: "1.0.0" },
    ]);
  });
});
