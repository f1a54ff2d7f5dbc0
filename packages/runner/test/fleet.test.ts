/**
 * A fleet: three real `cosmo-runner` processes, each with its own data dir, on one real
 * redis-server. An install + apply on any one is served by all, from one lockfile; a conflicting
 * install elsewhere is refused naming the plugin; a runner killed and restarted catches up; a
 * stopped redis is a 503 within the store timeout and the fleet recovers by itself.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, onTestFailed } from "vitest";
import { registryEnv } from "../../bundler/test/helpers/registry";
import type {} from "../../bundler/test/setup/registry";
import { lockedPackages } from "@cosmo/bundler";
import { api, freshRequest } from "./helpers/e2e";
import { canStartRedis, hasRedis, startRedis, type TestRedis } from "./helpers/redis";
import { freePort, startRunner, stopRunner, type CliProcess } from "./helpers/runner-process";

interface Member {
  dataDir: string;
  port: number;
  proc?: CliProcess & { url: string };
  token: string;
}

/** Polls `probe` until it returns true, on events we do not see (another process's reload). */
async function until(what: string, probe: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!hasRedis || !canStartRedis)("a fleet of three runners on one redis", { timeout: 180_000 }, () => {
  let redis: TestRedis;
  let env: Record<string, string>;
  let npmDir: string;
  const fleet: Member[] = [];

  const call = (m: Member, method: string, path: string, body?: unknown) => api(m.proc!.url, method, path, { token: m.token, body });
  const health = async (m: Member) => (await freshRequest(`${m.proc!.url}/health`)).body as { generation?: { serving: string | null; state: string } };
  const start = async (m: Member) => {
    m.proc = await startRunner(["--port", String(m.port), "--data-dir", m.dataDir, "--store", redis.url], env);
    m.token = (await readFile(join(m.dataDir, "admin-token"), "utf8")).trim();
  };
  const servedLock = async (m: Member) => {
    const report = (await call(m, "GET", "/plugins/report")).body as { lockfile: unknown };
    return lockedPackages(JSON.stringify(report.lockfile));
  };

  beforeAll(async () => {
    redis = await startRedis();
    const made = await registryEnv(inject("registryUrl"));
    env = made.env as Record<string, string>;
    npmDir = made.dir;
    for (let i = 0; i < 3; i++) {
      const member: Member = { dataDir: await mkdtemp(join(tmpdir(), `cosmo-fleet-${i}-`)), port: await freePort(), token: "" };
      fleet.push(member);
    }
    await Promise.all(fleet.map(start));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(fleet.map((m) => (m.proc ? stopRunner(m.proc) : undefined)));
    redis?.child?.kill("SIGCONT");
    await redis?.stop();
    await Promise.all(fleet.map((m) => rm(m.dataDir, { recursive: true, force: true })));
    await rm(npmDir, { recursive: true, force: true });
  });
  beforeEach(() =>
    onTestFailed(() => {
      for (const [i, m] of fleet.entries()) console.error(`runner ${i} stdout:\n${m.proc?.stdout()}\nstderr:\n${m.proc?.stderr()}`);
    }),
  );

  it("refuses on another runner, with a 409 naming it, a plugin that conflicts with one installed elsewhere", async () => {
    const [a, b] = fleet as [Member, Member, Member];
    const one = await call(a, "POST", "/plugins", { source: "plugin-peer-shared-1" });
    expect((await call(a, "POST", `/plugins/${one.body.id}/install`)).status).toBe(200);
    const two = await call(b, "POST", "/plugins", { source: "plugin-peer-shared-2" });
    const refused = await call(b, "POST", `/plugins/${two.body.id}/install`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("COSMO_E_CONFLICT");
    expect(JSON.stringify(refused.body.error.details)).toContain("plugin-peer-shared-1");
    // The set is not poisoned: uninstalling the first lets the second in, on any runner.
    expect((await call(b, "POST", `/plugins/${one.body.id}/uninstall`)).status).toBe(200);
    expect((await call(a, "POST", `/plugins/${two.body.id}/install`)).status).toBe(200);
  });

  it("serves on every runner, from one lockfile, what was installed and applied on one of them", async () => {
    const [a] = fleet as [Member, Member, Member];
    const added = await call(a, "POST", "/plugins", { source: "plugin-ok" });
    expect(added.status).toBe(201);
    const installed = await call(a, "POST", `/plugins/${added.body.id}/install`, { apply: true });
    expect(installed.status).toBe(200);
    const generation = installed.body.apply.generation as string;
    expect(generation).toMatch(/[0-9a-f-]{36}/);
    // No call to the others: they hear the generation from redis.
    for (const m of fleet) {
      await until(`runner ${m.port} serves /ok/ping`, async () => (await freshRequest(`${m.proc!.url}/ok/ping`)).status === 200);
      await until(`runner ${m.port} reports generation ${generation}`, async () => (await health(m)).generation?.serving === generation);
    }
    const locks = await Promise.all(fleet.map(servedLock));
    expect(Object.keys(locks[0]!)).toContain("node_modules/plugin-ok");
    expect(locks[1]).toEqual(locks[0]);
    expect(locks[2]).toEqual(locks[0]);
  });

  it("catches up at start: a runner killed while the set changed serves the new generation once restarted", async () => {
    const [a, , c] = fleet as [Member, Member, Member];
    c.proc!.child.kill("SIGKILL");
    await c.proc!.exited;
    const applied = await call(a, "POST", "/plugins/apply");
    expect(applied.status).toBe(200);
    const generation = applied.body.generation as string;
    await start(c);
    await until("the restarted runner serves the current generation", async () => (await health(c)).generation?.serving === generation);
    expect(await servedLock(c)).toEqual(await servedLock(a));
    expect((await freshRequest(`${c.proc!.url}/ok/ping`)).status).toBe(200);
  });

  it("answers 503 within the store timeout while redis is stopped, keeps serving plugins, and recovers after SIGCONT", async () => {
    const [a, b] = fleet as [Member, Member, Member];
    redis.child!.kill("SIGSTOP");
    try {
      const startedAt = performance.now();
      const [list, plugin] = await Promise.all([call(a, "GET", "/plugins"), freshRequest(`${b.proc!.url}/ok/ping`)]);
      // A figure for the report, not an assertion: the store's default timeout is 4 s.
      console.log(`GET /plugins with redis stopped answered ${list.status} in ${Math.round(performance.now() - startedAt)} ms`);
      expect(list.status).toBe(503);
      expect(list.body.error.code).toBe("COSMO_E_STORE_UNAVAILABLE");
      expect(plugin.status).toBe(200);
    } finally {
      redis.child!.kill("SIGCONT");
    }
    await until("the store answers again", async () => (await call(a, "GET", "/plugins")).status === 200);
    expect((await call(b, "GET", "/plugins")).status).toBe(200);
  });
});
