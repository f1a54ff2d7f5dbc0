/**
 * Runs the example as its README says (`node server.js`) against the test registry
 * (through the npm config env a user would set) and talks HTTP to it.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { registryEnv, spawnProcess, type CliProcess } from "@cosmo/test-kit";

const exampleDir = fileURLToPath(new URL("..", import.meta.url));

let server: CliProcess;
let url: string;
let dataDir: string;
let npmrcDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cosmo-h3-host-"));
  const npm = await registryEnv(inject("registryUrl"));
  npmrcDir = npm.dir;
  server = spawnProcess(process.execPath, ["server.js"], { cwd: exampleDir, env: { ...npm.env, PORT: "0", COSMO_DATA_DIR: dataDir } });
  url = (await server.waitFor(/listening on (http:\/\/\S+)/, 15_000))[1]!;
});

afterAll(async () => {
  if (server?.child.exitCode === null) server.child.kill("SIGKILL");
  await server?.exited;
  await rm(dataDir, { recursive: true, force: true });
  await rm(npmrcDir, { recursive: true, force: true });
});

const post = (path: string, body: unknown) =>
  fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

interface ConflictBody {
  error: { code: string; details: { conflicts: { kind: string; plugin: string; package: string; heldBy?: { type: string } }[] } };
}

describe("examples/h3-host", () => {
  it("serves its own routes and the clock plugin's, mounted as a fetch function", async () => {
    const list = (await (await fetch(`${url}/api/plugins`)).json()) as { plugins: unknown[] };
    expect(list.plugins).toMatchObject([{ name: "clock", status: "active", routes: [{ method: "GET", path: "/clock/now" }] }]);
    const now = await fetch(`${url}/clock/now`);
    expect(now.status).toBe(200);
    expect(await now.json()).toMatchObject({ now: expect.any(String), uptime_ms: expect.any(Number) });
  });

  it("answers a plugin-free source check with 200 and writes nothing in the data dir", async () => {
    const response = await post("/api/check", { source: "plugin-ok@^1" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, source: "plugin-ok@^1", installed: [], conflicts: [] });
    expect(await readdir(dataDir)).toEqual([]);
  });

  it("answers 409 naming the plugin and the host when a plugin peers another @cosmo/core", async () => {
    const response = await post("/api/check", { source: "plugin-peer-core-2@1.0.0" });
    expect(response.status).toBe(409);
    const body = (await response.json()) as ConflictBody;
    expect(body.error.code).toBe("COSMO_E_CONFLICT");
    expect(body.error.details.conflicts).toContainEqual(
      expect.objectContaining({ kind: "peer", plugin: "plugin-peer-core-2", package: "@cosmo/core", heldBy: { type: "host" } }),
    );
    expect(server.stdout() + server.stderr()).toContain("Cosmo could not add plugin-peer-core-2");
  });

  it("checks against the plugins in the tracking file: two plugins peering different majors conflict", async () => {
    await mkdir(join(dataDir, "plugins"), { recursive: true });
    await writeFile(join(dataDir, "plugins", "installed_plugins.txt"), "plugin-peer-shared-1@1.0.0\n");
    const response = await post("/api/check", { source: "plugin-peer-shared-2@1.0.0" });
    expect(response.status).toBe(409);
    const { conflicts } = ((await response.json()) as ConflictBody).error.details;
    expect(conflicts).toContainEqual(expect.objectContaining({ kind: "peer", package: "shared-lib" }));
    expect(JSON.stringify(conflicts)).toContain("plugin-peer-shared-1");
    await rm(join(dataDir, "plugins"), { recursive: true });
  });

  it("refuses a body without a source with a coded 422", async () => {
    const response = await post("/api/check", {});
    expect(response.status).toBe(422);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("COSMO_E_BODY_INVALID");
  });

  it("stops serving a plugin's routes the moment it is unregistered", async () => {
    expect((await fetch(`${url}/api/plugins/clock`, { method: "DELETE" })).status).toBe(200);
    const gone = await fetch(`${url}/clock/now`);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe("COSMO_E_ROUTE_NOT_FOUND");
    const again = await fetch(`${url}/api/plugins/nope`, { method: "DELETE" });
    expect(again.status).toBe(404);
  });

  it("exits 0 on SIGTERM", async () => {
    server.child.kill("SIGTERM");
    expect((await server.exited).code).toBe(0);
  });
});
