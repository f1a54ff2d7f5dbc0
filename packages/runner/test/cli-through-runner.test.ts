/**
 * The CLI with a runner up on its data dir: every command that changes the plugin set goes
 * through the runner's admin API, so the runner's npm config and lock decide, never the CLI's
 * own. Regression: `plugins install` ran its own check with its own npm config while a runner was
 * up; the check passed, the runner's apply then failed against another registry.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, onTestFailed } from "vitest";
import { registryEnv } from "../../bundler/test/helpers/registry";
import type {} from "../../bundler/test/setup/registry";
import { api, cli } from "./helpers/e2e";
import { freePort, startRunner, stopRunner, type CliProcess } from "./helpers/runner-process";

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
});
