import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { request } from "node:http";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeBundle, useBundle, versionPlugin, type FixturePlugin } from "./helpers/bundles";
import { freePort, runCli, startRunner, stopRunner, type CliProcess } from "@cosmo/test-kit";

// Real processes: each test spawns bin/cosmo-runner.js (built dist) on loopback.
describe("cosmo-runner start", () => {
  let dataDir: string;
  const running: CliProcess[] = [];
  const start = async (args: string[] = [], env: Record<string, string> = {}) => {
    const proc = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir, ...args], env);
    running.push(proc);
    return proc;
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-start-"));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map(stopRunner));
    await rm(dataDir, { recursive: true, force: true });
  });

  it("serves /health with no bundle, prints the URL, and writes runner.json while running", async () => {
    const runner = await start();
    expect(runner.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${runner.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", bundle: null, clean: false, plugins: { total: 0, active: 0, failed: 0 } });
    const info = JSON.parse(await readFile(join(dataDir, "runner.json"), "utf8"));
    expect(info).toMatchObject({ url: runner.url, pid: runner.child.pid });
  });

  it("records a loopback URL in runner.json when listening on 0.0.0.0, so the CLI passes the Host guard", async () => {
    const runner = await start(["--host", "0.0.0.0"], { COSMO_ADMIN_TOKEN: "wildcard-token-0123456789" });
    expect(runner.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const info = JSON.parse(await readFile(join(dataDir, "runner.json"), "utf8"));
    expect(info.url).toBe(runner.url);
    const reload = await fetch(`${runner.url}/plugins/reload`, { method: "POST", headers: { authorization: "Bearer wildcard-token-0123456789" } });
    expect(reload.status).toBe(200);
  });

  it("answers a Host named with --allowed-hosts (a proxy's name) and still refuses any other", async () => {
    const runner = await start(["--allowed-hosts", "runner-a.internal, other.internal"]);
    // fetch may not set Host; node:http sends it as given.
    const statusFor = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(`${runner.url}/health`);
        request({ host: url.hostname, port: url.port, path: url.pathname, headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on("error", reject)
          .end();
      });
    expect(await statusFor("runner-a.internal:3000")).toBe(200);
    expect(await statusFor("other.internal")).toBe(200);
    expect(await statusFor("evil.example")).toBe(403);
  });

  it("generates the admin token at first start into a 0600 file and prints it only that once", async () => {
    const first = await start();
    const token = (await readFile(join(dataDir, "admin-token"), "utf8")).trim();
    expect(first.stdout()).toContain(token);
    expect((await stat(join(dataDir, "admin-token"))).mode & 0o777).toBe(0o600);
    // The token it printed is the one the API takes.
    const ok = await fetch(`${first.url}/plugins`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ source: "left-pad" }) });
    expect(ok.status).toBe(201);
    expect((await stopRunner(first)).code).toBe(0);

    const second = await start();
    expect(second.stdout()).not.toContain(token);
    expect(second.stdout()).not.toMatch(/Admin token/);
  });

  it("takes COSMO_ADMIN_TOKEN without writing or printing a token", async () => {
    const runner = await start([], { COSMO_ADMIN_TOKEN: "env-token-123456" });
    expect(runner.stdout()).not.toMatch(/Admin token/);
    await expect(stat(join(dataDir, "admin-token"))).rejects.toThrow();
    const res = await fetch(`${runner.url}/plugins`, { method: "POST", headers: { authorization: "Bearer env-token-123456", "content-type": "application/json" }, body: JSON.stringify({ source: "x" }) });
    expect(res.status).toBe(201);
  });

  it("exits 0 on SIGTERM after finishing an in-flight request, and removes runner.json", async () => {
    const slow: FixturePlugin = {
      name: "slow",
      prefix: "/slow",
      // Says on stdout (the worker's is the runner's) that the request is in, then takes its time.
      source: `export const plugin = { setup(ctx) { ctx.route("GET", "/wait", async () => { console.log("slow: request in"); await new Promise((r) => setTimeout(r, 800)); return { done: true }; }); } };\n`,
    };
    await useBundle(dataDir, await makeBundle(dataDir, "b1", [slow]));
    const runner = await start();
    const inFlight = fetch(`${runner.url}/slow/wait`);
    await runner.waitFor(/slow: request in/);
    runner.child.kill("SIGTERM");
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    expect(await runner.exited).toEqual({ code: 0, signal: null });
    await expect(stat(join(dataDir, "runner.json"))).rejects.toThrow();
  });

  it("answers --help with exit 0 for the CLI and for start", async () => {
    const root = runCli(["--help"]);
    expect((await root.exited).code).toBe(0);
    expect(root.stdout()).toMatch(/start/);
    const help = runCli(["start", "--help"]);
    expect((await help.exited).code).toBe(0);
    expect(help.stdout()).toMatch(/--port/);
    expect(help.stdout()).toMatch(/--data-dir/);
    expect(help.stdout()).toMatch(/--clean/);
  });

  it("exits 2 with COSMO_E_CLI_USAGE on an unknown flag, a bad port or an unknown command", async () => {
    for (const args of [["start", "--bogus"], ["start", "--port", "http"], ["frobnicate"]]) {
      const proc = runCli([...args, "--data-dir", dataDir]);
      expect((await proc.exited).code, args.join(" ")).toBe(2);
      expect(proc.stderr()).toMatch(/COSMO_E_CLI_USAGE/);
    }
  });

  it("exits 1 with COSMO_E_LISTEN_FAILED when the port is taken", async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      const proc = runCli(["start", "--port", String(port), "--data-dir", dataDir]);
      expect((await proc.exited).code).toBe(1);
      expect(proc.stderr()).toMatch(/error COSMO_E_LISTEN_FAILED: .*EADDRINUSE/);
      await expect(stat(join(dataDir, "runner.json"))).rejects.toThrow();
    } finally {
      blocker.close();
    }
  });

  it("refuses a second runner on the same data dir", async () => {
    const runner = await start();
    const second = runCli(["start", "--port", String(await freePort()), "--data-dir", dataDir]);
    expect((await second.exited).code).toBe(1);
    expect(second.stderr()).toMatch(/COSMO_E_RUNNER_ALREADY_RUNNING/);
    expect((await fetch(`${runner.url}/health`)).status).toBe(200);
  });

  it("serves the plugins from this process with --no-cluster, where reload is unavailable", async () => {
    await useBundle(dataDir, await makeBundle(dataDir, "b1", [versionPlugin("hello", "/hello", "1")]));
    const runner = await start(["--no-cluster"], { COSMO_ADMIN_TOKEN: "tok-123456" });
    expect(await (await fetch(`${runner.url}/hello/version`)).json()).toEqual({ plugin: "hello", version: "1" });
    const health = await (await fetch(`${runner.url}/health`)).json();
    expect(health.pid).toBe(runner.child.pid);
    const reload = await fetch(`${runner.url}/plugins/reload`, { method: "POST", headers: { authorization: "Bearer tok-123456" } });
    expect(reload.status).toBe(409);
    expect((await reload.json()).error.code).toBe("COSMO_E_RELOAD_UNAVAILABLE");
    // SIGHUP (reload, in cluster mode) must not end a single-process runner.
    runner.child.kill("SIGHUP");
    // Its warning (stderr, where the pretty log writes warnings) says it stays.
    await runner.waitFor(/cannot reload now: started with --no-cluster/, 20_000, "stderr");
    expect(runner.child.exitCode).toBeNull();
    expect((await fetch(`${runner.url}/health`)).status).toBe(200);
    expect((await stopRunner(runner)).code).toBe(0);
  });
});
