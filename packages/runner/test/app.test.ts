import { Readable } from "node:stream";
import { join } from "node:path";
import { createError, type CosmoError } from "@cosmo/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApp, type CreateAppOptions } from "../src/app";
import type { PluginOperations } from "../src/api/operations";
import { createPluginStore } from "../src/store/create";
import type { PluginRecord, PluginStore } from "../src/store/types";
import { serveApp, type ServedApp, type TestResponse } from "./helpers/serve";

const TOKEN = "test-token-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };

/** Asserts the one error shape, nothing more and nothing less, with its status and code. */
function expectError(res: TestResponse, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  expect(Object.keys(res.json)).toEqual(["error"]);
  expect(Object.keys(res.json.error).sort()).toEqual(["code", "details", "message"]);
  expect(res.json.error.code).toBe(code);
  expect(typeof res.json.error.message).toBe("string");
  expect(res.text).not.toMatch(/\n\s+at /); // no stack trace
}

describe("admin API over HTTP", () => {
  let store: PluginStore;
  let served: ServedApp;
  const logged: unknown[][] = [];

  async function serve(options: Partial<CreateAppOptions> = {}): Promise<ServedApp> {
    await served?.close();
    served = await serveApp(createApp({ store, token: TOKEN, logger: { error: (...a) => logged.push(a) }, ...options }));
    return served;
  }
  const add = async (source: string): Promise<PluginRecord> => {
    const res = await served.request("POST", "/plugins", { headers: AUTH, body: { source } });
    expect(res.status, res.text).toBe(201);
    return res.json;
  };

  beforeEach(async () => {
    logged.length = 0;
    store = await createPluginStore("memory:", { dataDir: "/nonexistent" });
    await serve();
  });
  afterEach(async () => {
    await served.close();
    await store.close();
  });

  describe("health and unknown routes", () => {
    it("answers GET /health with status ok and the version, without a token", async () => {
      const res = await served.request("GET", "/health");
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ status: "ok", version: expect.any(String), store: "memory" });
    });

    it("answers an unknown route with a coded 404", async () => {
      expectError(await served.request("GET", "/nope"), 404, "COSMO_E_API_ROUTE_NOT_FOUND");
      expectError(await served.request("DELETE", "/plugins", { headers: AUTH }), 404, "COSMO_E_API_ROUTE_NOT_FOUND");
    });
  });

  describe("token guard", () => {
    it("refuses a mutating request without a token with 401 and a Bearer challenge", async () => {
      const res = await served.request("POST", "/plugins", { body: { source: "a" } });
      expectError(res, 401, "COSMO_E_AUTH_REQUIRED");
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
      expect(await store.list()).toEqual([]);
    });

    it("refuses a wrong token, a token prefix and another scheme with 401", async () => {
      for (const authorization of [`Bearer wrong`, `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, `Bearer`]) {
        expectError(await served.request("POST", "/plugins", { headers: { authorization }, body: { source: "a" } }), 401, "COSMO_E_AUTH_REQUIRED");
      }
    });

    it("guards DELETE as well as POST", async () => {
      const record = await add("a@1");
      expectError(await served.request("DELETE", `/plugins/${record.id}`), 401, "COSMO_E_AUTH_REQUIRED");
      expect(await store.get(record.id)).not.toBeNull();
    });

    it("lets reads through without a token", async () => {
      expect((await served.request("GET", "/plugins")).status).toBe(200);
    });
  });

  describe("Host guard (DNS rebinding)", () => {
    it("refuses a foreign Host header with 403, even with the token", async () => {
      for (const host of ["evil.example", `evil.example:${served.port}`, `localhost.evil.example:${served.port}`, "127.0.0.2"]) {
        const res = await served.request("GET", "/plugins", { headers: { host, ...AUTH } });
        expectError(res, 403, "COSMO_E_HOST_FORBIDDEN");
        expect(res.json.error.details.host).toBe(host);
      }
    });

    it("answers localhost, 127.0.0.1 and [::1] on any port", async () => {
      for (const host of ["localhost", `LOCALHOST:${served.port}`, "127.0.0.1:1", "[::1]:8080", "[::1]"]) {
        expect((await served.request("GET", "/health", { headers: { host } })).status, host).toBe(200);
      }
    });

    it("checks the URL's host for an in-process Request, which has no Host header", async () => {
      const app = createApp({ store, token: TOKEN });
      expect((await app.fetch(new Request("http://localhost:4000/health"))).status).toBe(200);
      expect((await app.fetch(new Request("http://evil.example/health"))).status).toBe(403);
    });

    it("answers the hosts given in allowedHosts", async () => {
      await serve({ allowedHosts: ["runner.lan", "::2"] });
      expect((await served.request("GET", "/health", { headers: { host: "runner.lan:4000" } })).status).toBe(200);
      expect((await served.request("GET", "/health", { headers: { host: "[::2]:4000" } })).status).toBe(200);
      expectError(await served.request("GET", "/health", { headers: { host: "other.lan" } }), 403, "COSMO_E_HOST_FORBIDDEN");
    });
  });

  describe("body limit", () => {
    it("refuses a body over the default 1 MiB with 413", async () => {
      const big = JSON.stringify({ source: "x".repeat(1024 * 1024 + 10) });
      expectError(await served.request("POST", "/plugins", { headers: AUTH, body: big }), 413, "COSMO_E_BODY_TOO_LARGE");
      expect(await store.list()).toEqual([]);
    });

    it("cuts off a chunked body (no Content-Length) once it passes the limit", async () => {
      await serve({ bodyLimit: 1000 });
      const res = await served.request("POST", "/plugins", { headers: AUTH, body: JSON.stringify({ source: "y".repeat(200_000) }), chunked: true });
      expectError(res, 413, "COSMO_E_BODY_TOO_LARGE");
      expect(res.json.error.details).toEqual({ limit: 1000 });
    });

    it("accepts a body under a custom limit", async () => {
      await serve({ bodyLimit: 100 });
      expect((await served.request("POST", "/plugins", { headers: AUTH, body: { source: "small@1" } })).status).toBe(201);
    });
  });

  describe("POST /plugins", () => {
    it("creates a pending record named after the source: 201, Location, the record", async () => {
      const res = await served.request("POST", "/plugins", { headers: AUTH, body: { source: "@acme/smart-switch@^1.2.0" } });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ name: "@acme/smart-switch", source: "@acme/smart-switch@^1.2.0", install_status: "pending", error_message: null });
      expect(res.headers.location).toBe(`/plugins/${res.json.id}`);
      expect(await store.get(res.json.id)).toEqual(res.json);
    });

    it("accepts the trailing-slash path, trims the source and records a local path absolute", async () => {
      // Relative to the runner's working directory, and stored absolute: the record is read later
      // by processes (a reloaded worker, the CLI) whose working directory may differ.
      const res = await served.request("POST", "/plugins/", { headers: AUTH, body: { source: "  ./plugins/switch-1.0.0.tgz " } });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ name: "switch", source: join(process.cwd(), "plugins/switch-1.0.0.tgz") });
    });

    it("answers 400 COSMO_E_BODY_MALFORMED for a body that is not JSON, or empty", async () => {
      expectError(await served.request("POST", "/plugins", { headers: AUTH, body: "{source:" }), 400, "COSMO_E_BODY_MALFORMED");
      expectError(await served.request("POST", "/plugins", { headers: AUTH }), 400, "COSMO_E_BODY_MALFORMED");
    });

    it("answers 422 COSMO_E_BODY_INVALID naming the field for a body that fails the schema", async () => {
      for (const body of [{}, { source: 42 }, { source: "   " }, { sorce: "a" }]) {
        const res = await served.request("POST", "/plugins", { headers: AUTH, body });
        expectError(res, 422, "COSMO_E_BODY_INVALID");
        expect(res.json.error.details.field).toBe("source");
        expect(res.json.error.details.issues[0]).toMatchObject({ field: "source", message: expect.any(String) });
      }
      expectError(await served.request("POST", "/plugins", { headers: AUTH, body: "[1]" }), 422, "COSMO_E_BODY_INVALID");
      expect(await store.list()).toEqual([]);
    });

    it("answers 422 COSMO_E_SPEC_INVALID for a source npm cannot parse, and records nothing", async () => {
      for (const source of ["--registry=http://evil", "-x", "..@1", "name@>=<1", "a b"]) {
        const res = await served.request("POST", "/plugins", { headers: AUTH, body: { source } });
        expectError(res, 422, "COSMO_E_SPEC_INVALID");
        expect(res.json.error.message).toContain(source);
      }
      expect(await store.list()).toEqual([]);
    });

    it("answers 409 COSMO_E_RECORD_DUPLICATE for a source already recorded, naming the record", async () => {
      const first = await add("dup@1");
      const res = await served.request("POST", "/plugins", { headers: AUTH, body: { source: "dup@1" } });
      expectError(res, 409, "COSMO_E_RECORD_DUPLICATE");
      expect(res.json.error.details).toEqual({ source: "dup@1", id: first.id });
    });
  });

  describe("GET and DELETE", () => {
    it("lists records oldest first under `plugins`", async () => {
      const a = await add("a@1");
      // Regression (flaky): two records made in the same millisecond are ordered by their random
      // ids, as the store documents; the test needs two distinct creation times.
      await new Promise((resolve) => setTimeout(resolve, 3));
      const b = await add("b@1");
      const res = await served.request("GET", "/plugins/");
      expect(res.status).toBe(200);
      expect(res.json.plugins.map((r: PluginRecord) => r.id)).toEqual([a.id, b.id]);
    });

    it("gets one record, and a coded 404 for an unknown id", async () => {
      const a = await add("a@1");
      expect((await served.request("GET", `/plugins/${a.id}`)).json).toEqual(a);
      const res = await served.request("GET", "/plugins/00000000-0000-4000-8000-000000000000");
      expectError(res, 404, "COSMO_E_RECORD_NOT_FOUND");
      expect(res.json.error.details).toEqual({ id: "00000000-0000-4000-8000-000000000000" });
    });

    it("deletes a record with 204 and no body; then it is gone", async () => {
      const a = await add("a@1");
      const res = await served.request("DELETE", `/plugins/${a.id}`, { headers: AUTH });
      expect(res.status).toBe(204);
      expect(res.text).toBe("");
      expectError(await served.request("GET", `/plugins/${a.id}`), 404, "COSMO_E_RECORD_NOT_FOUND");
      expectError(await served.request("DELETE", `/plugins/${a.id}`, { headers: AUTH }), 404, "COSMO_E_RECORD_NOT_FOUND");
    });
  });

  describe("operations", () => {
    function fakeOperations(): Omit<PluginOperations, "disable" | "enable" | "describe" | "remove" | "reload"> {
      return {
        install: vi.fn(async (r: PluginRecord) => store.update(r.id, { install_status: "installed" })),
        uninstall: vi.fn(async (r: PluginRecord) => store.update(r.id, { install_status: "pending" })),
        apply: vi.fn(async () => ({ applied: true })),
        installed: vi.fn(async () => [{ name: "smart-switch" }]),
        report: vi.fn(async () => ({ lockfile: "{}" })),
        exportBundle: vi.fn(async () => Readable.from([Buffer.from("archive")])),
        upgrade: vi.fn(async (r: PluginRecord, o: { version?: string }) => ({ ...r, upgrade: { to: o.version ?? "latest" } })),
        outdated: vi.fn(async () => ({ plugins: [] })),
        importBundle: vi.fn(async () => ({ imported: true })),
      };
    }

    it("has no RPC endpoints when no operations are given", async () => {
      const a = await add("a@1");
      expectError(await served.request("POST", `/plugins/${a.id}/install`, { headers: AUTH }), 404, "COSMO_E_API_ROUTE_NOT_FOUND");
      expectError(await served.request("POST", "/plugins/apply", { headers: AUTH }), 404, "COSMO_E_API_ROUTE_NOT_FOUND");
    });

    it("routes installed, report and apply to their operations, not to /plugins/:id", async () => {
      const ops = fakeOperations();
      await serve({ operations: ops });
      expect((await served.request("GET", "/plugins/installed")).json).toEqual([{ name: "smart-switch" }]);
      expect((await served.request("GET", "/plugins/report")).json).toEqual({ lockfile: "{}" });
      expectError(await served.request("POST", "/plugins/apply"), 401, "COSMO_E_AUTH_REQUIRED");
      expect((await served.request("POST", "/plugins/apply", { headers: AUTH })).json).toEqual({ applied: true });
      expect(ops.apply).toHaveBeenCalledTimes(1);
    });

    it("calls install and uninstall with the record, and 404s an unknown id without calling them", async () => {
      const ops = fakeOperations();
      await serve({ operations: ops });
      const a = await add("a@1");
      const installed = await served.request("POST", `/plugins/${a.id}/install`, { headers: AUTH });
      expect(installed.json).toMatchObject({ id: a.id, install_status: "installed" });
      expect(ops.install).toHaveBeenCalledWith(a, expect.any(Function));
      expect((await served.request("POST", `/plugins/${a.id}/uninstall`, { headers: AUTH })).json.install_status).toBe("pending");
      expectError(await served.request("POST", "/plugins/nope/install", { headers: AUTH }), 404, "COSMO_E_RECORD_NOT_FOUND");
      expect(ops.install).toHaveBeenCalledTimes(1);
    });

    it("routes upgrade with its validated body, outdated and export, and refuses a body with an unknown field", async () => {
      const ops = fakeOperations();
      await serve({ operations: ops });
      const a = await add("a@1");
      const up = await served.request("POST", `/plugins/${a.id}/upgrade`, { headers: { ...AUTH, "content-type": "application/json" }, body: JSON.stringify({ version: "^2" }) });
      expect(up.json).toMatchObject({ id: a.id, upgrade: { to: "^2" } });
      expect(ops.upgrade).toHaveBeenCalledWith(a, { version: "^2" }, expect.any(Function));
      expect((await served.request("POST", `/plugins/${a.id}/upgrade`, { headers: AUTH })).json).toMatchObject({ upgrade: { to: "latest" } });
      const bad = await served.request("POST", `/plugins/${a.id}/upgrade`, { headers: { ...AUTH, "content-type": "application/json" }, body: JSON.stringify({ versoin: "2" }) });
      expect(bad.status).toBe(422);
      expectError(await served.request("POST", "/plugins/nope/upgrade", { headers: AUTH }), 404, "COSMO_E_RECORD_NOT_FOUND");
      expect((await served.request("GET", "/plugins/outdated")).json).toEqual({ plugins: [] });
      const exported = await served.request("POST", "/plugins/export", { headers: AUTH });
      expect(exported.status).toBe(200);
      expect(exported.text).toBe("archive");
      expectError(await served.request("POST", "/plugins/export"), 401, "COSMO_E_AUTH_REQUIRED");
    });

    it("sends an operation's Cosmo error with its own status and details (409 conflict)", async () => {
      const conflict: CosmoError = createError("COSMO_E_CONFLICT", { source: "a@1", summary: "peer @cosmo/core@^2", conflicts: [{ package: "@cosmo/core" }] });
      await serve({ operations: { ...fakeOperations(), install: async () => Promise.reject(conflict) } });
      const a = await add("a@1");
      const res = await served.request("POST", `/plugins/${a.id}/install`, { headers: AUTH });
      expectError(res, 409, "COSMO_E_CONFLICT");
      expect(res.json.error.details.conflicts).toEqual([{ package: "@cosmo/core" }]);
    });

    it("uninstalls an installed record before deleting it, and leaves pending ones to the store", async () => {
      const ops = fakeOperations();
      await serve({ operations: ops });
      const pending = await add("p@1");
      const installed = await store.update((await add("i@1")).id, { install_status: "installed" });
      expect((await served.request("DELETE", `/plugins/${pending.id}`, { headers: AUTH })).status).toBe(204);
      expect(ops.uninstall).not.toHaveBeenCalled();
      expect((await served.request("DELETE", `/plugins/${installed.id}`, { headers: AUTH })).status).toBe(204);
      expect(ops.uninstall).toHaveBeenCalledWith(installed);
      expect(await store.list()).toEqual([]);
    });

    it("keeps the record when uninstalling it fails", async () => {
      const failing = createError("COSMO_E_SYNC_FAILED", { reason: "disk full" });
      await serve({ operations: { ...fakeOperations(), uninstall: async () => Promise.reject(failing) } });
      const record = await store.update((await add("i@1")).id, { install_status: "installed" });
      expectError(await served.request("DELETE", `/plugins/${record.id}`, { headers: AUTH }), 500, "COSMO_E_SYNC_FAILED");
      expect(await store.get(record.id)).toEqual(record);
    });
  });

  describe("unexpected failures", () => {
    it("answers an unexpected throw with a coded 500 without the stack, and logs the stack", async () => {
      await serve({ operations: { report: async () => Promise.reject(new Error("kaboom in report")) } });
      const res = await served.request("GET", "/plugins/report");
      expectError(res, 500, "COSMO_E_INTERNAL");
      expect(res.text).not.toContain("kaboom");
      expect(logged.flat().join("\n")).toMatch(/kaboom in report[\s\S]*\n\s+at /);
    });

    it("answers 503 COSMO_E_STORE_UNAVAILABLE when the store cannot be reached", async () => {
      const down = createError("COSMO_E_STORE_UNAVAILABLE", { store: "redis://127.0.0.1:1", reason: "ECONNREFUSED" });
      const broken: PluginStore = { ...store, list: () => Promise.reject(down) };
      await serve({ store: broken });
      expectError(await served.request("GET", "/plugins"), 503, "COSMO_E_STORE_UNAVAILABLE");
    });
  });
});
