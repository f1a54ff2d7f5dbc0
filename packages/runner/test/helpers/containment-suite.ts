import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeBundle, useBundle } from "./bundles";
import { busyPlugin, faultyPlugin, healthyPlugin, type FaultMode } from "./faulty-plugins";
import { freePort, startRunner, stopRunner, type CliProcess } from "@cosmo/test-kit";

const TOKEN = "containment-test-token-0123";

interface Installed {
  plugins: { name: string; status: string; error?: { code: string; details?: Record<string, unknown> }; quarantine?: { reason: string; count: number } }[];
}

/** Polls `check` (every 50 ms, 30 s at most) until it returns a value. */
async function until<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Regression (issue 9): 4 unauthenticated GETs to a route calling process.exit(1) ended the
// runner for good; timer throws and unhandled rejections crash-looped it; a for(;;){} stopped
// every route and the admin API for good, with no plugin ever named.
/** A fault mode and the status its plugin must end in. */
export interface ContainmentMode {
  mode: FaultMode;
  status: "quarantined" | "failed";
  /**
   * Another plugin has a request in flight meanwhile, so "the only plugin in flight" names no
   * one: only who runs (the async context, at every callback) can.
   */
  busy?: boolean;
}

/**
 * One spawned runner serving a healthy plugin and one faulty plugin per mode; each mode's
 * `/boom` is requested unauthenticated, as an attacker would, and must set its plugin aside
 * while the runner and the healthy plugin keep serving.
 */
export function describeContainment(title: string, modes: readonly ContainmentMode[]): void {
  describe(title, () => {
  let dataDir: string;
  let runner: CliProcess & { url: string };
  let port: number;
  // With a timeout: a request a worker accepted just before its loop blocked is answered by
  // nobody until that worker is killed (then it is reset).
  const installed = async () => (await (await fetch(`${runner.url}/plugins/installed`, { signal: AbortSignal.timeout(5_000) })).json()) as Installed;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-contain-"));
    const plugins = [healthyPlugin("healthy", "/healthy"), busyPlugin("busy", "/busy"), ...modes.map(({ mode }) => faultyPlugin(`f-${mode}`, `/${mode}`, mode))];
    await useBundle(dataDir, await makeBundle(dataDir, "v1", plugins));
    // A fixed port: a worker that dies (OOM) leaves no worker listening for a moment, and with
    // --port 0 the next one would get another port.
    port = await freePort();
    runner = await startRunner(["--port", String(port), "--data-dir", dataDir, "--watchdog", "1000", "--max-heap", "96"], { COSMO_ADMIN_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await stopRunner(runner);
    await rm(dataDir, { recursive: true, force: true });
  });

  for (const { mode, status, busy } of modes) {
    const meanwhile = busy ? " while another plugin's request is in flight" : "";
    it(`sets aside a plugin whose route does "${mode}"${meanwhile} (${status}), names it, and keeps the runner and the other plugins serving`, async () => {
      if (busy) {
        // Reset when the stalled worker is killed.
        void fetch(`${runner.url}/busy/wait`).catch(() => undefined);
        await until(async () => ((await (await fetch(`${runner.url}/busy/waiting`)).json()) as { waiting: number }).waiting > 0 || undefined, "the busy request to be in flight");
      }
      // Unauthenticated, as an attacker would; the answer itself may fail (the worker may die).
      await fetch(`${runner.url}/${mode}/boom`, { signal: AbortSignal.timeout(20_000) }).catch(() => undefined);
      const entry = await until(async () => {
        const found = (await installed()).plugins.find((p) => p.name === `f-${mode}`);
        return found?.status === status ? found : undefined;
      }, `f-${mode} to be ${status}`).catch((error: Error) => {
        throw new Error(`${error.message}\nrunner stdout:\n${runner.stdout().slice(-3000)}\nstderr:\n${runner.stderr().slice(-3000)}`);
      });
      expect(entry.error?.code).toBe(status === "quarantined" ? "COSMO_E_PLUGIN_QUARANTINED" : "COSMO_E_PLUGIN_CRASHED");
      expect(runner.child.exitCode).toBeNull();
      const ok = await fetch(`${runner.url}/healthy/ok`, { signal: AbortSignal.timeout(5_000) });
      expect(await ok.json()).toEqual({ ok: "healthy" });
      if (status === "quarantined") expect((await fetch(`${runner.url}/${mode}/ok`)).status).toBe(404);
    }, 60_000);
  }

  it.runIf(modes.some((m) => m.mode === "exit"))("keeps the quarantine across a restart, counts it in /health, and stores it in the data dir", async () => {
    const health = (await (await fetch(`${runner.url}/health`)).json()) as { plugins: Record<string, number> };
    // The rejecting plugin was only marked failed in the worker it failed in: a later worker
    // (after the blocked loop) loads it afresh.
    expect(health.plugins).toMatchObject({ total: modes.length + 2, quarantined: modes.filter((m) => m.status === "quarantined").length });
    await stopRunner(runner);
    runner = await startRunner(["--port", String(port), "--data-dir", dataDir], { COSMO_ADMIN_TOKEN: TOKEN });
    const after = await installed();
    expect(after.plugins.find((p) => p.name === "f-exit")).toMatchObject({ status: "quarantined", quarantine: { count: 1 } });
    const stored = JSON.parse(await readFile(join(dataDir, "plugins", "containment.json"), "utf8")) as { plugins: Record<string, { state: string }> };
    expect(stored.plugins["f-exit"]?.state).toBe("quarantined");
  }, 60_000);
});
}
