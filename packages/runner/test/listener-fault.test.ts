/**
 * A fault in a listener a plugin added to `process`: the signal that fires it comes from outside
 * (here, this test), so nothing of the plugin is on the stack and no request is in flight. Only
 * the listener's binding to the plugin (core's bindPluginListeners) can name it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeBundle, useBundle } from "./helpers/bundles";
import { healthyPlugin } from "./helpers/faulty-plugins";
import { freePort, startRunner, stopRunner, type CliProcess } from "@cosmo/test-kit";

// Regression (issue 9): such a listener ran outside the plugin's async context: its
// process.exit() really ended the worker, and the crash was charged to nobody.
describe("a fault in a listener a plugin added to process", () => {
  let dataDir: string;
  let runner: CliProcess & { url: string };
  const plugins = async () =>
    ((await (await fetch(`${runner.url}/plugins/installed`, { signal: AbortSignal.timeout(5_000) })).json()) as { plugins: { name: string; status: string; quarantine?: { reason: string } }[] }).plugins;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-listener-"));
    const signalled = { name: "signalled", prefix: "/signalled", source: `export const plugin = { setup(ctx) { process.on("SIGUSR2", () => process.exit(3)); ctx.route("GET", "/ok", () => ({ ok: "signalled" })); } };\n` };
    await useBundle(dataDir, await makeBundle(dataDir, "v1", [healthyPlugin("calm", "/calm"), signalled]));
    runner = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir], { COSMO_ADMIN_TOKEN: "listener-token-0123456789" });
  });
  afterAll(async () => {
    await stopRunner(runner);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("names the plugin and quarantines it, while the runner and the other plugins keep serving", async () => {
    const { pid } = (await (await fetch(`${runner.url}/health`)).json()) as { pid: number };
    process.kill(pid, "SIGUSR2");
    const deadline = Date.now() + 30_000;
    let entry: { status: string; quarantine?: { reason: string } } | undefined;
    while (Date.now() < deadline) {
      entry = (await plugins().catch(() => [])).find((p) => p.name === "signalled");
      if (entry?.status === "quarantined") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(entry, runner.stdout().slice(-2000)).toMatchObject({ status: "quarantined", quarantine: { reason: expect.stringContaining("process.exit(3)") } });
    expect(runner.child.exitCode).toBeNull();
    expect(await (await fetch(`${runner.url}/calm/ok`)).json()).toEqual({ ok: "calm" });
  }, 60_000);
});
