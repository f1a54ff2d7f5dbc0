import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeBundle, useBundle } from "./helpers/bundles";
import { faultyPlugin, healthyPlugin } from "./helpers/faulty-plugins";
import { freePort, runCli, startRunner, stopRunner, type CliProcess } from "@cosmo/test-kit";

const TOKEN = "enable-disable-token-0123";
const AUTH = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

// Enable/disable without uninstall, and quarantine shown on the record (issue 9, parts 3 and 4).
describe("enable, disable and quarantine on records", () => {
  let dataDir: string;
  let runner: CliProcess & { url: string };
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH) => {
    const res = await fetch(`${runner.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as Record<string, any> };
  };
  const installed = async () => (await call("GET", "/plugins/installed")).body.plugins as { name: string; status: string }[];
  const statusOf = async (name: string) => (await installed()).find((p) => p.name === name)?.status;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-toggle-"));
    await useBundle(dataDir, await makeBundle(dataDir, "v1", [healthyPlugin("calm", "/calm"), faultyPlugin("wild", "/wild", "exit")]));
    runner = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir], { COSMO_ADMIN_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await stopRunner(runner);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("refuses enable and disable without the admin token", async () => {
    const { body: record } = await call("POST", "/plugins", { source: "calm" });
    for (const action of ["disable", "enable"]) {
      const res = await call("POST", `/plugins/${record.id}/${action}`, undefined, {});
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("COSMO_E_AUTH_REQUIRED");
    }
    expect((await call("POST", "/plugins/no-such-id/disable", {})).body.error.code).toBe("COSMO_E_RECORD_NOT_FOUND");
  });

  it("disables a plugin with { apply: true }: it stays recorded but no longer loads; enable loads it again", async () => {
    const { body: records } = await call("GET", "/plugins");
    const calm = records.plugins.find((r: { source: string }) => r.source === "calm");
    expect((await call("GET", `/plugins/${calm.id}`)).body).toMatchObject({ status: "active", package: "calm" });

    const disabled = await call("POST", `/plugins/${calm.id}/disable`, { apply: true });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ id: calm.id, status: "disabled", enabled: false, apply: { plugins: { disabled: 1 } } });
    expect((await fetch(`${runner.url}/calm/ok`)).status).toBe(404);
    expect(await statusOf("calm")).toBe("disabled");
    expect((await call("GET", `/plugins/${calm.id}`)).body).toMatchObject({ status: "disabled" });
    expect((await call("GET", "/health")).body.plugins).toMatchObject({ disabled: 1 });

    const enabled = await call("POST", `/plugins/${calm.id}/enable`, { apply: true });
    expect(enabled.body).toMatchObject({ enabled: true, apply: { plugins: { disabled: 0 } } });
    expect(await (await fetch(`${runner.url}/calm/ok`)).json()).toEqual({ ok: "calm" });
  });

  it("shows a quarantine on the record and in `plugins list`, and enable lifts it", async () => {
    const { body: wild } = await call("POST", "/plugins", { source: "wild" });
    await fetch(`${runner.url}/wild/boom`).catch(() => undefined);
    let record: Record<string, any> = {};
    for (let i = 0; i < 300 && record.status !== "quarantined"; i++) {
      record = (await call("GET", `/plugins/${wild.id}`).catch(() => ({ body: {} }))).body;
      if (record.status !== "quarantined") await new Promise((r) => setTimeout(r, 50));
    }
    expect(record).toMatchObject({
      status: "quarantined",
      error: { code: "COSMO_E_PLUGIN_QUARANTINED" },
      quarantine: { code: "exit", count: 1, reason: expect.stringContaining("process.exit(1)") },
    });

    const list = runCli(["plugins", "list", "--data-dir", dataDir], { COSMO_ADMIN_TOKEN: TOKEN });
    expect((await list.exited).code).toBe(0);
    expect(list.stdout()).toMatch(/quarantined\s+wild/);
    expect(list.stdout()).toContain("process.exit(1)");

    const enable = runCli(["plugins", "enable", "wild", "--apply", "--data-dir", dataDir], { COSMO_ADMIN_TOKEN: TOKEN });
    expect((await enable.exited).code, enable.stderr()).toBe(0);
    expect(await statusOf("wild")).toBe("active");
    expect(await (await fetch(`${runner.url}/wild/ok`)).json()).toEqual({ ok: "wild" });
  });

  it("disables from the CLI with no runner, and the next start skips the plugin", async () => {
    await stopRunner(runner);
    const disable = runCli(["plugins", "disable", "calm", "--data-dir", dataDir], { COSMO_ADMIN_TOKEN: TOKEN });
    expect((await disable.exited).code, disable.stderr()).toBe(0);
    expect(disable.stdout()).toContain("next `cosmo-runner start` skips it");
    runner = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir], { COSMO_ADMIN_TOKEN: TOKEN });
    expect(await statusOf("calm")).toBe("disabled");
    expect((await fetch(`${runner.url}/calm/ok`)).status).toBe(404);
  });
});
