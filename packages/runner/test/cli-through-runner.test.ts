/**
 * The CLI with a runner up on its data dir: every command that changes the plugin set goes
 * through the runner's admin API, so the runner's npm config and lock decide, never the CLI's
 * own. Regression: `plugins install` ran its own check with its own npm config while a runner was
 * up; the check passed, the runner's apply then failed against another registry.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, onTestFailed } from "vitest";
import { registryEnv, freePort, startRunner, stopRunner, type CliProcess } from "@cosmo/test-kit";
import { api, cli, freshRequest } from "./helpers/e2e";

describe("the CLI through a running runner", { timeout: 120_000 }, () => {
  let dataDir: string;
  let env: Record<string, string>;
  let npmDir: string;
  let runner: CliProcess & { url: string };
  /** An npm config that reaches no registry: only the runner's own config can resolve anything. */
  let deadEnv: Record<string, string>;

  beforeAll(async () => {
    const made = await registryEnv(inject("registryUrl"));
    env = made.env as Record<string, string>;
    npmDir = made.dir;
    deadEnv = { ...env, npm_config_registry: `http://127.0.0.1:${await freePort()}/`, npm_config_fetch_retries: "0" };
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-cli-runner-"));
    runner = await startRunner(["--port", "0", "--data-dir", dataDir], env);
  });
  afterAll(async () => {
    if (runner) await stopRunner(runner);
    await rm(dataDir, { recursive: true, force: true });
    await rm(npmDir, { recursive: true, force: true });
  });
  beforeEach(() => onTestFailed(() => console.error(`runner stdout:\n${runner.stdout()}\nrunner stderr:\n${runner.stderr()}`)));

  const run = (args: string[]) => cli([...args, "--data-dir", dataDir], deadEnv);

  it("installs through the runner (its npm config), then lists the plugin as installed but not served until apply", async () => {
    const installed = await run(["plugins", "install", "plugin-ok", "--json"]);
    expect(installed.stderr).not.toContain("error");
    expect(installed.code).toBe(0);
    expect(JSON.parse(installed.stdout)).toMatchObject({ source: "plugin-ok", install_status: "installed" });
    // The set pins what the check resolved (name@version).
    expect(await readFile(join(dataDir, "plugins", "installed_plugins.txt"), "utf8")).toBe("plugin-ok@1.0.0\n");

    const listed = await run(["plugins", "list", "--json"]);
    expect(listed.code).toBe(0);
    const [record] = JSON.parse(listed.stdout).plugins;
    expect(record).toMatchObject({ source: "plugin-ok", served: false });
    expect(record.not_served).toContain("cosmo-runner apply");

    const applied = await run(["apply", "--json"]);
    expect(applied.code).toBe(0);
    const after = JSON.parse((await run(["plugins", "list", "--json"])).stdout).plugins[0];
    expect(after.not_served).toBeUndefined();
  });

  it("answers a conflict found by the runner with exit 3, and the API and the CLI agree on the record", async () => {
    const refused = await run(["plugins", "install", "plugin-peer-core-2"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("COSMO_E_CONFLICT");
    const token = (await readFile(join(dataDir, "admin-token"), "utf8")).trim();
    const viaApi = (await api(runner.url, "GET", "/plugins", { token })).body.plugins;
    const viaCli = JSON.parse((await run(["plugins", "list", "--json"])).stdout).plugins;
    expect(viaCli.map((p: { id: string; install_status: string }) => [p.id, p.install_status])).toEqual(
      viaApi.map((p: { id: string; install_status: string }) => [p.id, p.install_status]),
    );
  });

  it("removes through the runner: the record and its line go together", async () => {
    const removed = await run(["plugins", "remove", "plugin-peer-core-2"]);
    expect(removed.code).toBe(0);
    const uninstalled = await run(["plugins", "uninstall", "plugin-ok"]);
    expect(uninstalled.code).toBe(0);
    expect(await readFile(join(dataDir, "plugins", "installed_plugins.txt"), "utf8")).toBe("");
  });

  /** What the API and the CLI each say of the records: they must never disagree. */
  async function bothViews() {
    const token = (await readFile(join(dataDir, "admin-token"), "utf8")).trim();
    const pick = (p: { id: string; install_status: string; version: string | null; source: string }) => [p.id, p.install_status, p.version, p.source];
    const viaApi = (await api(runner.url, "GET", "/plugins", { token })).body.plugins.map(pick);
    const viaCli = JSON.parse((await run(["plugins", "list", "--json"])).stdout).plugins.map(pick);
    return { viaApi, viaCli };
  }

  it("asks outdated and upgrades through the runner (its npm config); the API and the CLI agree after", async () => {
    expect(await run(["plugins", "install", "plugin-versions@1.0.0", "--apply"])).toMatchObject({ code: 0 });
    const token = (await readFile(join(dataDir, "admin-token"), "utf8")).trim();
    const outdated = await run(["plugins", "outdated", "--json"]);
    expect(outdated.stderr).not.toContain("COSMO_E");
    expect(outdated.code).toBe(0);
    expect(JSON.parse(outdated.stdout).plugins).toEqual((await api(runner.url, "GET", "/plugins/outdated", { token })).body.plugins);
    expect(JSON.parse(outdated.stdout).plugins[0]).toMatchObject({ name: "plugin-versions", current: "1.0.0", fits: "1.2.0" });

    const upgraded = await run(["plugins", "upgrade", "plugin-versions", "--apply", "--json"]);
    expect(upgraded.stderr).not.toContain("COSMO_E");
    expect(upgraded.code).toBe(0);
    const body = JSON.parse(upgraded.stdout);
    expect(body).toMatchObject({ name: "plugin-versions", version: "1.2.0", upgrade: { from: "1.0.0", to: "1.2.0", changed: true }, apply: { via: "runner" } });
    expect((await freshRequest(`${runner.url}/versions/version`)).body).toEqual({ version: "1.2.0" });
    const health = (await freshRequest(`${runner.url}/health`)).body as { generation?: { serving: string | null } };
    expect(health.generation?.serving).toBe(body.apply.result.generation);
    const { viaApi, viaCli } = await bothViews();
    expect(viaCli).toEqual(viaApi);
  });

  it("imports an offline bundle through the runner: it serves it, publishes its generation, and the API and the CLI agree", async () => {
    const token = (await readFile(join(dataDir, "admin-token"), "utf8")).trim();
    const exported = await fetch(`${runner.url}/plugins/export`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect(exported.status).toBe(200);
    const archive = join(npmDir, "set.tgz");
    await writeFile(archive, Buffer.from(await exported.arrayBuffer()));
    // The set moves on (plugin-versions leaves it); the import brings it back, through the runner.
    expect(await run(["plugins", "uninstall", "plugin-versions", "--apply"])).toMatchObject({ code: 0 });
    expect((await freshRequest(`${runner.url}/versions/version`)).status).toBe(404);

    const imported = await run(["import", archive, "--json"]);
    expect(imported.stderr).not.toContain("COSMO_E");
    expect(imported.code).toBe(0);
    const body = JSON.parse(imported.stdout);
    expect(body).toMatchObject({ via: "runner", sources: ["plugin-versions@1.2.0"], plugins: ["plugin-versions"], published: true });
    expect((await freshRequest(`${runner.url}/versions/version`)).body).toEqual({ version: "1.2.0" });
    const health = (await freshRequest(`${runner.url}/health`)).body as { generation?: { serving: string | null } };
    expect(health.generation?.serving).toBe(body.generation);
    expect(await readFile(join(dataDir, "plugins", "installed_plugins.txt"), "utf8")).toBe("plugin-versions@1.2.0\n");
    const { viaApi, viaCli } = await bothViews();
    expect(viaCli).toEqual(viaApi);
    expect(viaApi.find((p: unknown[]) => p[3] === "plugin-versions@1.0.0")).toMatchObject([expect.any(String), "installed", "1.2.0", "plugin-versions@1.0.0"]);
  });

  it("refuses through the runner a body that is no offline bundle, with 422 COSMO_E_IMPORT_INVALID, changing nothing", async () => {
    const junk = join(npmDir, "junk.tgz");
    await writeFile(junk, "not an archive");
    const before = await readFile(join(dataDir, "plugins", "installed_plugins.txt"), "utf8");
    const refused = await run(["import", junk]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("COSMO_E_IMPORT_INVALID");
    expect(await readFile(join(dataDir, "plugins", "installed_plugins.txt"), "utf8")).toBe(before);
    expect((await freshRequest(`${runner.url}/versions/version`)).body).toEqual({ version: "1.2.0" });
  });
});
