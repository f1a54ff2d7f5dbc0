import { mkdtemp, rm } from "node:fs/promises";
import cluster from "node:cluster";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CosmoError } from "@cosmo/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Supervisor, type SupervisorOptions } from "../src/supervisor";
import { currentLink, makeBundle, useBundle, versionPlugin } from "./helpers/bundles";
import { freePort } from "@cosmo/test-kit";

// The built worker entry, as the CLI forks it (run `npm run build` first).
const exec = fileURLToPath(new URL("../dist/worker.js", import.meta.url));
const quiet = { info() {}, warn() {}, error() {} };

/** A logger that keeps the supervisor's lines, and a wait for the next one that matches. */
function recording() {
  const waiters = new Set<{ pattern: RegExp; resolve: (match: RegExpMatchArray) => void }>();
  const line = (text: string) => {
    for (const waiter of waiters) {
      const match = text.match(waiter.pattern);
      if (!match) continue;
      waiters.delete(waiter);
      waiter.resolve(match);
    }
  };
  return {
    logger: { info: line, warn: line, error: line },
    /** Call before what makes the line: only lines from then on are matched. */
    next: (pattern: RegExp) => new Promise<RegExpMatchArray>((resolve) => waiters.add({ pattern, resolve })),
  };
}

/** Resolves when the worker process `pid` has exited (as the cluster primary saw it). */
function exitOf(pid: number): Promise<void> {
  return new Promise((resolve) => {
    const onExit = (worker: { process: { pid?: number } }) => {
      if (worker.process.pid !== pid) return;
      cluster.off("exit", onExit);
      resolve();
    };
    cluster.on("exit", onExit);
  });
}

// The supervisor driven directly, with short limits, on real worker processes.
describe("Supervisor", () => {
  let dataDir: string;
  let supervisor: Supervisor | undefined;
  const create = async (options: Partial<SupervisorOptions> & { stallTimeout?: number } = {}) => {
    const { stallTimeout = 0, ...rest } = options;
    supervisor = new Supervisor({
      exec,
      logger: quiet,
      config: { port: await freePort(), host: "127.0.0.1", dataDir, token: "supervisor-token-0123", store: "memory:", clean: false, stallTimeout },
      ...rest,
    });
    return supervisor;
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-supervisor-"));
  });
  afterEach(async () => {
    await supervisor?.stop();
    supervisor = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  it("kills a new worker that is not ready in time, and the old one keeps serving", async () => {
    const v1 = await makeBundle(dataDir, "v1", [versionPlugin("hello", "/hello", "1")]);
    await useBundle(dataDir, v1);
    const sup = await create({ readyTimeout: 6000 }); // long enough for a first start on a busy machine
    const first = await sup.start();
    // Blocks its worker's event loop forever as it is imported: only the ready timeout ends it.
    const hang = { name: "hang", prefix: "/hang", source: "for (;;) {}\nexport const plugin = { setup() {} };\n" };
    await useBundle(dataDir, await makeBundle(dataDir, "hang", [hang]));
    const error = (await sup.reload({ rollbackOnFailure: true }).catch((e: unknown) => e)) as CosmoError;
    expect(error.code).toBe("COSMO_E_WORKER_START_FAILED");
    expect(error.details).toMatchObject({ reason: "not ready within 6000 ms", rolledBack: true, previousServing: true });
    expect(sup.serving?.pid).toBe(first.pid);
    expect(await currentLink(dataDir)).toBe(v1);
    expect(await (await fetch(`${sup.serving!.url}/hello/version`)).json()).toMatchObject({ version: "1" });
  });

  it("quarantines a plugin that blocks the event loop as it is imported (watchdog), and starts without it", async () => {
    await useBundle(dataDir, await makeBundle(dataDir, "v1", [versionPlugin("hello", "/hello", "1")]));
    const quarantined: string[] = [];
    const sup = await create({ stallTimeout: 500, onQuarantine: (plugin) => quarantined.push(plugin.name) });
    await sup.start();
    const hang = { name: "hang", prefix: "/hang", source: "for (;;) {}\nexport const plugin = { setup() {} };\n" };
    await useBundle(dataDir, await makeBundle(dataDir, "v2", [versionPlugin("hello", "/hello", "2"), hang]));
    const result = await sup.reload({ rollbackOnFailure: true });
    expect(quarantined).toEqual(["hang"]);
    expect(result.plugins).toMatchObject({ active: 1, quarantined: 1 });
    expect(await (await fetch(`${sup.serving!.url}/hello/version`)).json()).toMatchObject({ version: "2" });
  });

  it("runs reloads one at a time, in order", async () => {
    await useBundle(dataDir, await makeBundle(dataDir, "v1", [versionPlugin("hello", "/hello", "1")]));
    const sup = await create();
    await sup.start();
    const [a, b] = await Promise.all([sup.reload(), sup.reload()]);
    expect(a.pid).not.toBe(b.pid);
    expect(sup.serving?.pid).toBe(b.pid);
  });

  it("falls back to the last bundle that served, not to an exit, when workers keep crashing with no plugin to name", async () => {
    const v1 = await makeBundle(dataDir, "v1", [versionPlugin("hello", "/hello", "1")]);
    await useBundle(dataDir, v1);
    let fatal: CosmoError | undefined;
    // No watchdog: nothing can name the crasher (reallyExit passes the process.exit guard).
    let fellBack!: () => void;
    const fallbackServing = new Promise<void>((resolve) => (fellBack = resolve));
    const sup = await create({ maxCrashes: 3, onFatal: (e) => (fatal = e), onServing: (ready) => ready.fallback && fellBack() });
    const { pid } = await sup.start();
    const crasher = { name: "crasher", prefix: "/crasher", source: "process.reallyExit(3);\nexport const plugin = { setup() {} };\n" };
    await useBundle(dataDir, await makeBundle(dataDir, "crash", [crasher]));
    process.kill(pid, "SIGKILL");
    await fallbackServing;
    expect(fatal).toBeUndefined();
    expect(sup.serving?.fallback).toMatch(/COSMO_E_WORKER_CRASH_LOOP|crashed 3 times/);
    expect(sup.serving?.bundle).toBe(v1);
    expect(await (await fetch(`${sup.serving!.url}/hello/version`)).json()).toMatchObject({ version: "1" });
  });

  it("frees the port once stopped: the standby's hold on the listening socket goes with it", async () => {
    await useBundle(dataDir, await makeBundle(dataDir, "v1", [versionPlugin("hello", "/hello", "1")]));
    const log = recording();
    const holding = log.next(/standby worker \d+ ready, holding the listening socket/);
    const sup = await create({ logger: log.logger });
    await sup.start();
    await holding;
    const port = Number(new URL(sup.serving!.url).port);
    await sup.stop();
    supervisor = undefined;
    const probe = createServer();
    await new Promise<void>((resolve, reject) => probe.once("error", reject).listen(port, "127.0.0.1", resolve));
    await new Promise((resolve) => probe.close(resolve));
  });

  // Without a standby holding the socket, the port closes with the dead worker and the next one
  // binds it afresh (connections are refused meanwhile): still served, on the same port.
  for (const [title, standby] of [
    ["the standby died before the serving worker", true],
    ["the standby is disabled", false],
  ] as const) {
    it(`restarts a killed worker on the same port when ${title}`, async () => {
      await useBundle(dataDir, await makeBundle(dataDir, "v1", [versionPlugin("hello", "/hello", "1")]));
      const log = recording();
      const ready = log.next(/standby worker (\d+) ready/);
      const served: number[] = [];
      let restarted!: () => void;
      const restart = new Promise<void>((resolve) => (restarted = resolve));
      const sup = await create({ logger: log.logger, standby, onServing: (r) => served.push(r.pid) === 2 && restarted() });
      const first = await sup.start();
      const url = sup.serving!.url;
      if (standby) {
        const pid = Number((await ready)[1]);
        const gone = exitOf(pid);
        process.kill(pid, "SIGKILL");
        await gone;
      }
      process.kill(first.pid, "SIGKILL");
      await restart;
      expect(served[1]).not.toBe(first.pid);
      expect(sup.serving?.url).toBe(url);
      expect(await (await fetch(`${url}/hello/version`)).json()).toMatchObject({ version: "1" });
    });
  }

  // Regression (issue 9): a retired worker holding an admin operation that never ends (here a
  // check against a registry that accepts connections and never answers) said "holding" every
  // 2 s, and each one put its kill off again: the process lived for good.
  it("kills a retired worker whose accepted admin operation hangs, once maxHoldMs has passed", async () => {
    const { pid: hanging, close, connected } = await (async () => {
      let seen!: () => void;
      const connected = new Promise<void>((resolve) => (seen = resolve));
      const sockets = new Set<Socket>();
      const registry: Server = createServer((socket) => {
        sockets.add(socket);
        seen();
      });
      await new Promise<void>((resolve) => registry.listen(0, "127.0.0.1", resolve));
      const port = (registry.address() as { port: number }).port;
      await useBundle(dataDir, await makeBundle(dataDir, "v1", [versionPlugin("hello", "/hello", "1")]));
      const sup = await create({ maxHoldMs: 3_000 });
      // The first worker (the one to hang) takes its npm registry and check bound from its environment.
      const saved = { registry: process.env.npm_config_registry, timeout: process.env.COSMO_CHECK_TIMEOUT_MS };
      process.env.npm_config_registry = `http://127.0.0.1:${port}/`;
      process.env.COSMO_CHECK_TIMEOUT_MS = "600000";
      const { pid } = await sup.start().finally(() => {
        for (const [key, value] of [["npm_config_registry", saved.registry], ["COSMO_CHECK_TIMEOUT_MS", saved.timeout]] as const) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
      });
      const close = () => {
        for (const socket of sockets) socket.destroy();
        return new Promise((resolve) => registry.close(resolve));
      };
      return { pid, close, connected };
    })();
    const url = supervisor!.serving!.url;
    const admin = { authorization: "Bearer supervisor-token-0123", "content-type": "application/json" };
    const record = (await (await fetch(`${url}/plugins`, { method: "POST", headers: admin, body: JSON.stringify({ source: "some-plugin@1.0.0" }) })).json()) as { id: string };
    // Not awaited: it never answers (the worker is killed under it).
    void fetch(`${url}/plugins/${record.id}/install`, { method: "POST", headers: admin, body: "{}" }).catch(() => undefined);
    await connected; // the check is under way: the worker holds an operation
    const exited = new Promise<void>((resolve) => {
      const onExit = (worker: { process: { pid?: number } }) => {
        if (worker.process.pid !== hanging) return;
        cluster.off("exit", onExit);
        resolve();
      };
      cluster.on("exit", onExit);
    });
    const next = await supervisor!.reload();
    expect(next.pid).not.toBe(hanging);
    await exited; // without the bound: after the check's own 600 s
    await close();
  });
});
