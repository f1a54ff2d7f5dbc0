/**
 * One runner under load and faults, as the issue's probe found it. Regressions: with 300
 * records, 20 concurrent `GET /plugins` under `ulimit -n 1024` never answered and then /health
 * and every plugin route timed out for good (one open file per record); one dead source
 * (`http://127.0.0.1:1/x.tgz`) held the install queue for 70 s.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, onTestFailed } from "vitest";
import { registryEnv, freePort, startRunner, stopRunner, type CliProcess } from "@cosmo/test-kit";
import { api, freshRequest } from "./helpers/e2e";

describe("a runner under load and faults", { timeout: 240_000 }, () => {
  let dataDir: string;
  let npmDir: string;
  let env: Record<string, string>;
  let runner: CliProcess & { url: string };
  let token: string;
  /** Accepts connections and never answers: a source that hangs. */
  let silent: Server;
  const sockets = new Set<Socket>();
  const call = (method: string, path: string, body?: unknown) => api(runner.url, method, path, { token, body });

  beforeAll(async () => {
    const made = await registryEnv(inject("registryUrl"));
    npmDir = made.dir;
    // A short check limit so the hanging source's failure is part of the test, not its timeout.
    // The store timeout is raised: this suite is about file descriptors and a dead source, not
    // latency, and in a full parallel run on two cores 300-record reads can pass the 4 s default
    // (a hung store's 503 is fleet.test.ts's case).
    env = { ...(made.env as Record<string, string>), COSMO_CHECK_TIMEOUT_MS: "8000", COSMO_STORE_TIMEOUT_MS: "30000", npm_config_fetch_retries: "0" };
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-load-"));
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    runner = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir], env, { openFiles: 1024 });
    token = (await readFile(join(dataDir, "admin-token"), "utf8")).trim();
  });
  afterAll(async () => {
    if (runner) await stopRunner(runner);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
    await rm(npmDir, { recursive: true, force: true });
  });
  beforeEach(() => onTestFailed(() => console.error(`runner stdout:\n${runner.stdout()}\nrunner stderr:\n${runner.stderr()}`)));

  it("fails a refused and a silent source each with a named error, while the other plugins' installs go through first", async () => {
    const { port } = silent.address() as { port: number };
    const sources = ["http://127.0.0.1:1/x.tgz", `http://127.0.0.1:${port}/never.tgz`, "plugin-ok", "plugin-versions@1.0.0", "plugin-scripts"];
    const ids = await Promise.all(sources.map(async (source) => (await call("POST", "/plugins", { source })).body.id as string));
    const order: string[] = [];
    const startedAt = performance.now();
    const took = new Map<string, number>();
    const answers = await Promise.all(
      sources.map(async (source, i) => {
        const res = await call("POST", `/plugins/${ids[i]}/install`);
        order.push(source);
        took.set(source, Math.round(performance.now() - startedAt));
        return res;
      }),
    );
    // Figures for the report (not assertions): how long each answer took under this load.
    const [refused, hung, ...good] = answers;
    console.log(`install answers, in order: ${order.map((s) => `${s} ${took.get(s)} ms`).join(", ")}; refused: ${refused!.status} ${refused!.body.error?.code}`);
    for (const res of good) expect(res!.status, JSON.stringify(res!.body)).toBe(200);
    expect(refused!.status).toBe(502);
    expect(refused!.body.error.code).toBe("COSMO_E_SOURCE_UNREACHABLE");
    expect(JSON.stringify(refused!.body.error)).toContain("127.0.0.1:1");
    expect(hung!.status).toBe(504);
    expect(hung!.body.error.code).toBe("COSMO_E_SOURCE_TIMEOUT");
    // The silent source held nobody: every good install answered before it did.
    expect(order.at(-1)).toBe(`http://127.0.0.1:${port}/never.tgz`);
    // Both records say why, and neither is in the set.
    for (const id of ids.slice(0, 2)) {
      const record = (await call("GET", `/plugins/${id}`)).body;
      expect(record.install_status).toBe("failed");
      expect(record.error_message).toMatch(/COSMO_E_|127\.0\.0\.1/);
    }
    // In the order their checks committed; exactly the three good ones.
    const set = (await readFile(join(dataDir, "plugins", "installed_plugins.txt"), "utf8")).trim().split("\n");
    expect(set.sort()).toEqual(["plugin-ok@1.0.0", "plugin-scripts@1.0.0", "plugin-versions@1.0.0"]);
    expect((await call("POST", "/plugins/apply")).status).toBe(200);
    expect((await freshRequest(`${runner.url}/ok/ping`)).status).toBe(200);
  });

  it("answers 20 concurrent GET /plugins over 300 records under ulimit -n 1024, and /health and plugin routes keep answering", async () => {
    // The limit really is the one the runner runs under (Linux shows it in /proc).
    const limits = await readFile(`/proc/${runner.child.pid}/limits`, "utf8").catch(() => null);
    if (limits !== null) expect(limits).toMatch(/Max open files\s+1024\s/);
    // 300 records in all (the five above included), added 20 at a time.
    const have = (await call("GET", "/plugins")).body.plugins.length as number;
    const wanted = Array.from({ length: 300 - have }, (_, i) => `cosmo-load-record-${i}@1.0.0`);
    for (let i = 0; i < wanted.length; i += 20) {
      const batch = await Promise.all(wanted.slice(i, i + 20).map((source) => call("POST", "/plugins", { source })));
      for (const res of batch) expect(res.status).toBe(201);
    }
    for (let round = 0; round < 3; round++) {
      const startedAt = performance.now();
      const [lists, healths, routes] = await Promise.all([
        Promise.all(Array.from({ length: 20 }, () => call("GET", "/plugins"))),
        Promise.all(Array.from({ length: 5 }, () => freshRequest(`${runner.url}/health`))),
        Promise.all(Array.from({ length: 5 }, () => freshRequest(`${runner.url}/ok/ping`))),
      ]);
      console.log(`round ${round}: 20 GET /plugins (300 records) + 5 /health + 5 /ok/ping answered in ${Math.round(performance.now() - startedAt)} ms`);
      for (const res of lists) {
        expect(res.status).toBe(200);
        expect(res.body.plugins).toHaveLength(300);
      }
      for (const res of [...healths, ...routes]) expect(res.status).toBe(200);
    }
    // And afterwards, nothing is stuck.
    expect((await freshRequest(`${runner.url}/health`)).status).toBe(200);
    expect((await call("GET", `/plugins/${(await call("GET", "/plugins")).body.plugins[0].id}`)).status).toBe(200);
  });
});
