/**
 * Runs the example as its README says (`PORT=... node server.js`) and talks HTTP to it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const exampleDir = fileURLToPath(new URL("..", import.meta.url));

interface Server {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
}

const running: Server[] = [];

async function start(env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, ["server.js"], {
    cwd: exampleDir,
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" line in 10 s:\n${out}`)), 10_000);
    const check = () => {
      const match = out.match(/listening on (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stdout?.on("data", check);
    void exited.then(() => reject(new Error(`exited before listening:\n${out}`)));
  });
  const server = { child, url, output: () => out, exited };
  running.push(server);
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
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain("[greeter] teardown");
  });
});
