/**
 * Runs the example as its README says (`PORT=... node server.js`) and talks HTTP to it.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnProcess, type CliProcess } from "@cosmo/test-kit";
import { afterEach, describe, expect, it } from "vitest";

const exampleDir = fileURLToPath(new URL("..", import.meta.url));

type Server = CliProcess & { url: string; output(): string };

const running: Server[] = [];

async function start(env: Record<string, string> = {}): Promise<Server> {
  const proc = spawnProcess(process.execPath, ["server.js"], { cwd: exampleDir, env: { ...process.env, PORT: "0", ...env } });
  const server: Server = { ...proc, url: "", output: () => proc.stdout() + proc.stderr() };
  running.push(server);
  server.url = (await proc.waitFor(/listening on (http:\/\/\S+)/, 10_000))[1]!;
  return server;
}

afterEach(async () => {
  for (const server of running.splice(0)) {
    if (server.child.exitCode === null) server.child.kill("SIGKILL");
    await server.exited;
  }
});

describe("examples/node-http-host", () => {
  it("serves the greeter plugin's routes from plugins/ with its config and storage", async () => {
    const server = await start({ GREETING: "Hi" });
    const first = await fetch(`${server.url}/greeter/hello/Ada`);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ message: "Hi, Ada!", count: 1 });
    const second = await fetch(`${server.url}/greeter/hello/Alan`);
    expect(await second.json()).toEqual({ message: "Hi, Alan!", count: 2 });

    const echo = await fetch(`${server.url}/greeter/echo`, { method: "POST", body: "ping" });
    expect(await echo.text()).toBe("ping");
  });

  it("answers its own routes and a coded 404 for paths no plugin serves", async () => {
    const server = await start();
    expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: "ok" });
    const list = (await (await fetch(`${server.url}/plugins`)).json()) as { plugins: { name: string; status: string }[] };
    expect(list.plugins).toMatchObject([{ name: "greeter", status: "active" }]);

    const missing = await fetch(`${server.url}/nothing/here`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("COSMO_E_ROUTE_NOT_FOUND");
  });

  it("logs a bad plugin as a diagnostic and keeps serving the good one", async () => {
    const extra = await mkdtemp(join(tmpdir(), "cosmo-node-host-"));
    try {
      await mkdir(join(extra, "broken-plugin"));
      await writeFile(join(extra, "broken-plugin", "package.json"), JSON.stringify({ name: "broken-plugin", version: "1.0.0" }));
      await writeFile(join(extra, "broken-plugin", "cosmo.json"), JSON.stringify({ name: "broken", version: "one" }));
      const roots = [join(exampleDir, "plugins"), extra].join(delimiter);
      const server = await start({ COSMO_PLUGIN_ROOTS: roots });
      expect(server.output()).toMatch(/skipped broken-plugin: COSMO_E_MANIFEST_INVALID .*plugin_class/);
      expect((await fetch(`${server.url}/greeter/hello/Ada`)).status).toBe(200);
    } finally {
      await rm(extra, { recursive: true, force: true });
    }
  });

  it("tears the plugins down and exits 0 on SIGTERM", async () => {
    const server = await start();
    server.child.kill("SIGTERM");
    expect((await server.exited).code).toBe(0);
    expect(server.output()).toContain("[greeter] teardown");
  });
});
