import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isCosmoError } from "@cosmo/core";
import pacote from "pacote";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import type {} from "@cosmo/test-kit/registry-setup";
import { absoluteSource } from "../src/operations/add";
import { bundleAndSync } from "../src/operations/apply";
import { syncBundle } from "../src/operations/sync";
import { createOperationsContext, type OperationsContext } from "../src/operations/context";
import { runnerPackageDir } from "../src/operations/host";
import { installPlugin, uninstallPlugin } from "../src/operations/install";
import { createReport } from "../src/operations/report";
import { createPluginStore } from "../src/store/create";
import { runnerDir, trackingBytes } from "./helpers/e2e";

const rejection = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe("plugin operations on a data dir", { timeout: 60_000 }, () => {
  let dataDir: string;
  let ctx: OperationsContext;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-ops-"));
    const store = await createPluginStore("memory:", { dataDir });
    ctx = createOperationsContext({ dataDir, store, npmOptions: { registry: inject("registryUrl"), cache: join(dataDir, "npm-cache") } });
  });
  afterEach(async () => {
    await ctx.store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("bundles with the cosmo-runner package as the host", () => {
    expect(runnerPackageDir()).toBe(runnerDir);
    expect(ctx.hostDir).toBe(runnerDir);
  });

  it("installs a compatible plugin: tracked and installed; installing it again changes nothing", async () => {
    const record = await ctx.store.create({ name: "plugin-ok", source: "plugin-ok" });
    expect(await installPlugin(ctx, record)).toMatchObject({ install_status: "installed", error_message: null, conflicts: null });
    expect((await trackingBytes(dataDir)).toString()).toBe("plugin-ok@1.0.0\n");
    expect(await installPlugin(ctx, record)).toMatchObject({ install_status: "installed" });
    expect((await trackingBytes(dataDir)).toString()).toBe("plugin-ok@1.0.0\n");
  });

  it("refuses a plugin peering @cosmo/core@^2 (the runner has 0.1.0): failed record with the rendered conflict, tracking untouched", async () => {
    const ok = await ctx.store.create({ name: "plugin-ok", source: "plugin-ok" });
    await installPlugin(ctx, ok);
    const bad = await ctx.store.create({ name: "plugin-peer-core-2", source: "plugin-peer-core-2" });
    const error = await rejection(installPlugin(ctx, bad));
    expect(isCosmoError(error) && error.code).toBe("COSMO_E_CONFLICT");
    expect((error as { details: { conflicts: unknown[] } }).details.conflicts).toEqual([
      expect.objectContaining({ plugin: "plugin-peer-core-2", package: "@cosmo/core", heldBy: { type: "host" } }),
    ]);
    const stored = await ctx.store.get(bad.id);
    // The conflicts are kept as data on the record, the text rendered from them beside it.
    expect(stored).toMatchObject({ install_status: "failed", conflicts: [expect.objectContaining({ kind: "peer", package: "@cosmo/core" })] });
    expect(stored?.error_message).toContain("Cosmo could not add plugin-peer-core-2");
    expect((await trackingBytes(dataDir)).toString()).toBe("plugin-ok@1.0.0\n");
  });

  it("records a source that is no package at all as failed, with the coded reason", async () => {
    const record = await ctx.store.create({ name: "x", source: "cosmo-fixture-no-such-package" });
    await rejection(installPlugin(ctx, record));
    expect((await ctx.store.get(record.id))?.error_message).toMatch(/not-found|COSMO_E_/);
  });

  it("names the record after the package the check resolved, not a guess from the source", async () => {
    const tarball = join(dataDir, "renamed.tgz");
    await writeFile(tarball, await pacote.tarball("plugin-ok@1.0.0", { registry: inject("registryUrl"), cache: join(dataDir, "npm-cache") }));
    const record = await ctx.store.create({ name: "renamed", source: tarball });
    expect(await installPlugin(ctx, record)).toMatchObject({ install_status: "installed", name: "plugin-ok" });
    await uninstallPlugin(ctx, record);
  });

  it("uninstalls a plugin that was never tracked without an error", async () => {
    const record = await ctx.store.create({ name: "plugin-ok", source: "plugin-ok" });
    expect(await uninstallPlugin(ctx, record)).toMatchObject({ install_status: "pending" });
  });

  it("bundles and syncs the tracked plugins into the data dir, and the report carries the lockfile", async () => {
    expect((await createReport(ctx)).lockfile).toBeNull();
    await installPlugin(ctx, await ctx.store.create({ name: "plugin-ok", source: "plugin-ok" }));
    const { bundle, sync } = await bundleAndSync(ctx);
    expect(bundle.plugins).toEqual(["plugin-ok"]);
    expect(JSON.parse(await readFile(join(dataDir, "package.bundled.json"), "utf8"))).toMatchObject({ name: "cosmo-runner-bundled" });
    const report = await createReport(ctx);
    expect(report.bundle).toMatchObject({ id: sync.bundle });
    expect((report.lockfile as { packages: Record<string, unknown> }).packages["node_modules/plugin-ok"]).toMatchObject({ version: "1.0.0" });
  });

  it("reports the bundle a server serves, not the one a sync has just made current", async () => {
    await installPlugin(ctx, await ctx.store.create({ name: "plugin-ok", source: "plugin-ok" }));
    const served = await bundleAndSync(ctx);
    await installPlugin(ctx, await ctx.store.create({ name: "plugin-scripts", source: "plugin-scripts" }));
    const next = await bundleAndSync(ctx);
    expect(next.sync.bundle).not.toBe(served.sync.bundle);
    // The link points at the next bundle already; a worker still serving the first reports that one.
    const report = await createReport(ctx, {}, { served: served.sync.path });
    expect(report.bundle).toMatchObject({ id: served.sync.bundle });
    expect(Object.keys((report.lockfile as { packages: Record<string, unknown> }).packages)).not.toContain("node_modules/plugin-scripts");
    expect((await createReport(ctx)).bundle).toMatchObject({ id: next.sync.bundle });
    expect(await createReport(ctx, {}, { served: null })).toMatchObject({ bundle: null, lockfile: null });
  });

  it("refuses to sync before anything was bundled", async () => {
    const error = await rejection(syncBundle(ctx));
    expect(isCosmoError(error) && error.code).toBe("COSMO_E_SYNC_FAILED");
    expect(String((error as Error).message)).toContain("cosmo-runner bundle");
  });
});

describe("absoluteSource", () => {
  it("makes relative paths absolute and leaves npm specs alone", () => {
    expect(absoluteSource("./plugin.tgz")).toBe(join(process.cwd(), "plugin.tgz"));
    expect(absoluteSource("file:../x")).toBe(`file:${join(process.cwd(), "..", "x")}`);
    expect(absoluteSource("plugin-ok@^1")).toBe("plugin-ok@^1");
    expect(absoluteSource("/abs/dir")).toBe("/abs/dir");
    // A bare tarball name, as `npm pack` prints it: npm reads it as a file here, so do we.
    expect(absoluteSource("plugin-1.0.0.tgz")).toBe(join(process.cwd(), "plugin-1.0.0.tgz"));
    expect(absoluteSource("./plugin.tgz", "/srv/plugins")).toBe("/srv/plugins/plugin.tgz");
  });
});
