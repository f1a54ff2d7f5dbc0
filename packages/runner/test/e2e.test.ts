/**
 * End to end: the real `cosmo-runner` bin as a process, real HTTP on loopback, plugins installed
 * by name from the test registry (verdaccio, no uplinks), npm config from the
 * environment exactly as a user's would be read (registryEnv: npm_config_registry + a throwaway
 * userconfig and cache).
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, onTestFailed } from "vitest";
import { freePort, startRunner, stopRunner, type CliProcess } from "@cosmo/test-kit";
import { api, cli, EXAMPLE, exampleEnv, freshRequest, runnerFingerprint, trackingBytes } from "./helpers/e2e";

const CONFLICTING = "plugin-peer-core-2"; // peers @cosmo/core@^2; the runner has 0.1.0

let env: Record<string, string>;
let npmDir: string;
let fingerprint: Record<string, string>;

beforeAll(async () => {
  ({ env, dir: npmDir } = await exampleEnv(inject("registryUrl")));
  fingerprint = await runnerFingerprint();
}, 60_000);

afterAll(async () => {
  // Whatever the tests installed, the host's own package is as it was: reify wrote only into
  // the bundle dirs under each data dir.
  expect(await runnerFingerprint()).toEqual(fingerprint);
  await rm(npmDir, { recursive: true, force: true });
});

describe("a plugin's life through the admin API", { timeout: 60_000 }, () => {
  let dataDir: string;
  let runner: (CliProcess & { url: string }) | undefined;
  let token: string;
  let port: number;
  const ids: Record<string, string> = {};
  const call = (method: string, path: string, body?: unknown) => api(runner!.url, method, path, { token, body });
  const start = async (args: string[] = []) => {
    runner = await startRunner(["--port", String(port), "--data-dir", dataDir, ...args], env);
    token = (await readFile(join(dataDir, "admin-token"), "utf8")).trim();
  };
  const stop = async () => {
    if (runner) expect((await stopRunner(runner)).code).toBe(0);
    runner = undefined;
  };

  // A failure is easier to read with what the runner logged (worker starts, reloads, errors).
  beforeEach(() => onTestFailed(() => console.error(`runner stdout:\n${runner?.stdout()}\nrunner stderr:\n${runner?.stderr()}`)));
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-e2e-api-"));
    port = await freePort();
    await start();
  });
  afterAll(async () => {
    if (runner) await stopRunner(runner);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("adds, installs and applies the smart switch; its webhook answers", async () => {
    const added = await call("POST", "/plugins", { source: EXAMPLE });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ name: EXAMPLE, source: EXAMPLE, install_status: "pending" });
    ids.example = added.body.id;

    const installed = await call("POST", `/plugins/${ids.example}/install`);
    expect(installed.status).toBe(200);
    expect(installed.body).toMatchObject({ id: ids.example, install_status: "installed", error_message: null });
    expect((await trackingBytes(dataDir)).toString()).toBe(`${EXAMPLE}@1.0.0\n`);
    // Tracked, not yet served.
    expect((await freshRequest(`${runner!.url}/zigbee/state`)).status).toBe(404);

    const before = performance.now();
    const applied = await call("POST", "/plugins/apply");
    expect(applied.status).toBe(200);
    // The set pins the version the check chose: the bundle installs exactly what was checked.
    expect(applied.body).toMatchObject({ plugins: [`${EXAMPLE}@1.0.0`], reload: { plugins: { active: 1, failed: 0 } } });
    const state = await freshRequest(`${runner!.url}/zigbee/state`);
    const ms = Math.round(performance.now() - before);
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({ device: "switch", on: false });
    console.info(`apply -> /zigbee/state answering: ${ms} ms (sync ${applied.body.sync_ms} ms, reload ${applied.body.reload.took_ms} ms)`);

    // Applying again with nothing changed makes no bundle and no reload: the same worker answers.
    const again = await call("POST", "/plugins/apply");
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ changed: false, bundle: applied.body.bundle, previous: applied.body.previous });
    expect(again.body.reload).toMatchObject({ pid: applied.body.reload.pid, bundleId: applied.body.bundle, plugins: { active: 1 } });
    expect(await readdir(join(dataDir, "bundle.versions"))).toEqual([applied.body.bundle]);

    const toggled = await freshRequest(`${runner!.url}/zigbee/toggle`, "POST");
    expect(toggled.body).toMatchObject({ on: true, changes: 1 });
    const listed = await call("GET", "/plugins/installed");
    expect(listed.body.plugins).toEqual([expect.objectContaining({ name: "smart-switch", package: EXAMPLE, status: "active", prefix: "/zigbee" })]);
  });

  it("refuses a plugin peering @cosmo/core@^2 with a 409 naming both sides; the tracking file is untouched", async () => {
    const added = await call("POST", "/plugins", { source: CONFLICTING });
    ids.conflicting = added.body.id;
    const tracked = await trackingBytes(dataDir);

    const refused = await call("POST", `/plugins/${ids.conflicting}/install`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "COSMO_E_CONFLICT" });
    expect(refused.body.error.message).toContain(CONFLICTING);
    expect(refused.body.error.details.conflicts).toEqual([
      expect.objectContaining({ kind: "peer", plugin: CONFLICTING, package: "@cosmo/core", wanted: "^2.0.0", found: "0.1.0", heldBy: { type: "host" } }),
    ]);
    expect(await trackingBytes(dataDir)).toEqual(tracked);

    const record = await call("GET", `/plugins/${ids.conflicting}`);
    expect(record.body).toMatchObject({ install_status: "failed", name: CONFLICTING, conflicts: refused.body.error.details.conflicts });
    expect(record.body.error_message).toMatch(/plugin-peer-core-2 wants @cosmo\/core \^2\.0\.0[\s\S]*found @cosmo\/core 0\.1\.0, held by host/);
  });

  it("answers 401 to install, apply and delete without the token", async () => {
    for (const [method, path] of [
      ["POST", `/plugins/${ids.example}/install`],
      ["POST", "/plugins/apply"],
      ["DELETE", `/plugins/${ids.conflicting}`],
    ] as const) {
      const res = await api(runner!.url, method, path, { token: null });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body.error.code).toBe("COSMO_E_AUTH_REQUIRED");
    }
    expect((await api(runner!.url, "POST", "/plugins/apply", { token: "wrong" })).status).toBe(401);
  });

  it("keeps records, plugins and the plugin's stored state across a restart", async () => {
    await stop();
    await start();
    const records = (await call("GET", "/plugins")).body.plugins;
    expect(records.map((r: { source: string; install_status: string }) => [r.source, r.install_status])).toEqual([
      [EXAMPLE, "installed"],
      [CONFLICTING, "failed"],
    ]);
    // ctx.storage is the runner's store (files in the data dir): the toggle survived.
    expect((await freshRequest(`${runner!.url}/zigbee/state`)).body).toMatchObject({ on: true, changes: 1 });
  });

  it("serves no plugin with --clean", async () => {
    await stop();
    await start(["--clean"]);
    expect((await freshRequest(`${runner!.url}/zigbee/state`)).status).toBe(404);
    expect((await call("GET", "/plugins/installed")).body.plugins).toEqual([]);
    expect((await call("GET", "/health")).body).toMatchObject({ clean: true, plugins: { total: 0 } });
    await stop();
    await start();
    expect((await freshRequest(`${runner!.url}/zigbee/state`)).status).toBe(200);
  });

  it("gives a bug report with the lockfile, tracking file, records and versions", async () => {
    const report = await call("GET", "/plugins/report");
    expect(report.status).toBe(200);
    expect(report.body.versions).toMatchObject({ node: process.version, npm: expect.stringMatching(/^\d+\.\d+\.\d+/), cosmo: { core: "0.1.0", runner: "0.1.0" } });
    expect(report.body.tracking.text).toBe(`${EXAMPLE}@1.0.0\n`);
    expect(report.body.records).toHaveLength(2);
    expect(report.body.lockfile.packages[`node_modules/${EXAMPLE}`]).toMatchObject({ version: "1.0.0" });
    expect(report.body.registry).toBe(inject("registryUrl"));
  });

  it("uninstalls with { apply: true }: the route is gone", async () => {
    const res = await call("POST", `/plugins/${ids.example}/uninstall`, { apply: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ install_status: "pending", apply: { plugins: [] } });
    expect((await freshRequest(`${runner!.url}/zigbee/state`)).status).toBe(404);
    expect((await trackingBytes(dataDir)).toString()).toBe("");
  });

  it("installs with { apply: true }, and DELETE uninstalls before it removes the record", async () => {
    // Regression: this request reuses fetch's keep-alive connection to the worker the previous
    // apply replaced; that draining worker answered COSMO_E_RELOAD_UNAVAILABLE instead of applying.
    const res = await call("POST", `/plugins/${ids.example}/install`, { apply: true });
    expect(res.body).toMatchObject({ install_status: "installed", apply: { plugins: [`${EXAMPLE}@1.0.0`] } });
    expect((await freshRequest(`${runner!.url}/zigbee/state`)).status).toBe(200);

    expect((await call("DELETE", `/plugins/${ids.example}`)).status).toBe(204);
    expect((await trackingBytes(dataDir)).toString()).toBe("");
    expect((await call("POST", "/plugins/apply")).status).toBe(200);
    expect((await freshRequest(`${runner!.url}/zigbee/state`)).status).toBe(404);
  });
});

describe("the CLI on a data dir", { timeout: 60_000 }, () => {
  let dataDir: string;
  let runner: (CliProcess & { url: string }) | undefined;
  const run = (...args: string[]) => cli([...args, "--data-dir", dataDir], env);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-e2e-cli-"));
  });
  afterAll(async () => {
    if (runner) await stopRunner(runner);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("adds and installs a plugin with exit 0, no runner needed", async () => {
    const added = await run("plugins", "add", EXAMPLE);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(`Added ${EXAMPLE}`);
    const installed = await run("plugins", "install", EXAMPLE);
    expect(installed).toMatchObject({ code: 0 });
    expect(installed.stdout).toContain(`${EXAMPLE} is installed`);
    expect((await trackingBytes(dataDir)).toString()).toBe(`${EXAMPLE}@1.0.0\n`);
  });

  it("exits 3 on a conflicting check, explaining it on stderr (and as data with --json)", async () => {
    const checked = await run("check", CONFLICTING);
    expect(checked.code).toBe(3);
    expect(checked.stdout).toBe("");
    expect(checked.stderr).toContain("error COSMO_E_CONFLICT");
    expect(checked.stderr).toMatch(/plugin-peer-core-2 wants @cosmo\/core \^2\.0\.0\s+found @cosmo\/core 0\.1\.0, held by host\s+Fix: /);

    const json = await run("check", CONFLICTING, "--json");
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: "COSMO_E_CONFLICT", details: { conflicts: [expect.objectContaining({ plugin: CONFLICTING })] } });
    expect((await trackingBytes(dataDir)).toString()).toBe(`${EXAMPLE}@1.0.0\n`);
  });

  it("lists the records as JSON a script can parse", async () => {
    const listed = await run("plugins", "list", "--json");
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).plugins).toEqual([expect.objectContaining({ source: EXAMPLE, install_status: "installed" })]);
  });

  it("applies with no runner (bundle + sync), and the next start serves the plugin", async () => {
    const applied = await run("apply", "--json");
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ via: "local", result: { bundle: { plugins: [EXAMPLE] } } });
    runner = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir], env);
    expect((await freshRequest(`${runner.url}/zigbee/state`)).body).toMatchObject({ on: false });
  });

  it("uninstalls with --apply through the running runner, which stops serving the route", async () => {
    const res = await run("plugins", "uninstall", EXAMPLE, "--apply", "--json");
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ install_status: "pending", apply: { via: "runner", url: runner!.url } });
    expect((await freshRequest(`${runner!.url}/zigbee/state`)).status).toBe(404);
  });

  it("bundles, then syncs and reloads the running runner", async () => {
    expect((await run("plugins", "install", EXAMPLE)).code).toBe(0);
    const bundled = await run("bundle", "--json");
    expect(bundled.code).toBe(0);
    const manifest = JSON.parse(await readFile(JSON.parse(bundled.stdout).file, "utf8"));
    expect(manifest).toMatchObject({ name: "cosmo-runner-bundled", dependencies: { [EXAMPLE]: "1.0.0", "@cosmo/core": expect.stringMatching(/^file:/) } });
    const synced = await run("sync", "--json");
    expect(synced.code).toBe(0);
    expect(JSON.parse(synced.stdout).reload).toMatchObject({ plugins: { active: 1 } });
    expect((await freshRequest(`${runner!.url}/zigbee/state`)).status).toBe(200);
  });

  it("prints a report and answers errors with exit 1 (and { error } on stdout with --json)", async () => {
    const report = await run("report");
    expect(report.code).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ tracking: { sources: [`${EXAMPLE}@1.0.0`] }, versions: { cosmo: { runner: "0.1.0" } } });
    const missing = await run("plugins", "remove", "no-such-plugin", "--json");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("COSMO_E_RECORD_NOT_FOUND");
    expect(JSON.parse(missing.stdout).error.code).toBe("COSMO_E_RECORD_NOT_FOUND");
    expect((await run("plugins", "frobnicate")).code).toBe(2);
    const help = await cli(["plugins", "install", "--help"], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--apply[\s\S]*EXIT CODES[\s\S]*3 {2}conflict/);
  });
});
