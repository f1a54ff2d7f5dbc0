import { mkdtemp, readFile, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startRunner, stopRunner, type CliProcess } from "@cosmo/test-kit";
import { makeBundle, useBundle, type FixturePlugin } from "./helpers/bundles";

const TOKEN = "held-socket-test-token-0123";
const PLUGINS = 5;

/** A plugin answering `GET <prefix>/ok` with the pid of the worker that answered. */
function pidPlugin(i: number): FixturePlugin {
  return { name: `p${i}`, prefix: `/p${i}`, source: `export const plugin = { setup(ctx) { ctx.route("GET", "/ok", () => ({ ok: ${i}, pid: process.pid })); } };\n` };
}

interface Outcome {
  started: number;
  pid?: number;
  error?: string;
  /** The request went out on a keep-alive connection that had answered before, from this pid. */
  reusedFrom?: number;
}

/** The worker that last answered on each connection (keep-alive clients). */
const answeredOn = new WeakMap<Socket, number>();

/** One GET; settles with what happened (never rejects). The timeout is far above any restart: reaching it fails the test. */
function get(url: string, agent: Agent | false): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        const pid = (JSON.parse(body) as { pid: number }).pid;
        answeredOn.set(req.socket!, pid);
        resolve({ started, pid });
      });
      res.on("error", (error: NodeJS.ErrnoException) => resolve({ started, error: error.code ?? error.message }));
    });
    let reusedFrom: number | undefined;
    req.on("socket", (socket: Socket) => (reusedFrom = req.reusedSocket ? answeredOn.get(socket) : undefined));
    req.setTimeout(60_000, () => req.destroy(Object.assign(new Error("no answer within 60 s"), { code: "HUNG" })));
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ started, error: error.code ?? error.message, reusedFrom }));
    req.end();
  });
}

async function pidOf(url: string): Promise<number> {
  const outcome = await get(`${url}/p0/ok`, false);
  if (outcome.pid === undefined) throw new Error(`no answer from ${url}: ${outcome.error}`);
  return outcome.pid;
}

/**
 * Clients under steady load, as in production: `keepAlive` clients each reusing one
 * connection, and `fresh` clients each opening a new connection per request. Each loops until
 * stopped; every outcome is recorded.
 */
function load(url: string, clients: { keepAlive: number; fresh: number }) {
  const outcomes: Outcome[] = [];
  const listeners = new Set<() => void>();
  let running = true;
  const loop = async (agent: Agent | false, first: number) => {
    for (let i = first; running; i++) {
      outcomes.push(await get(`${url}/p${i % PLUGINS}/ok`, agent));
      for (const listener of listeners) listener();
    }
    if (agent) agent.destroy();
  };
  const loops = [
    ...Array.from({ length: clients.keepAlive }, (_, i) => loop(new Agent({ keepAlive: true, maxSockets: 1 }), i)),
    ...Array.from({ length: clients.fresh }, (_, i) => loop(false, i)),
  ];
  return {
    outcomes,
    /** Resolves once `check` holds over the outcomes so far (checked after each one). */
    until(check: (outcomes: Outcome[]) => boolean): Promise<void> {
      return new Promise((resolve) => {
        const listener = () => {
          if (!check(outcomes)) return;
          listeners.delete(listener);
          resolve();
        };
        listeners.add(listener);
        listener();
      });
    },
    async stop(): Promise<void> {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Starts a runner and waits until its standby holds the listening socket. */
async function startHolding(args: string[]): Promise<CliProcess & { url: string }> {
  const runner = await startRunner(args, { COSMO_ADMIN_TOKEN: TOKEN });
  await runner.waitFor(/standby worker \d+ ready, holding the listening socket/, 60_000, "stdout");
  return runner;
}

// Regression (issue 9, healthy plugins keep serving during recovery): under Node's round-robin
// scheduling the cluster primary closed the listening socket when the only serving worker died
// (an OOM, a SIGKILL): 19-185 requests were refused until the restarted worker listened, and a
// connection handed to the dying worker hung for good. The workers now share the socket
// (SCHED_NONE) and the standby holds it open: new connections wait for the restarted worker.
describe("a serving worker that dies: connections wait for its replacement", () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-held-"));
    await useBundle(dataDir, await makeBundle(dataDir, "v1", Array.from({ length: PLUGINS }, (_, i) => pidPlugin(i))));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("refuses no connection and leaves no request hanging; only requests in flight on the dead worker fail, with a reset", async () => {
    const port = await freePort();
    const runner = await startHolding(["--port", String(port), "--data-dir", dataDir]);
    try {
      const killed = await pidOf(runner.url);
      const traffic = load(runner.url, { keepAlive: 4, fresh: 2 });
      // Every client has been answered at least once: the load runs.
      await traffic.until((all) => all.filter((o) => o.pid === killed).length >= 12);
      process.kill(killed, "SIGKILL");
      // The supervisor has seen the exit: from here on no connection can reach the dead worker.
      await runner.waitFor(/killed by SIGKILL; restarting/, 60_000, "stderr");
      const deathSeen = Date.now();
      // The replacement answers, then every client gets a few more answers from it.
      await traffic.until((all) => all.filter((o) => o.pid !== undefined && o.pid !== killed && o.started > deathSeen).length >= 12);
      await traffic.stop();

      const failures = traffic.outcomes.filter((o) => o.error !== undefined);
      expect(failures.filter((o) => o.error === "ECONNREFUSED")).toEqual([]);
      expect(failures.filter((o) => o.error === "HUNG")).toEqual([]);
      for (const failure of failures) {
        // A reset (the dead worker's connections closed with it), on a connection that worker
        // answered on before, or sent before its death was seen.
        expect(failure.error).toMatch(/^(ECONNRESET|EPIPE)$/);
        expect(failure.reusedFrom === killed || failure.started <= deathSeen).toBe(true);
      }
      // Each client has one request at a time: the one in flight when the worker died, or the
      // next one on a keep-alive connection the client had not yet seen close; at most one more
      // on a connection the worker accepted between the kill and its death.
      expect(failures.length).toBeLessThanOrEqual(6 * 2);
      expect(await pidOf(runner.url)).not.toBe(killed);
    } finally {
      await stopRunner(runner);
    }
    // The standby's hold goes with the runner: the port is free.
    const probe = createServer();
    await new Promise<void>((resolve, reject) => probe.once("error", reject).listen(port, "127.0.0.1", resolve));
    await new Promise((resolve) => probe.close(resolve));
  }, 180_000);

  it("keeps the port of --port 0 across the restart (the replacement listens on the socket the standby held)", async () => {
    const runner = await startHolding(["--port", "0", "--data-dir", dataDir]);
    try {
      const killed = await pidOf(runner.url);
      process.kill(killed, "SIGKILL");
      await runner.waitFor(/killed by SIGKILL; restarting/, 60_000, "stderr");
      // Sent while the replacement may still be loading: waits in the backlog, is not refused.
      const replacement = await pidOf(runner.url);
      expect(replacement).not.toBe(killed);
      const file = JSON.parse(await readFile(join(dataDir, "runner.json"), "utf8")) as { url: string };
      expect(file.url).toBe(runner.url);
    } finally {
      await stopRunner(runner);
    }
  }, 120_000);
});
