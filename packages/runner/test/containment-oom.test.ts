import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startRunner, stopRunner, type CliProcess } from "@cosmo/test-kit";
import { makeBundle, useBundle } from "./helpers/bundles";
import { describeContainment } from "./helpers/containment-suite";
import { faultyPlugin, healthyPlugin } from "./helpers/faulty-plugins";

// In a file (so a test process and a runner) of its own: see containment.test.ts.
describeContainment("containment: a plugin that runs its worker out of memory", [{ mode: "oom", status: "quarantined" }]);

// Regression (issue 9): an OOM went unnamed (the worker restarted, no plugin set aside) when it
// killed the worker before the watchdog thread had written who ran: that thread starts, polls
// and wakes on its own schedule, which a loaded machine stretches past the OOM. The worker now
// writes the plugin it enters on the fault pipe itself, before that plugin's code runs. A route
// that ends its process at once (past the process.exit guard) leaves no thread any time at all:
// it is named only if the line was written first.
describe("containment: a plugin that takes its worker down before any other thread can look", () => {
  const TOKEN = "containment-test-token-0123";
  let dataDir: string;
  let runner: CliProcess & { url: string };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-contain-"));
    const sudden = { name: "sudden", prefix: "/sudden", source: `export const plugin = { setup(ctx) { ctx.route("GET", "/boom", () => process.reallyExit(7)); } };\n` };
    await useBundle(dataDir, await makeBundle(dataDir, "v1", [healthyPlugin("healthy", "/healthy"), sudden]));
    // A fixed port: the replacement worker listens where the dead one did.
    runner = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir], { COSMO_ADMIN_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await stopRunner(runner);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("names it for each death and quarantines it at the limit (2), while the runner and the other plugins serve", async () => {
    type Entry = { name: string; status: string; quarantine?: { reason: string; count: number } };
    const entryOf = async () =>
      ((await (await fetch(`${runner.url}/plugins/installed`, { signal: AbortSignal.timeout(5_000) })).json()) as { plugins: Entry[] }).plugins.find(
        (p) => p.name === "sudden",
      );
    const deadline = Date.now() + 45_000;
    let entry: Entry | undefined;
    // Each request that reaches a worker with the plugin kills it; one sent while the
    // replacement starts may be refused, so send until it is set aside.
    while (entry?.status !== "quarantined") {
      if (Date.now() > deadline) throw new Error(`sudden was not quarantined: ${JSON.stringify(entry)}\nstderr:\n${runner.stderr().slice(-3000)}`);
      await fetch(`${runner.url}/sudden/boom`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
      entry = await entryOf().catch(() => undefined);
    }
    expect(entry.quarantine?.reason).toMatch(/its worker died/);
    expect(runner.stderr()).not.toMatch(/no plugin could be named/);
    expect(runner.child.exitCode).toBeNull();
    expect(await (await fetch(`${runner.url}/healthy/ok`, { signal: AbortSignal.timeout(5_000) })).json()).toEqual({ ok: "healthy" });
  }, 60_000);
});

// An OOM is charged to the plugin the fault pipe last named as running. That was set at plugin
// calls only: a plugin entered just before the death (here: one called all the time) outranked
// the one whose awaited continuation was allocating. Every async callback now sets who runs.
describe("containment: an OOM after an await, while another plugin is called all the time", () => {
  const TOKEN = "containment-test-token-0123";
  let dataDir: string;
  let runner: CliProcess & { url: string };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-contain-"));
    await useBundle(dataDir, await makeBundle(dataDir, "v1", [healthyPlugin("healthy", "/healthy"), faultyPlugin("leaky", "/leaky", "oom-after-await")]));
    runner = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir, "--max-heap", "96"], { COSMO_ADMIN_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await stopRunner(runner);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("quarantines the plugin that allocated, not the one entered last", async () => {
    type Entry = { name: string; status: string; quarantine?: { reason: string } };
    const installed = async () =>
      ((await (await fetch(`${runner.url}/plugins/installed`, { signal: AbortSignal.timeout(5_000) })).json()) as { plugins: Entry[] }).plugins;
    let loading = true;
    let answered = 0;
    // Four clients calling the healthy plugin back to back until the OOM is handled.
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (loading) {
          const ok = await fetch(`${runner.url}/healthy/ok`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.ok, () => false);
          if (ok) answered++;
        }
      }),
    );
    try {
      // Once some answers prove the load runs, the leak starts.
      while (answered < 20) await fetch(`${runner.url}/healthy/ok`).catch(() => undefined);
      await fetch(`${runner.url}/leaky/boom`, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
      const deadline = Date.now() + 45_000;
      let plugins = await installed().catch(() => [] as Entry[]);
      while (plugins.find((p) => p.name === "leaky")?.status !== "quarantined") {
        if (Date.now() > deadline) throw new Error(`leaky was not quarantined: ${JSON.stringify(plugins)}\nstderr:\n${runner.stderr().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
        plugins = await installed().catch(() => [] as Entry[]);
      }
      expect(plugins.find((p) => p.name === "leaky")?.quarantine?.reason).toMatch(/out of memory/);
      expect(plugins.find((p) => p.name === "healthy")?.status).toBe("active");
    } finally {
      loading = false;
      await load;
    }
    expect(runner.child.exitCode).toBeNull();
  }, 90_000);
});
