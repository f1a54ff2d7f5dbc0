/**
 * A plugin's versions end to end, through the real runner and CLI against the test registry:
 * `plugin-versions` has 1.0.0 and 1.1.0 (fit), 1.2.0 (peers shared-lib ^2, which conflicts with
 * the installed plugin-peer-shared-1) and 2.0.0 (needs a future core).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { registryEnv, freePort, startRunner, stopRunner, type CliProcess } from "@cosmo/test-kit";
import { api, cli, freshRequest, trackingBytes } from "./helpers/e2e";

describe("upgrade, downgrade and outdated", { timeout: 120_000 }, () => {
  let dataDir: string;
  let env: Record<string, string>;
  let runner: CliProcess & { url: string };
  let token: string;
  let id: string;
  const call = (method: string, path: string, body?: unknown) => api(runner.url, method, path, { token, body });
  const served = async () => (await freshRequest(`${runner.url}/versions/version`)).body;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-upgrade-"));
    env = (await registryEnv(inject("registryUrl"))).env as Record<string, string>;
    runner = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir], env);
    token = (await readFile(join(dataDir, "admin-token"), "utf8")).trim();
  });
  afterAll(async () => {
    await stopRunner(runner);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("installs an exact version and pins it; a bare name would pick the newest that fits", async () => {
    const peer = await call("POST", "/plugins", { source: "plugin-peer-shared-1" });
    expect((await call("POST", `/plugins/${peer.body.id}/install`)).status).toBe(200);
    const added = await call("POST", "/plugins", { source: "plugin-versions@1.0.0" });
    id = added.body.id;
    const installed = await call("POST", `/plugins/${id}/install`, { apply: true });
    expect(installed.status).toBe(200);
    expect(installed.body).toMatchObject({ name: "plugin-versions", version: "1.0.0", integrity: expect.stringMatching(/^sha512-/) });
    expect(await served()).toEqual({ version: "1.0.0" });
    expect((await trackingBytes(dataDir)).toString()).toBe("plugin-peer-shared-1@1.0.0\nplugin-versions@1.0.0\n");
  });

  it("says a source whose package is installed at another version is already installed, pointing to upgrade", async () => {
    const added = await call("POST", "/plugins", { source: "plugin-versions@1.1.0" });
    const refused = await call("POST", `/plugins/${added.body.id}/install`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.details.conflicts).toEqual([
      { kind: "already-installed", plugin: "plugin-versions", wanted: "plugin-versions@1.1.0", installedSource: "plugin-versions@1.0.0", installedVersion: "1.0.0" },
    ]);
    expect(refused.body.error.details.text).toContain("cosmo-runner plugins upgrade plugin-versions");
    expect((await call("DELETE", `/plugins/${added.body.id}`)).status).toBe(204);
  });

  it("lists the newer versions: which fit, and why the others do not", async () => {
    const listed = await cli(["plugins", "outdated", "--json", "--data-dir", dataDir], env);
    expect(listed.code).toBe(0);
    const plugin = JSON.parse(listed.stdout).plugins.find((p: { name: string }) => p.name === "plugin-versions");
    expect(plugin).toMatchObject({ id, current: "1.0.0", fits: "1.1.0", skipped: null });
    expect(plugin.newer.map((v: { version: string; fits: boolean; conflicts: Array<{ kind: string }> }) => [v.version, v.fits, v.conflicts.map((c) => c.kind)])).toEqual([
      ["2.0.0", false, ["host-range"]],
      ["1.2.0", false, ["peer"]],
      ["1.1.0", true, []],
    ]);
    expect(plugin.newer[1].conflicts[0]).toMatchObject({ heldBy: { type: "plugin", name: "plugin-peer-shared-1" } });
    const text = await cli(["plugins", "outdated", "--data-dir", dataDir], env);
    expect(text.stdout).toMatch(/1\.1\.0 {2}fits: cosmo-runner plugins upgrade plugin-versions 1\.1\.0/);
    expect(text.stdout).toMatch(/2\.0\.0 {2}does not fit: host-range: /);
    expect((await call("GET", "/plugins/outdated")).body.plugins).toEqual(JSON.parse(listed.stdout).plugins);
  });

  it("upgrades to the newest version that fits, in one step, and serves it with apply", async () => {
    const upgraded = await call("POST", `/plugins/${id}/upgrade`, { apply: true });
    expect(upgraded.status).toBe(200);
    expect(upgraded.body).toMatchObject({ id, version: "1.1.0", install_status: "installed", upgrade: { from: "1.0.0", to: "1.1.0", changed: true } });
    expect(upgraded.body.upgrade.skipped.map((s: { version: string }) => s.version)).toEqual(["2.0.0", "1.2.0"]);
    expect((await trackingBytes(dataDir)).toString()).toBe("plugin-peer-shared-1@1.0.0\nplugin-versions@1.1.0\n");
    expect(await served()).toEqual({ version: "1.1.0" });
  });

  it("refuses a version that conflicts with 409, changing nothing", async () => {
    const tracked = await trackingBytes(dataDir);
    const refused = await call("POST", `/plugins/${id}/upgrade`, { version: "1.2.0" });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("COSMO_E_CONFLICT");
    expect(refused.body.error.details.conflicts).toEqual([
      expect.objectContaining({ kind: "peer", plugin: "plugin-versions", package: "shared-lib", heldBy: { type: "plugin", name: "plugin-peer-shared-1" } }),
    ]);
    expect((await call("GET", `/plugins/${id}`)).body).toMatchObject({ version: "1.1.0", install_status: "installed", conflicts: null });
    expect(await trackingBytes(dataDir)).toEqual(tracked);
    expect(await served()).toEqual({ version: "1.1.0" });
  });

  it("downgrades from the CLI by name with --apply (through the running runner)", async () => {
    const down = await cli(["plugins", "upgrade", "plugin-versions", "1.0.0", "--apply", "--data-dir", dataDir], env);
    expect(down.stderr).not.toContain("error");
    expect(down.code).toBe(0);
    expect(down.stdout).toContain("plugin-versions now pinned to 1.0.0 (was 1.1.0)");
    expect(await served()).toEqual({ version: "1.0.0" });
    const conflict = await cli(["plugins", "upgrade", "plugin-versions", "1.2.0", "--data-dir", dataDir], env);
    expect(conflict.code).toBe(3);
    expect(conflict.stderr).toContain("plugin-peer-shared-1");
  });

  it("refuses to upgrade what is not an installed registry plugin, or to a version that is none", async () => {
    const pending = await call("POST", "/plugins", { source: "plugin-ok" });
    const notInstalled = await call("POST", `/plugins/${pending.body.id}/upgrade`);
    expect(notInstalled.status).toBe(422);
    expect(notInstalled.body.error.code).toBe("COSMO_E_UPGRADE_INVALID");
    const bad = await call("POST", `/plugins/${id}/upgrade`, { version: "not a version!" });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe("COSMO_E_UPGRADE_INVALID");
  });
});
