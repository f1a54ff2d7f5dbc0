/**
 * A fleet: three real `cosmo-runner` processes, each with its own data dir, on one real
 * redis-server. An install + apply on any one is served by all, from one lockfile; a conflicting
 * install elsewhere is refused naming the plugin; a runner killed and restarted catches up; a
 * stopped redis is a 503 within the store timeout and the fleet recovers by itself.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, onTestFailed } from "vitest";
import { registryEnv, canStartRedis, hasRedis, startRedis, type TestRedis, freePort, startRunner, stopRunner, type CliProcess } from "@cosmo/test-kit";
import { lockedPackages } from "@cosmo/bundler";
import { api, cli, freshRequest } from "./helpers/e2e";

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

  /** The set version of every generation a runner's bundles hold, by generation id. */
  async function setVersions(m: Member): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    const root = join(m.dataDir, "bundle.versions");
    for (const dir of await readdir(root).catch(() => [] as string[])) {
      const marker = await readFile(join(root, dir, "cosmo-generation.json"), "utf8").catch(() => null);
      if (marker) found.set(JSON.parse(marker).id, JSON.parse(marker).set_version);
    }
    return found;
  }

  it("settles concurrent install+applies on three runners on one generation: only forward, one lockfile, no plugin lost", async () => {
    const plugins = ["plugin-versions@1.0.0", "plugin-scripts", "plugin-own-shared-lib"];
    // What each runner serves, sampled while the applies race (a figure of the walk, not a timing):
    // the answers in the order seen, and each worker that answered (by pid) with the generation
    // it serves (fixed for its life) and when it began, bounded by each sample: after the request
    // went out minus its uptime, before the answer came back minus its uptime. The rule is about
    // the succession of workers: a runner never starts one on an older generation than one it
    // started before. The answers in the order seen are only a figure: during a handover the old
    // worker may still answer a fresh connection for a few milliseconds after the new one did
    // (both accept on the shared socket until the old one, told to drain, closes its copy).
    const seen: string[][] = fleet.map(() => []);
    const workers: Map<number, { from: number; to: number; serving: string }>[] = fleet.map(() => new Map());
    // Set versions by generation id, read when an id is first seen (old bundles are pruned later).
    const versions = new Map<string, number>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await Promise.all(
          fleet.map(async (m, i) => {
            const sent = Date.now();
            const body = (await health(m).catch(() => undefined)) as { pid?: number; uptime_ms?: number; generation?: { serving: string | null } } | undefined;
            const received = Date.now();
            const serving = body?.generation?.serving;
            if (!serving) return;
            if (body.pid !== undefined && body.uptime_ms !== undefined) {
              const known = workers[i]!.get(body.pid);
              const [from, to] = [sent - body.uptime_ms, received - body.uptime_ms];
              workers[i]!.set(body.pid, known ? { serving, from: Math.max(known.from, from), to: Math.min(known.to, to) } : { serving, from, to });
            }
            if (seen[i]!.at(-1) === serving) return;
            seen[i]!.push(serving);
            if (!versions.has(serving)) for (const [id, v] of await setVersions(m)) versions.set(id, v);
          }),
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const results = await Promise.all(
      fleet.map(async (m, i) => {
        const added = await call(m, "POST", "/plugins", { source: plugins[i] });
        expect(added.status).toBe(201);
        return call(m, "POST", `/plugins/${added.body.id}/install`, { apply: true });
      }),
    );
    for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
    // The newest generation any of them made holds all three (installs take the set lock in turn).
    // The model (the records in redis), not a runner's tracking file: that one is rewritten when
    // this runner changes the set or installs a generation, so it may lag for a moment.
    const records = (await call(fleet[0]!, "GET", "/plugins")).body.plugins as { name: string; install_status: string }[];
    for (const name of ["plugin-versions", "plugin-scripts", "plugin-own-shared-lib"]) {
      expect(records.find((r) => r.name === name)?.install_status, name).toBe("installed");
    }
    const generations = results.map((r) => r.body.apply.generation as string);
    let final: string | undefined;
    await until("all three runners serve one generation holding the three plugins", async () => {
      const serving = await Promise.all(fleet.map(async (m) => (await health(m)).generation?.serving));
      if (!serving[0] || serving.some((s) => s !== serving[0])) return false;
      // Settled: every runner reports one generation and serves (its report's lockfile is the
      // served bundle's) one lockfile with the three plugins.
      const locks = await Promise.all(fleet.map(servedLock));
      final = serving[0];
      const same = JSON.stringify(locks[1]) === JSON.stringify(locks[0]) && JSON.stringify(locks[2]) === JSON.stringify(locks[0]);
      return same && ["plugin-versions", "plugin-scripts", "plugin-own-shared-lib"].every((n) => `node_modules/${n}` in locks[0]!);
    });
    sampling = false;
    await sampler;
    expect(generations).toContain(final);
    const locks = await Promise.all(fleet.map(servedLock));
    expect(locks[1]).toEqual(locks[0]);
    expect(locks[2]).toEqual(locks[0]);
    expect(Object.keys(locks[0]!)).toEqual(expect.arrayContaining(["node_modules/plugin-ok", "node_modules/plugin-peer-shared-2"]));
    for (const [i, m] of fleet.entries()) {
      const answers = seen[i]!.map((id) => versions.get(id) ?? -1);
      const started = [...workers[i]!.values()].map((w) => ({ ...w, version: versions.get(w.serving) ?? -1 }));
      const walk = [...started].sort((a, b) => a.from + a.to - (b.from + b.to)).map((w) => w.version);
      console.log(`runner ${i} served set versions ${answers.join(" -> ")} (workers in the order they started: ${walk.join(" -> ")})`);
      expect(walk).not.toContain(-1);
      // Never back to an older set: a worker surely started after another serves a set at least as new.
      for (const before of started) {
        for (const after of started) {
          if (before.to < after.from) expect(after.version, `a worker started after one serving set version ${before.version}`).toBeGreaterThanOrEqual(before.version);
        }
      }
      expect((await freshRequest(`${m.proc!.url}/versions/version`)).body).toEqual({ version: "1.0.0" });
    }
  });

  it("follows an import made on one runner: every runner serves the imported set's lockfile", async () => {
    const [a, b] = fleet as [Member, Member, Member];
    const exported = await fetch(`${a.proc!.url}/plugins/export`, { method: "POST", headers: { authorization: `Bearer ${a.token}` } });
    expect(exported.status).toBe(200);
    const archive = new Uint8Array(await exported.arrayBuffer());
    // The set moves on (plugin-scripts leaves), then the import on another runner brings it back.
    const scripts = ((await call(a, "GET", "/plugins")).body.plugins as { id: string; name: string }[]).find((p) => p.name === "plugin-scripts")!;
    expect((await call(a, "POST", `/plugins/${scripts.id}/uninstall`, { apply: true })).status).toBe(200);
    const file = join(npmDir, "fleet-set.tgz");
    await writeFile(file, archive);
    const res = await fetch(`${b.proc!.url}/plugins/import`, {
      method: "POST",
      headers: { authorization: `Bearer ${b.token}`, "content-type": "application/gzip" },
      body: await readFile(file),
    });
    const imported = (await res.json()) as { generation: string; published: boolean; sources: string[] };
    expect(res.status, JSON.stringify(imported)).toBe(200);
    expect(imported.published).toBe(true);
    expect(imported.sources.some((s) => s.startsWith("plugin-scripts@"))).toBe(true);
    for (const m of fleet) {
      await until(`runner ${m.port} serves the imported generation`, async () => (await health(m)).generation?.serving === imported.generation);
    }
    const locks = await Promise.all(fleet.map(servedLock));
    expect(Object.keys(locks[0]!)).toContain("node_modules/plugin-scripts");
    expect(locks[1]).toEqual(locks[0]);
    expect(locks[2]).toEqual(locks[0]);
  });

  it("follows an upgrade with --apply made from the CLI on one runner's data dir (through that runner)", async () => {
    const [, , c] = fleet as [Member, Member, Member];
    const upgraded = await cli(["plugins", "upgrade", "plugin-versions", "1.1.0", "--apply", "--json", "--data-dir", c.dataDir], env);
    expect(upgraded.stderr).not.toContain("COSMO_E");
    expect(upgraded.code).toBe(0);
    const body = JSON.parse(upgraded.stdout);
    expect(body).toMatchObject({ version: "1.1.0", apply: { via: "runner" } });
    const generation = body.apply.result.generation as string;
    for (const m of fleet) {
      await until(`runner ${m.port} serves plugin-versions 1.1.0`, async () => (await health(m)).generation?.serving === generation);
      expect((await freshRequest(`${m.proc!.url}/versions/version`)).body).toEqual({ version: "1.1.0" });
    }
    const locks = await Promise.all(fleet.map(servedLock));
    expect(locks[0]!["node_modules/plugin-versions"]).toMatchObject({ version: "1.1.0" });
    expect(locks[1]).toEqual(locks[0]);
    expect(locks[2]).toEqual(locks[0]);
  });
});
