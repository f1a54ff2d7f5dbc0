import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { currentLink, makeBundle, useBundle, versionPlugin, type FixturePlugin } from "./helpers/bundles";
import { freePort, startRunner, stopRunner, type CliProcess } from "@cosmo/test-kit";

const TOKEN = "reload-test-token-0123";

interface Sample {
  startedAt: number;
  endedAt: number;
  status?: number;
  version?: string;
  error?: string;
}

/**
 * Clients that request `url` back to back (keep-alive, as a real client does) until stop() or
 * 30 s, whichever comes first; each answer is recorded, failures included. `until` resolves
 * once the answers so far satisfy a test (checked on each answer).
 */
function keepRequesting(url: string, clients: number) {
  const samples: Sample[] = [];
  const waiters: { test: (samples: Sample[]) => boolean; resolve: () => void }[] = [];
  let stopped = false;
  const deadline = Date.now() + 30_000;
  const client = async () => {
    while (!stopped && Date.now() < deadline) {
      const sample: Sample = { startedAt: Date.now(), endedAt: 0 };
      try {
        const res = await fetch(url);
        sample.status = res.status;
        sample.version = ((await res.json()) as { version?: string }).version;
      } catch (error) {
        sample.error = String((error as Error).cause ?? error);
      }
      sample.endedAt = Date.now();
      samples.push(sample);
      for (const waiter of [...waiters]) {
        if (!waiter.test(samples)) continue;
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const running = Promise.all(Array.from({ length: clients }, client));
  // Past the deadline nothing more arrives: let the test go on to its assertions.
  void running.then(() => waiters.forEach((waiter) => waiter.resolve()));
  return {
    samples,
    until: (test: (samples: Sample[]) => boolean) =>
      test(samples) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ test, resolve })),
    stop: async () => {
      stopped = true;
      await running;
      return samples;
    },
  };
}

const failed = (s: Sample) => s.error !== undefined || s.status !== 200;
/** At least `n` answers to requests started at or after `since`. */
const answersSince = (since: number, n: number) => (samples: Sample[]) => samples.filter((s) => s.startedAt >= since).length >= n;

const crasher: FixturePlugin = {
  name: "crasher",
  prefix: "/crasher",
  // Takes the whole process down as it is imported, past the process.exit guard (reallyExit is
  // what exit calls underneath). With the watchdog off (--watchdog 0) nothing can name it:
  // the failure no plugin can be blamed for, which only a rollback answers.
  source: `process.reallyExit(3);\nexport const plugin = { setup() {} };\n`,
};

const exitsAtImport: FixturePlugin = {
  name: "exits-at-import",
  prefix: "/exits",
  source: `process.exit(3);\nexport const plugin = { setup() {} };\n`,
};

describe("reload under the supervisor", () => {
  let dataDir: string;
  let runner: CliProcess & { url: string };
  const reload = (body?: unknown) =>
    fetch(`${runner.url}/plugins/reload`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const start = async (args: string[] = []) => {
    runner = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir, ...args], { COSMO_ADMIN_TOKEN: TOKEN });
    return runner;
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-reload-"));
  });
  afterEach(async () => {
    if (runner) await stopRunner(runner);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("switches from plugin v1 to v2 with zero failed requests under load", async () => {
    await useBundle(dataDir, await makeBundle(dataDir, "v1", [versionPlugin("hello", "/hello", "1")]));
    const v2 = await makeBundle(dataDir, "v2", [versionPlugin("hello", "/hello", "2")]);
    await start();
    const oldPid = (await (await fetch(`${runner.url}/health`)).json()).pid;

    const load = keepRequesting(`${runner.url}/hello/version`, 4);
    await load.until(answersSince(0, 20));
    await useBundle(dataDir, v2); // what sync() does before apply reloads
    const asked = Date.now();
    const res = await reload({ rollbackOnFailure: true });
    const answered = Date.now();
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ bundleId: "v2", plugins: { active: 1, failed: 0 } });
    await load.until(answersSince(answered, 40));
    const samples = await load.stop();

    const failures = samples.filter(failed);
    const firstV2 = Math.min(...samples.filter((s) => s.version === "2").map((s) => s.endedAt));
    // Figures for the report (requests, failures, switch time).
    console.log(
      `reload under load: ${samples.length} requests, ${failures.length} failed, reload answered in ${answered - asked} ms, first v2 answer ${firstV2 - asked} ms after the request`,
    );
    expect(failures).toEqual([]);
    expect(samples.filter((s) => s.startedAt < asked).every((s) => s.version === "1")).toBe(true);
    // Once apply has answered, every request is served by v2, including those that ride a
    // keep-alive connection to the draining worker (it forwards them to the new one).
    const after = samples.filter((s) => s.startedAt >= answered);
    expect(after.filter((s) => s.version !== "2")).toEqual([]);
    expect(after.length).toBeGreaterThan(10);
    const health = await (await fetch(`${runner.url}/health`)).json();
    expect(health).toMatchObject({ bundle: "v2" });
    expect(health.pid).not.toBe(oldPid);
  });

  it("keeps the old worker serving v1 and rolls the bundle link back when the new worker cannot start", async () => {
    const v1 = await makeBundle(dataDir, "v1", [versionPlugin("hello", "/hello", "1")]);
    await useBundle(dataDir, v1);
    await start(["--watchdog", "0"]);
    const oldPid = (await (await fetch(`${runner.url}/health`)).json()).pid;

    const load = keepRequesting(`${runner.url}/hello/version`, 4);
    await load.until(answersSince(0, 12));
    await useBundle(dataDir, await makeBundle(dataDir, "broken", [versionPlugin("hello", "/hello", "2"), crasher]));
    const res = await reload({ rollbackOnFailure: true });
    await load.until(answersSince(Date.now(), 20));
    const samples = await load.stop();

    expect(res.status).toBe(500);
    const { error } = await res.json();
    expect(error.code).toBe("COSMO_E_WORKER_START_FAILED");
    expect(error.details).toMatchObject({ previousServing: true, rolledBack: true });
    expect(error.details.reason).toMatch(/exited with code 3/);
    expect(samples.filter(failed)).toEqual([]);
    expect(samples.every((s) => s.version === "1")).toBe(true);
    expect(await currentLink(dataDir)).toBe(v1);
    expect((await (await fetch(`${runner.url}/health`)).json()).pid).toBe(oldPid);
  });

  it("leaves the bundle link alone when the failed reload did not ask for a rollback", async () => {
    await useBundle(dataDir, await makeBundle(dataDir, "v1", [versionPlugin("hello", "/hello", "1")]));
    await start(["--watchdog", "0"]);
    const broken = await makeBundle(dataDir, "broken", [crasher]);
    await useBundle(dataDir, broken);
    const res = await reload();
    expect(res.status).toBe(500);
    expect((await res.json()).error.details.rolledBack).toBe(false);
    expect(await currentLink(dataDir)).toBe(broken);
    expect(await (await fetch(`${runner.url}/hello/version`)).json()).toMatchObject({ version: "1" });
  });

  // Regression (issue 9): a plugin exiting at load crash-looped the new worker; the apply had
  // nothing to show for it, and a first apply left a bundle the next start could not serve.
  it("quarantines a plugin that exits as it is imported and serves the new bundle without it", async () => {
    await useBundle(dataDir, await makeBundle(dataDir, "v1", [versionPlugin("hello", "/hello", "1")]));
    await start();
    await useBundle(dataDir, await makeBundle(dataDir, "v2", [versionPlugin("hello", "/hello", "2"), exitsAtImport]));
    const res = await reload({ rollbackOnFailure: true });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ bundleId: "v2", plugins: { active: 1, quarantined: 1 } });
    expect(await (await fetch(`${runner.url}/hello/version`)).json()).toMatchObject({ version: "2" });
    const installed = await (await fetch(`${runner.url}/plugins/installed`)).json();
    expect(installed.plugins.find((p: { name: string }) => p.name === "exits-at-import")).toMatchObject({
      status: "quarantined",
      error: { code: "COSMO_E_PLUGIN_QUARANTINED", message: expect.stringContaining("process.exit(3)") },
    });
    // The next start serves the same set, without a failed start.
    await stopRunner(runner);
    await start();
    expect(await (await fetch(`${runner.url}/health`)).json()).toMatchObject({ bundle: "v2", plugins: { active: 1, quarantined: 1 } });
  });

  it("serves no plugin with --clean, even with a bundle in place, and stays clean across a reload", async () => {
    await useBundle(dataDir, await makeBundle(dataDir, "v1", [versionPlugin("hello", "/hello", "1")]));
    await start(["--clean"]);
    const res = await fetch(`${runner.url}/hello/version`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe("COSMO_E_ROUTE_NOT_FOUND");
    expect(await (await fetch(`${runner.url}/health`)).json()).toMatchObject({ bundle: null, clean: true, plugins: { total: 0 } });
    expect((await (await fetch(`${runner.url}/plugins/installed`)).json()).plugins).toEqual([]);
    expect((await reload()).status).toBe(200);
    expect((await fetch(`${runner.url}/hello/version`)).status).toBe(404);
  });

  it("lists a plugin whose setup throws as failed in /plugins/installed while another serves", async () => {
    const throws: FixturePlugin = {
      name: "setup-throws",
      prefix: "/throws",
      source: `export const plugin = { setup(ctx) { ctx.route("GET", "/x", () => ({})); throw new Error("no device found"); } };\n`,
    };
    await useBundle(dataDir, await makeBundle(dataDir, "b1", [throws, versionPlugin("hello", "/hello", "1")]));
    await start();
    const installed = await (await fetch(`${runner.url}/plugins/installed`)).json();
    const byName = Object.fromEntries(installed.plugins.map((p: { name: string }) => [p.name, p]));
    expect(byName.hello).toMatchObject({ status: "active", version: "1.0.0" });
    expect(byName["setup-throws"]).toMatchObject({ status: "failed", error: { code: expect.stringMatching(/^COSMO_E_/), message: expect.stringContaining("no device found") } });
    expect(await (await fetch(`${runner.url}/hello/version`)).json()).toMatchObject({ version: "1" });
    expect((await fetch(`${runner.url}/throws/x`)).status).toBe(404);
    expect(await (await fetch(`${runner.url}/health`)).json()).toMatchObject({ plugins: { total: 2, active: 1, failed: 1 } });
  });

  it("restarts a worker that dies unexpectedly", async () => {
    await useBundle(dataDir, await makeBundle(dataDir, "v1", [versionPlugin("hello", "/hello", "1")]));
    await start();
    const { pid } = await (await fetch(`${runner.url}/health`)).json();
    process.kill(pid, "SIGKILL");
    // The supervisor says when the replacement serves.
    await runner.waitFor(new RegExp(`worker (?!${pid}\\b)\\d+ serves`));
    const health = await (await fetch(`${runner.url}/health`)).json();
    expect(health.pid).toBeTypeOf("number");
    expect(health.pid).not.toBe(pid);
    expect(await (await fetch(`${runner.url}/hello/version`)).json()).toMatchObject({ version: "1" });
  });

  it("keeps serving on the same port across a reload when started with --port 0", async () => {
    await useBundle(dataDir, await makeBundle(dataDir, "v1", [versionPlugin("hello", "/hello", "1")]));
    runner = await startRunner(["--port", "0", "--data-dir", dataDir], { COSMO_ADMIN_TOKEN: TOKEN });
    expect(runner.url).not.toMatch(/:0$/);
    await useBundle(dataDir, await makeBundle(dataDir, "v2", [versionPlugin("hello", "/hello", "2")]));
    expect((await reload()).status).toBe(200);
    expect(await (await fetch(`${runner.url}/hello/version`)).json()).toMatchObject({ version: "2" });
  });

  it("reloads on SIGHUP to the supervisor (after a sync run from another process)", async () => {
    await useBundle(dataDir, await makeBundle(dataDir, "v1", [versionPlugin("hello", "/hello", "1")]));
    await start();
    await useBundle(dataDir, await makeBundle(dataDir, "v2", [versionPlugin("hello", "/hello", "2")]));
    runner.child.kill("SIGHUP");
    await runner.waitFor(/serves \S+ \(bundle v2, SIGHUP\)/);
    expect(await (await fetch(`${runner.url}/hello/version`)).json()).toMatchObject({ version: "2" });
  });
});
